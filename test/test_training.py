"""Training: a tiny model overfits a tiny batch, per stage; checkpoints round-trip."""

import copy
from dataclasses import replace

import numpy as np
import pytest
import torch

from fhmr_ros.body.body_model import BodyModel
from fhmr_ros.body.keypoints import keypoint_format
from fhmr_ros.data.mocap_corpus import CorpusConfig, load_split
from fhmr_ros.data.windows import prepare_clip
from fhmr_ros.model.checkpoint import load_checkpoint, save_checkpoint
from fhmr_ros.model.config import ModelConfig, TransformerConfig, preset
from fhmr_ros.model.inputs import random_inputs
from fhmr_ros.model.kinematics import BodyGeometry
from fhmr_ros.model.pipeline import FactorizedHMR
from fhmr_ros.model.representation import LAYOUT, encode
from fhmr_ros.geometry.rotations import matrix_to_rot6d, rot6d_to_matrix
from fhmr_ros.training.losses import LossWeights, temporal_terms
from fhmr_ros.training.trainer import TrainConfig, stage2_flow_times, stage2_loss, train_stage
from fhmr_ros.training.window_sampler import WindowSampler
from fhmr_ros.tools.train import main as train_main

TINY = TransformerConfig(width=64, layers=2, heads=2, mlp_ratio=2.0, dropout=0.0)


@pytest.fixture(scope="module")
def tiny(body_model):
    torch.manual_seed(0)
    fmt = keypoint_format("mediapipe33")
    clips = load_split("train", body_model, CorpusConfig(fps=30.0))[:2]
    sampler = WindowSampler([prepare_clip(c, body_model, fmt) for c in clips], 16, fmt)
    batch = sampler.batch(np.random.default_rng(0), 4)
    cfg = replace(preset("lite"), window=16, stage1=TINY, stage2=TINY)
    model = FactorizedHMR(cfg, BodyGeometry(body_model.J_template, body_model.J_shapedirs))
    model.normalizer.fit(encode(batch.truth))
    return model, batch


@pytest.mark.parametrize("stage", ["stage1", "stage2", "baseline"])
def test_tiny_model_overfits_a_tiny_batch(tiny, stage, tmp_path):
    """Regressors fit a fixed batch; Stage 2's velocity loss on a fixed x1 falls too (its
    floor is not 0 within a few steps: x0 and t are drawn anew every step)."""
    model, batch = tiny
    cfg = TrainConfig(steps=200, lr=3e-3, warmup=10, log_every=10, checkpoint_every=1000)
    hist = train_stage(model, stage, lambda rng, n: batch, cfg, tmp_path / "state.pt",
                       log=lambda m: None, progress=False)
    key, ratio = ("flow", 0.5) if stage == "stage2" else ("total", 0.35)
    first, last = hist[0][key], hist[-1][key]
    assert last < ratio * first, f"{stage}: {key} loss {first:.3f} -> {last:.3f}"


@pytest.mark.parametrize("composite, geometry, temporal", [
    (True, True, False), (False, True, False), (False, False, False), (True, True, True)])
def test_stage2_recipe_switches(tiny, composite, geometry, temporal):
    """The ablation's switches: without the composite target no gradient reaches Stage 2's
    joint-position outputs; without geometry losses the flow loss is all there is; the
    temporal losses join when asked for."""
    model, batch = tiny
    outputs = []
    hook = model.stage2.register_forward_hook(lambda m, i, out: outputs.append(out))
    try:
        cfg = TrainConfig(composite_target=composite, geometry_losses=geometry,
                          temporal_losses=temporal)
        terms = stage2_loss(model, batch, LossWeights(), torch.Generator().manual_seed(0), cfg)
    finally:
        hook.remove()
    expected = {"flow"} | ({"joints3d", "reprojection", "world"} if geometry else set())
    expected |= {"joint_branch", "bone"} if composite and geometry else set()
    assert set(terms) == expected | ({"accel", "velocity_change"} if temporal else set())
    out = outputs[0]
    grad, = torch.autograd.grad(sum(t.mean() for t in terms.values()), out)
    joints_grad = grad[..., LAYOUT["joints_rel"]].abs().sum()
    assert (joints_grad > 0) == composite
    assert grad[..., LAYOUT["limb6d"]].abs().sum() > 0


