"""fhmr-train: stage-wise training of FactorizedHMR (and its same-size baseline).

    fhmr-train --preset lite --out artifacts/train/lite [--stages stage1,stage2,baseline]
               [--steps 3000] [--stage-steps stage2=3000] [--batch-size 32] [--procedural 800]
               [--ship models/]

Stage 1 trains first; Stage 2 trains with Stage 1 frozen (its anchors are Stage 2's known
coordinates); the baseline trains on the same data for the same number of steps. Every
stage writes a resumable state (OUT/<stage>_state.pt) every few minutes: re-running the
command continues on the same schedule (``--steps`` is the total); ``--max-minutes`` saves
and stops after that long, with exit status 75 while a stage is unfinished.

Several processes, one model (DistributedDataParallel): ``torchrun --nproc_per_node N -m
fhmr_ros.tools.train ...`` (gloo on CPUs; NCCL with ``--device cuda``, one GPU per rank;
``--batch-size`` stays the global batch). ``--device cuda`` trains under bf16 autocast.
Rank 0 generates the data cache, logs and writes the files.

Ablation (``fhmr-ablation``): ``--init CKPT`` takes the normaliser and the networks of the
stages not listed in ``--stages`` from CKPT, so that Stage 2 variants share one Stage 1;
``--without composite,geometry,cfg,temporal`` leaves those ingredients out of Stage 2's
recipe (temporal: out of every network's trained in the run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from ..body.body_model import BodyModel
from ..body.keypoints import keypoint_format
from ..body.standin_model import ensure_standin_model
from ..data.camera_rigs import CameraRigConfig
from ..data.clip_sets import DataConfig, clip_set
from ..data.mocap_corpus import RIG_MAPS
from ..data.observations import DetectorNoiseConfig
from ..model.checkpoint import NETWORKS, load_checkpoint, save_checkpoint
from ..model.config import PRESETS, ModelConfig, parse_overrides, preset
from ..model.kinematics import BodyGeometry
from ..model.pipeline import FactorizedHMR
from ..model.representation import encode
from ..training.losses import LossWeights
from ..training.trainer import STAGES, TrainConfig, train_stage
from ..training.window_sampler import WindowSampler

INGREDIENTS = {"composite": "the joint-position branch of the composite target",
               "geometry": "the geometry losses",
               "cfg": "classifier-free guidance (condition dropout in training, w = 1)",
               "temporal": "the temporal losses (joint acceleration, pelvis velocity change, "
                           "anchor acceleration in the camera frame; every network)"}


def fit_normalizer(model: FactorizedHMR, sampler: WindowSampler, batches: int, seed: int) -> None:
    rng = np.random.default_rng(seed + 99)
    xs = [encode(sampler.batch(rng, 32).truth) for _ in range(batches)]
    model.normalizer.fit(torch.cat(xs))


def without_guidance(cfg: ModelConfig) -> ModelConfig:
    """No classifier-free guidance: conditions never dropped in training, w = 1 at sampling."""
    return replace(cfg, flow=replace(cfg.flow, condition_drop_prob=0.0, guidance=1.0))


def initial_model(cfg: ModelConfig, init: Path, trained: list[str]) -> FactorizedHMR:
    """A fresh model with the normaliser and every network not in ``trained`` copied from
    the checkpoint ``init`` (its config, with ``cfg``'s flow settings), and their training
    records (meta)."""
    base = load_checkpoint(init)
    if base.cfg.preset != cfg.preset:
        raise ValueError(f"--init {init} is a {base.cfg.preset!r} checkpoint, not {cfg.preset!r}")
    model = FactorizedHMR(replace(base.cfg, flow=cfg.flow), base.body)
    for name in NETWORKS:
        if name not in trained and getattr(base, name) is not None:
            getattr(model, name).load_state_dict(getattr(base, name).state_dict())
    model.meta = {k: v for k, v in base.meta.items() if k in NETWORKS and k not in trained}
    return model


def start_distributed(device: str) -> tuple[int, int]:
    """Join the process group when torchrun started this process (NCCL for cuda, one GPU
    per local rank; gloo otherwise); (rank, world size)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1:
        return 0, 1
    if device == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    torch.distributed.init_process_group(backend="nccl" if device == "cuda" else "gloo")
    return torch.distributed.get_rank(), world


STOPPED_EARLY = 75    # the exit status when --max-minutes stopped training (EX_TEMPFAIL)


def parse_mocap_weights(text: str) -> dict[str, float]:
    """``--mocap-weight``: one weight for every mocap source, or one per motion set."""
    values = ({k: float(v) for k, v in parse_overrides(text, RIG_MAPS, "--mocap-weight").items()}
              if "=" in text else {"bvh": float(text), "amass": float(text)})
    if any(v <= 0 for v in values.values()):
        raise ValueError(f"--mocap-weight: weights must be positive, got {text!r}")
    return values


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fhmr-train", description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="lite", choices=sorted(PRESETS))
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--steps", type=int, default=3000, help="steps per stage")
    ap.add_argument("--stage-steps", default="",
                    help="per-stage overrides, e.g. stage2=3000,baseline=3000")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--procedural", type=int, default=DataConfig.procedural_train,
                    help="number of procedural training sequences")
    ap.add_argument("--no-mocap", action="store_true", help="leave out the BVH train clips")
    ap.add_argument("--mocap-sets", default=",".join(DataConfig.mocap_sets),
                    help="motion sets of the mocap corpus to train on (reactidle, cmu)")
    ap.add_argument("--mirror-mocap", action="store_true",
                    help="add each mocap clip's left/right mirror image")
    ap.add_argument("--mocap-weight", default="1", metavar="W",
                    help="a mocap clip's windows are drawn W times as often as a procedural "
                         "clip's of the same length; per motion set as set=W,... (e.g. "
                         "cmu=2,reactidle=0.5)")
    ap.add_argument("--window", type=int, default=None, help="training window (frames)")
    ap.add_argument("--sparse-keypoints-prob", type=float, default=0.0,
                    help="share of training clips seen by a COCO-17 detector (only its 17 "
                         "keypoints reported), for input: keypoints from COCO detectors")
    ap.add_argument("--part-occlusion-prob", type=float, default=0.0,
                    help="share of training clips with one body part (an arm, a leg, one "
                         "side, the lower body) hidden for a long stretch")
    ap.add_argument("--furniture-prob", type=float, default=0.0, metavar="P",
                    help="share of the training clips behind a table-like obstacle")
    ap.add_argument("--long-dropout-prob", type=float, default=0.0, metavar="P",
                    help="share of the training clips with one 20-90 frame detector drop-out")
    ap.add_argument("--elevated-prob", type=float, default=0.0, metavar="P",
                    help="share of the training clips seen by a static or panning camera "
                         "3-8 m up, 4-15 m away (surveillance-like views)")
    ap.add_argument("--close-range-prob", type=float, default=0.0, metavar="P",
                    help="share of the training clips seen from 0.8-2.5 m, aimed at the chest")
    ap.add_argument("--estimation-share", type=float, default=TrainConfig.estimation_share,
                    help="Stage 2: share of training windows at flow time 0, pure noise in "
                         "(GENMO's estimation mode: the first solver step learns to regress "
                         "the motion)")
    ap.add_argument("--init", type=Path, default=None, metavar="CKPT",
                    help="start from this checkpoint's normaliser and the networks of the "
                         "stages not trained here (the listed stages start fresh)")
    ap.add_argument("--without", default="",
                    help="Stage 2 ingredients to leave out (ablation), comma-separated: " +
                         "; ".join(f"{k}: {v}" for k, v in INGREDIENTS.items()))
    ap.add_argument("--loss-weights", default="",
                    help="loss weights that differ from the defaults, e.g. "
                         "accel=10,anchor_accel=5 (names: training.losses.LossWeights)")
    ap.add_argument("--body-model", type=Path, default=None,
                    help="SMPL-X .npz to train on (default: the generated stand-in)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--max-minutes", type=float, default=None,
                    help="save and stop after this long (continue later with the same "
                         "command), e.g. to fit a session or a GPU slot")
    ap.add_argument("--snapshot-every", type=int, default=0, metavar="N",
                    help="keep each network's weights every N steps in snapshots/ (for "
                         "learning curves: python -m fhmr_ros.tools.learning_curve OUT)")
    ap.add_argument("--device", default="cpu",
                    help="cpu, or cuda (bf16 autocast; under torchrun one GPU per rank)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--ship", type=Path, default=None,
                    help="copy the final checkpoint into this folder (e.g. models/)")
    args = ap.parse_args(argv)
    stages = [s.strip() for s in args.stages.split(",") if s.strip()]
    try:
        stage_steps = {k: int(v) for k, v in
                       parse_overrides(args.stage_steps, STAGES, "--stage-steps").items()}
        weights = LossWeights.parse(args.loss_weights)
        mocap_weights = parse_mocap_weights(args.mocap_weight)
    except ValueError as e:
        ap.error(str(e))
    if not 0.0 <= args.estimation_share <= 1.0:
        ap.error(f"--estimation-share must be in [0, 1], got {args.estimation_share}")
    bad = [s for s in stages if s not in STAGES]
    if bad:
        ap.error(f"unknown stages {bad}; known: {list(STAGES)}")
    without = [w.strip() for w in args.without.split(",") if w.strip()]
    if any(w not in INGREDIENTS for w in without):
        ap.error(f"unknown --without {without}; known: {list(INGREDIENTS)}")
    rank, world = start_distributed(args.device)
    device = (f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if args.device == "cuda"
              else args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    logf = open(out / "train_log.txt", "a") if rank == 0 else None

    def log(msg: str) -> None:
        if logf is not None:
            logf.write(msg + "\n")
            logf.flush()

    def say(msg: str) -> None:
        if rank == 0:
            print(msg)

    cfg = preset(args.preset)
    if args.window:
        cfg = replace(cfg, window=args.window)
    if "cfg" in without:
        cfg = without_guidance(cfg)
    body = BodyModel(args.body_model or ensure_standin_model())
    data_cfg = DataConfig(procedural_train=args.procedural, use_mocap=not args.no_mocap,
                          mocap_sets=tuple(args.mocap_sets.split(",")),
                          mirror_mocap=args.mirror_mocap, seed=args.seed,
                          keypoint_format=cfg.inputs.keypoint_format)
    tic = time.perf_counter()
    if rank != 0:
        torch.distributed.barrier()              # rank 0 generates the cache first
    clips = clip_set("train", data_cfg, body, out / "cache", log=say)
    if rank == 0 and world > 1:
        torch.distributed.barrier()
    frames = sum(c.clip.num_frames for c in clips)
    say(f"training data: {len(clips)} clips, {frames} frames "
        f"({frames / cfg.fps / 3600:.2f} h) in {time.perf_counter() - tic:.0f} s; "
        f"{world} process(es) x {torch.get_num_threads()} thread(s)")
    log(f"training on {world} process(es) x {torch.get_num_threads()} thread(s), global "
        f"batch {args.batch_size}")
    sampler = WindowSampler(clips, cfg.window, keypoint_format(cfg.inputs.keypoint_format),
                            rig_cfg=CameraRigConfig(close_range_prob=args.close_range_prob,
                                                    elevated_prob=args.elevated_prob),
                            noise_cfg=DetectorNoiseConfig(
                                sparse_format_prob=args.sparse_keypoints_prob,
                                part_occlusion_prob=args.part_occlusion_prob,
                                furniture_prob=args.furniture_prob,
                                long_miss_prob=args.long_dropout_prob),
                            weights=mocap_weights)
    ckpt_path = out / f"fhmr_{args.preset}.pt"
    if ckpt_path.is_file():
        model = load_checkpoint(ckpt_path)
        say(f"continuing from {ckpt_path}")
    elif args.init is not None:
        model = initial_model(cfg, args.init, stages)
        say(f"starting from {args.init} (trained here from scratch: {', '.join(stages)})")
    else:
        model = FactorizedHMR(cfg, BodyGeometry(body.J_template, body.J_shapedirs))
        fit_normalizer(model, sampler, batches=16, seed=args.seed)
    model.to(device)
    deadline = None if args.max_minutes is None else time.monotonic() + 60 * args.max_minutes
    train_cfg = TrainConfig(steps=args.steps, batch_size=args.batch_size, lr=args.lr,
                            seed=args.seed, device=device, snapshot_every=args.snapshot_every,
                            estimation_share=args.estimation_share,
                            composite_target="composite" not in without,
                            geometry_losses="geometry" not in without,
                            temporal_losses="temporal" not in without)
    meta = dict(getattr(model, "meta", {}))
    finished = True
    for stage in stages:
        stage_cfg = replace(train_cfg, steps=stage_steps.get(stage, args.steps), stop_after_s=(
            None if deadline is None else max(0.0, deadline - time.monotonic())))
        hist = train_stage(model, stage, sampler.batch, stage_cfg, out / f"{stage}_state.pt",
                           log, weights, progress=rank == 0)
        meta[stage] = {"train": asdict(stage_cfg), "loss_weights": asdict(weights),
                       "final": hist[-1] if hist else {},
                       "data": asdict(data_cfg), "clips": len(clips), "frames": frames,
                       "processes": world,
                       "mocap_weights": mocap_weights,
                       "observations": {"sparse_keypoints_prob": args.sparse_keypoints_prob,
                                        "part_occlusion_prob": args.part_occlusion_prob,
                                        "furniture_prob": args.furniture_prob,
                                        "long_dropout_prob": args.long_dropout_prob,
                                        "close_range_prob": args.close_range_prob,
                                        "elevated_prob": args.elevated_prob},
                       "without": without, "init": None if args.init is None else str(args.init)}
        finished = bool(hist) and hist[-1]["step"] == stage_cfg.steps
        if rank == 0:
            save_checkpoint(model, ckpt_path, meta)
        if not finished:
            say(f"{stage} stopped by --max-minutes (state in {out / f'{stage}_state.pt'}); "
                "run the same command again to continue")
            break
        say(f"{stage} done: {ckpt_path}")
    if world > 1:
        torch.distributed.destroy_process_group()
    if rank != 0:
        return 0 if finished else STOPPED_EARLY
    (out / "train_meta.json").write_text(json.dumps(meta, indent=1))
    if args.ship and finished:
        args.ship.mkdir(parents=True, exist_ok=True)
        shutil.copy(ckpt_path, args.ship / ckpt_path.name)
        print(f"shipped {args.ship / ckpt_path.name}")
    return 0 if finished else STOPPED_EARLY


if __name__ == "__main__":
    sys.exit(main())