def test_temporal_terms_vanish_on_the_truth_and_grow_with_shaking(tiny):
    """L_accel and L_vel are 0 for the true motion, and shaking the pose (frame-alternating
    limb rotations, the same on average) or the pelvis velocity raises them."""
    model, batch = tiny
    truth = batch.truth
    zero = temporal_terms(model.body, truth, truth, LossWeights())
    assert all(float(v.abs().max()) < 1e-3 for v in zero.values())       # float32 FK
    shaky = copy.copy(truth)
    sign = (-1.0) ** torch.arange(truth.local_rotations.shape[1])            # (T,)
    tilt = rot6d_to_matrix(matrix_to_rot6d(torch.eye(3)) + 0.1 * torch.tensor(
        [0.0, 1.0, 0.0, 1.0, 0.0, 0.0]))                                    # a small rotation
    turn = torch.where(sign[:, None, None] > 0, tilt, tilt.transpose(-1, -2))
    shaky.local_rotations = turn[None, :, None] @ truth.local_rotations
    shaky.root_velocity = truth.root_velocity + 0.2 * sign[None, :, None]
    terms = temporal_terms(model.body, shaky, truth, LossWeights())
    assert (terms["accel"] > 0.05).all() and (terms["velocity_change"] > 0.3).all()


def test_the_anchor_smoothness_term_sees_a_shaking_depth(tiny):
    """L_anchor_accel is 0 for the true motion and grows when the camera-frame pelvis depth
    alternates by ±5 cm (the torso's pose unchanged)."""
    model, batch = tiny
    truth = batch.truth
    zero = temporal_terms(model.body, truth, truth, LossWeights(), joints=False,
                          anchor=True)["anchor_accel"]
    assert float(zero.abs().max()) < 1e-3
    shaky = copy.copy(truth)
    sign = (-1.0) ** torch.arange(truth.pelvis_camera.shape[1])              # (T,)
    shaky.pelvis_camera = truth.pelvis_camera + 0.05 * sign[None, :, None] * torch.tensor(
        [0.0, 0.0, 1.0])
    terms = temporal_terms(model.body, shaky, truth, LossWeights(), joints=False, anchor=True)
    # Δ²z = ±0.2 m on every anchor joint: a mean over x, y, z of 0.2 / 3 m, times w_accel
    assert (terms["anchor_accel"] > 0.9 * 0.2 / 3 * LossWeights().anchor_accel).all()
    quiet = temporal_terms(model.body, shaky, truth, LossWeights.parse("anchor_accel=5"),
                           joints=False, anchor=True)["anchor_accel"]
    assert torch.allclose(quiet * LossWeights().anchor_accel / 5, terms["anchor_accel"])


def test_estimation_share_puts_that_share_of_stage2_windows_at_flow_time_zero():
    """--estimation-share P: about P of the windows at t = 0 (GENMO's estimation mode), the
    rest uniform; P = 0 leaves the random stream exactly as before."""
    def times(share):
        return stage2_flow_times(4000, share, torch.Generator().manual_seed(3))

    assert torch.equal(times(0.0), torch.rand(4000, generator=torch.Generator().manual_seed(3)))
    assert (times(1.0) == 0).all()
    t = times(0.25)
    assert abs((t == 0).float().mean().item() - 0.25) < 0.03
    assert 0.4 < t[t > 0].mean().item() < 0.6


def test_loss_weights_parse_overrides_and_rejects_unknown_names():
    """fhmr-train --loss-weights: named overrides on the defaults; a typo is an error that
    lists the known names."""
    w = LossWeights.parse("accel=10, anchor_accel=2.5")
    assert (w.accel, w.anchor_accel, w.joints3d) == (10.0, 2.5, LossWeights().joints3d)
    assert LossWeights.parse("") == LossWeights()
    for bad in ("acel=10", "accel", "accel="):
        with pytest.raises(ValueError, match="anchor_accel"):
            LossWeights.parse(bad)


@pytest.mark.parametrize("args, message", [
    (["--stage-steps", "stage9=10"], "stage1"), (["--stage-steps", "stage2=many"], "many"),
    (["--loss-weights", "acel=10"], "anchor_accel"), (["--stages", "stage3"], "stage3"),
    (["--estimation-share", "1.5"], "estimation-share")])
def test_train_refuses_bad_overrides_before_it_starts(args, message, tmp_path, capsys):
    """A typo in fhmr-train's name=value options stops it with a usage error naming the
    known names, before any process group, data or output folder is made."""
    with pytest.raises(SystemExit) as exit_info:
        train_main(["--out", str(tmp_path / "out"), *args])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_ablation_variant_starts_from_the_base_checkpoint(tiny, tmp_path):
    """fhmr-train --init BASE --stages stage2 --without cfg: Stage 1 and the baseline are
    BASE's (with their training records), Stage 2 starts fresh, and guidance is off in the
    checkpoint it writes."""
    from fhmr_ros.tools import train

    model, _ = tiny
    for p in model.stage2.parameters():
        p.data.fill_(0.125)                               # unlike any fresh initialisation
    base_meta = {"stage1": {"note": "from base"}, "stage2": {"note": "replaced"}}
    base = save_checkpoint(model, tmp_path / "base.pt", base_meta, half=False)
    out = tmp_path / "variant"
    assert train.main(["--preset", "lite", "--out", str(out), "--stages", "stage2",
                       "--steps", "2", "--batch-size", "4", "--procedural", "2",
                       "--no-mocap", "--window", "16", "--init", str(base),
                       "--without", "cfg,composite"]) == 0
    variant = load_checkpoint(out / "fhmr_lite.pt")
    for name in ("normalizer", "stage1", "baseline"):
        for a, b in zip(getattr(model, name).state_dict().values(),
                        getattr(variant, name).state_dict().values()):
            torch.testing.assert_close(a, b, atol=1e-3, rtol=1e-3)   # (stored in float16)
    assert all((p - 0.125).abs().max() > 0.05 for p in variant.stage2.parameters()
               if p.numel() > 1)
    assert variant.cfg.flow.guidance == 1.0 and variant.cfg.flow.condition_drop_prob == 0.0
    assert variant.meta["stage1"] == {"note": "from base"} and "baseline" not in variant.meta
    meta = variant.meta["stage2"]
    assert meta["without"] == ["cfg", "composite"] and meta["init"] == str(base)
    assert not meta["train"]["composite_target"] and meta["train"]["geometry_losses"]


def test_training_resumes_from_its_state(tiny, tmp_path):
    model, batch = tiny
    cfg = TrainConfig(steps=10, log_every=5, checkpoint_every=5)
    train_stage(model, "stage1", lambda rng, n: batch, cfg, tmp_path / "s.pt", log=lambda m: None,
                progress=False)
    logs = []
    hist = train_stage(model, "stage1", lambda rng, n: batch, replace(cfg, steps=15),
                       tmp_path / "s.pt", log=logs.append, progress=False)
    assert logs[0] == "[stage1] resumed at step 10"
    assert [h["step"] for h in hist] == [5, 10, 15]


def test_a_run_cut_off_keeps_its_time_based_checkpoint(tiny, tmp_path):
    """checkpoint_minutes elapsed (0 here: every step) saves the state even between the
    step-based checkpoints, so a run killed mid-way loses at most that much."""
    model, batch = tiny
    steps = []

    def next_batch(rng, n):
        steps.append(len(steps))
        if len(steps) == 4:
            raise KeyboardInterrupt                        # the session is cut off
        return batch

    cfg = TrainConfig(steps=100, log_every=50, checkpoint_every=1000, checkpoint_minutes=0.0)
    with pytest.raises(KeyboardInterrupt):
        train_stage(model, "baseline", next_batch, cfg, tmp_path / "b.pt",
                    log=lambda m: None, progress=False)
    assert torch.load(tmp_path / "b.pt", weights_only=True)["step"] == 3
    assert all(p.requires_grad for p in model.parameters())     # nothing left frozen


def test_a_time_limit_saves_stops_and_the_next_run_finishes_the_schedule(tiny, tmp_path):
    model, batch = tiny
    logs = []
    cfg = TrainConfig(steps=6, log_every=2, checkpoint_every=1000, stop_after_s=0.0)
    train_stage(model, "stage1", lambda rng, n: batch, cfg, tmp_path / "s.pt",
                log=logs.append, progress=False)
    assert logs == ["[stage1] stopped at step 1/6 (time limit); run again to continue"]
    hist = train_stage(model, "stage1", lambda rng, n: batch, replace(cfg, stop_after_s=None),
                       tmp_path / "s.pt", log=logs.append, progress=False)
    assert logs[1] == "[stage1] resumed at step 1" and hist[-1]["step"] == 6


def test_checkpoint_round_trip(tiny, tmp_path):
    model, batch = tiny
    path = save_checkpoint(model, tmp_path / "m.pt", {"note": "test"}, half=False)
    loaded = load_checkpoint(path)
    assert loaded.meta == {"note": "test"}
    with torch.no_grad():
        torch.testing.assert_close(loaded.anchor(batch.inputs), model.eval().anchor(batch.inputs))
    (tmp_path / "bad.pt").write_bytes(b"")
    torch.save({"x": 1}, tmp_path / "bad.pt")
    with pytest.raises(ValueError, match="not an fhmr_ros checkpoint"):
        load_checkpoint(tmp_path / "bad.pt")
    # a pickled object would run code when unpickled: refused, only tensors are read
    torch.save({"format": "fhmr_ros/checkpoint/v1", "hook": TrainConfig()},
               tmp_path / "code.pt")
    with pytest.raises(ValueError, match="cannot be read as a checkpoint"):
        load_checkpoint(tmp_path / "code.pt")


def test_a_config_from_before_the_depth_gain_filters_with_one_gain():
    """Checkpoints older than α_d stored one world-filter gain for both directions; they
    keep meaning the plain filter (α_d = α), not today's default α_d."""
    stored = preset("lite").to_dict()
    assert ModelConfig.from_dict(stored) == preset("lite")
    stored["world_velocity_weight"] = 0.8
    del stored["world_depth_velocity_weight"]
    cfg = ModelConfig.from_dict(stored)
    assert cfg.world_depth_velocity_weight == cfg.world_velocity_weight == 0.8


def test_the_medium_preset_is_a_larger_lite_and_its_checkpoint_names_it(standin_path, tmp_path):
    """medium: lite's window and sampling with 1.5-4x its parameters per network; a checkpoint
    rebuilds the medium networks from its config alone."""
    body = BodyModel(standin_path)
    geometry = BodyGeometry(body.J_template, body.J_shapedirs)
    lite, medium = (FactorizedHMR(preset(name), geometry) for name in ("lite", "medium"))
    count = lambda net: sum(p.numel() for p in net.parameters())  # noqa: E731
    for net in ("stage1", "stage2", "baseline"):
        assert 1.5 < count(getattr(medium, net)) / count(getattr(lite, net)) < 4
    assert (medium.cfg.window, medium.cfg.flow) == (lite.cfg.window, lite.cfg.flow)
    loaded = load_checkpoint(save_checkpoint(medium, tmp_path / "m.pt", half=False))
    assert loaded.cfg == medium.cfg
    inputs = random_inputs(1, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(loaded.anchor(inputs), medium.eval().anchor(inputs))


def test_torchrun_trains_one_model_on_two_gloo_processes(tmp_path):
    """torchrun, 2 CPU processes (gloo), DistributedDataParallel: both ranks end with the
    same weights, each drew its own windows, rank 0 alone wrote the files, and a second
    run continues the schedule from the state."""
    import subprocess
    import sys

    args = [sys.executable, "-m", "torch.distributed.run", "--standalone",
            "--nproc_per_node", "2", "-m", "fhmr_ros.tools.train", "--preset", "lite",
            "--out", str(tmp_path), "--stages", "stage1", "--batch-size", "4",
            "--procedural", "2", "--no-mocap", "--window", "16"]
    first = subprocess.run(args + ["--steps", "4"], capture_output=True, text=True,
                           timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    log = (tmp_path / "train_log.txt").read_text()
    assert "training on 2 process(es)" in log
    assert "[stage1] 2 ranks finished with identical weights" in log
    state = torch.load(tmp_path / "stage1_state.pt", weights_only=True)
    assert state["world"] == 2 and state["step"] == 4
    assert state["rng"][0] != state["rng"][1]                  # a random stream per rank
    second = subprocess.run(args + ["--steps", "6"], capture_output=True, text=True,
                            timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    log = (tmp_path / "train_log.txt").read_text()
    assert "[stage1] resumed at step 4" in log and "[stage1] step 6/6" in log
    assert (tmp_path / "fhmr_lite.pt").is_file()


def test_window_sampler_weights_clips_by_set_or_source(body_model):
    """A mocap clip weighted 4x is drawn 4x as often as a procedural clip of its length;
    its motion set's weight comes before its source's."""
    fmt = keypoint_format("mediapipe33")
    clip = load_split("train", body_model, CorpusConfig(fps=30.0))[0].slice(0, 40)
    posed = prepare_clip(clip, body_model, fmt)
    procedural = replace(posed, clip=replace(clip, source="procedural"))
    sampler = WindowSampler([posed, procedural], 16, fmt, weights={"bvh": 4.0})
    np.testing.assert_allclose(sampler.p, [0.8, 0.2])
    names = [sampler.batch(np.random.default_rng(seed), 1).names[0] for seed in range(4)]
    assert all(n.startswith(clip.name) for n in names)
    motion_set = clip.name.split("/")[0]
    by_set = WindowSampler([posed, procedural], 16, fmt,
                           weights={"bvh": 4.0, motion_set: 0.25, "procedural": 0.75})
    np.testing.assert_allclose(by_set.p, [0.25, 0.75])


def test_a_time_limited_run_stops_with_75_keeps_snapshots_and_ships_only_when_done(tmp_path):
    """--max-minutes 0 stops after the first step with exit status 75 (so `make train`
    does not go on to the next command) and ships nothing; the same command without the
    limit finishes the schedule, ships, and left a network snapshot every N steps, which
    the learning-curve report scores one by one."""
    from fhmr_ros.tools.learning_curve import main as learning_curve_main

    out, ship = tmp_path / "run", tmp_path / "models"
    args = ["--preset", "lite", "--out", str(out), "--stages", "stage1", "--steps", "4",
            "--batch-size", "4", "--procedural", "2", "--no-mocap", "--window", "16",
            "--snapshot-every", "2", "--ship", str(ship)]
    assert train_main(args + ["--max-minutes", "0"]) == 75
    assert torch.load(out / "stage1_state.pt", weights_only=True)["step"] == 1
    assert not ship.exists()
    assert train_main(args) == 0
    assert (ship / "fhmr_lite.pt").is_file()
    snapshots = sorted(p.name for p in (out / "snapshots").iterdir())
    assert snapshots == ["stage1_000002.pt", "stage1_000004.pt"]
    final = load_checkpoint(ship / "fhmr_lite.pt").stage1.state_dict()
    last = torch.load(out / "snapshots" / "stage1_000004.pt", weights_only=True)
    for name, value in last.items():
        torch.testing.assert_close(final[name].float(), value.float(), atol=2e-3, rtol=2e-3)
    report = tmp_path / "curve.md"
    assert learning_curve_main([str(out), "--max-clips", "1", "--cache", str(tmp_path),
                                "--out", str(report)]) == 0
    rows = [line for line in report.read_text().splitlines() if line.startswith("| stage1 ")]
    assert [r.split("|")[1].strip() for r in rows] == ["stage1 2", "stage1 4"]
    assert all(float(r.split("|")[2]) > 0 for r in rows)                    # MPJPE, mm


def testparse_mocap_weights_are_one_number_or_one_per_motion_set():
    from fhmr_ros.tools.train import parse_mocap_weights

    assert parse_mocap_weights("2") == {"bvh": 2.0, "amass": 2.0}
    assert parse_mocap_weights("cmu=2,reactidle=0.5") == {"cmu": 2.0, "reactidle": 0.5}
    for bad in ("walking=2", "cmu=0", "cmu"):
        with pytest.raises(ValueError):
            parse_mocap_weights(bad)
