"""Procedural SMPL-X motion: determinism and variety, requested speeds, planted feet that
neither slide nor sink (checked by forward kinematics and on the mesh), joint limits,
running flight, sitting, upright walking, continuity, the held-out test split and the
split cache."""

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from fhmr_ros.data.procedural import (HELD_OUT_GAIT_ACTIONS, TEST_SEED_BASE, Layer,
                                      MotionSpec, Segment, clip_seed, generate_motion,
                                      held_out_elements, procedural_clips, sample_motion_spec)
from fhmr_ros.data.procedural.body_geometry import body_geometry
from fhmr_ros.data.procedural.joints import LEG_ROWS, within_limits
from fhmr_ros.data.procedural.sampling import HELD_OUT_SPEED_CURVATURE, LAYER_SEGMENTS
from fhmr_ros.data.motion import load_clips, save_clips
from fhmr_ros.data.clip_sets import VALIDATION_SPLITS, DataConfig, motion_clips

LEFT_FOOT, RIGHT_FOOT, LEFT_ANKLE, RIGHT_ANKLE = 10, 11, 7, 8
STANCE_SPEED = 0.2        # m/s: a foot slower than this ...
STANCE_HEIGHT = 0.025     # m: ... and this close to its flat height, and the lower one


def _joints(body_model, clip):
    """World joints (T, 22, 3) by forward kinematics with the clip's own betas."""
    T = clip.num_frames
    return body_model.body_joints(
        torch.tensor(clip.betas).expand(T, -1), torch.tensor(clip.global_orient),
        torch.tensor(clip.body_pose.reshape(T, 63)), torch.tensor(clip.transl)
    ).double().numpy()


def _clip(body_model, segments, layers=(), seed=0, betas=None):
    spec = MotionSpec(segments=list(segments), layers=list(layers),
                      betas=np.zeros(10) if betas is None else betas)
    return generate_motion(spec, body_model, np.random.default_rng(seed))


def _stances(joints, fps, ball_height):
    """Per foot, the frame runs (>= 3 frames) where that foot's ball joint is the lower
    one, slow and at most STANCE_HEIGHT above its flat height."""
    runs = []
    for side, (j, other) in enumerate(((LEFT_FOOT, RIGHT_FOOT), (RIGHT_FOOT, LEFT_FOOT))):
        foot = joints[:, j]
        speed = np.r_[np.inf, np.linalg.norm(np.diff(foot[:, :2], axis=0), axis=-1) * fps]
        planted = ((foot[:, 2] <= joints[:, other, 2]) & (speed < STANCE_SPEED)
                   & (foot[:, 2] < ball_height[side] + STANCE_HEIGHT))
        edges = np.flatnonzero(np.diff(np.r_[0, planted.astype(int), 0]))
        runs += [(side, a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a >= 3]
    return runs


@pytest.fixture(scope="module")
def train_clips(body_model):
    return procedural_clips(24, seed=7, split="train", body_model=body_model)


def test_deterministic_per_seed_and_varied_across_seeds(body_model):
    a = procedural_clips(2, seed=3, split="train", body_model=body_model, duration_s=(3, 4))
    b = procedural_clips(2, seed=3, split="train", body_model=body_model, duration_s=(3, 4))
    for x, y in zip(a, b):
        assert x.name == y.name
        for field in ("global_orient", "body_pose", "transl", "betas"):
            np.testing.assert_array_equal(getattr(x, field), getattr(y, field))
    c = procedural_clips(2, seed=4, split="train", body_model=body_model, duration_s=(3, 4))
    assert not np.allclose(a[0].betas, c[0].betas)
    assert a[0].num_frames != c[0].num_frames or not np.allclose(a[0].body_pose, c[0].body_pose)


def test_specs_vary(body_model):
    specs = [sample_motion_spec(np.random.default_rng(s)) for s in range(60)]
    kinds = {seg.kind for spec in specs for seg in spec.segments}
    actions = {layer.action for spec in specs for layer in spec.layers}
    assert len(kinds) >= 10 and len(actions) >= 6
    assert len({round(spec.duration, 3) for spec in specs}) == len(specs)
    assert all(6.0 <= spec.duration <= 12.0 for spec in specs)


def test_clip_format_and_start(train_clips):
    for clip in train_clips:
        assert clip.source == "procedural" and clip.fps == 30.0
        assert 6.0 <= clip.num_frames / clip.fps <= 12.0 + 1e-6
        assert clip.body_pose.shape == (clip.num_frames, 21, 3)
        for field in ("global_orient", "body_pose", "transl", "betas"):
            assert np.isfinite(getattr(clip, field)).all()
        assert np.abs(clip.betas[:3]).max() <= 2.5 and np.abs(clip.betas[3:]).max() <= 1.5
    starts = np.array([c.transl[0, :2] for c in train_clips])
    assert np.abs(starts).max() < 1.5                  # near the origin
    headings = [Rotation.from_rotvec(c.global_orient[0]).as_matrix()[:, 2] for c in train_clips]
    yaw = np.array([np.arctan2(h[1], h[0]) for h in headings])
    assert np.ptp(yaw) > np.pi                         # facing random directions


def test_motion_is_continuous(body_model, train_clips):
    for clip in train_clips:
        joints = _joints(body_model, clip)
        step = np.linalg.norm(np.diff(joints[:, 0], axis=0), axis=-1) * clip.fps
        assert step.max() < 6.0, clip.name                            # m/s, no teleporting
        root = Rotation.from_rotvec(clip.global_orient)
        assert np.rad2deg((root[1:] * root[:-1].inv()).magnitude()).max() < 20, clip.name
        local = Rotation.from_rotvec(clip.body_pose.reshape(-1, 3))
        turn = np.rad2deg((local[21:] * local[:-21].inv()).magnitude()).reshape(-1, 21)
        legs = np.isin(np.arange(21), LEG_ROWS)
        assert turn[:, legs].max() < 90 and turn[:, ~legs].max() < 45, clip.name  # deg/frame
        before, now, after = turn[:-2], turn[1:-1], turn[2:]          # no one-frame jumps
        slack = np.where(legs, 20.0, 2.0)     # legs reverse sharply at touchdown
        spikes = now > 3 * np.maximum(before, after) + slack
        assert not spikes.any(), (clip.name, np.argwhere(spikes)[:3])


def test_joints_within_limits(train_clips):
    for clip in train_clips:
        rot = Rotation.from_rotvec(clip.body_pose.reshape(-1, 3)).as_matrix()
        ok = within_limits(rot.reshape(-1, 21, 3, 3), tolerance=np.deg2rad(0.5))
        assert ok.all(), (clip.name, np.argwhere(~ok)[:5])


@pytest.mark.parametrize("kind,speed", [("walk", 0.8), ("walk", 1.5), ("run", 3.5)])
def test_requested_speed(body_model, kind, speed):
    clip = _clip(body_model, [Segment(kind, 9.0, speed=speed)])
    pelvis = _joints(body_model, clip)[:, 0, :2]
    cruise = pelvis[int(3 * clip.fps):int(6 * clip.fps) + 1]                  # 3 s
    path = np.linalg.norm(np.diff(cruise, axis=0), axis=-1).sum()
    assert path / 3.0 == pytest.approx(speed, rel=0.03)


def test_planted_feet_do_not_slide_or_sink(body_model, train_clips):
    targeted = [
        _clip(body_model, [Segment("walk", 6.0, speed=1.4, curvature=0.4)], seed=1),
        _clip(body_model, [Segment("run", 5.0, speed=3.8)], seed=2),
        _clip(body_model, [Segment("walk", 4.0, speed=0.6, direction="left"),
                           Segment("turn", 2.5, turn=2.5), Segment("walk", 4.0, speed=0.8,
                                                                   direction="backward")]),
        _clip(body_model, [Segment("jog", 3.0, speed=2.5), Segment("walk", 3.0, speed=1.0),
                           Segment("squat", 4.0, amount=1.0), Segment("kneel", 5.0)]),
    ]
    slides = []
    for clip in targeted + train_clips:
        geo = body_geometry(body_model, clip.betas)
        joints = _joints(body_model, clip)
        runs = _stances(joints, clip.fps, geo.ball_height)
        assert runs, clip.name
        for side, a, b in runs:
            foot = joints[a:b, (LEFT_FOOT, RIGHT_FOOT)[side]]
            slides.append(np.linalg.norm(foot[:, :2] - foot[0, :2], axis=-1).max())
            assert foot[:, 2].min() > geo.ball_height[side] - 0.01, clip.name   # not sunk
    assert max(slides) < 0.02                                                  # < 2 cm
    assert np.median(slides) < 0.002


def test_soles_touch_the_ground(body_model):
    clip = _clip(body_model, [Segment("walk", 4.0, speed=1.3), Segment("crouch", 3.0)])
    T = clip.num_frames
    out = body_model(torch.tensor(clip.betas), torch.tensor(clip.global_orient),
                     torch.tensor(clip.body_pose.reshape(T, 63)), torch.tensor(clip.transl),
                     return_vertices=True)
    lowest = out.vertices[..., 2].min(-1).values.numpy()                      # (T,)
    assert np.abs(lowest).max() < 0.01       # always standing on z = 0, never below


def test_running_has_flight_and_walking_has_none(body_model):
    geo = body_geometry(body_model, np.zeros(10))
    for kind, speed in (("run", 3.5), ("walk", 1.6)):
        joints = _joints(body_model, _clip(body_model, [Segment(kind, 6.0, speed=speed)]))
        cruise = joints[60:150]
        up = [(cruise[:, a, 2] > geo.ankle_height[s] + 0.02)
              & (cruise[:, f, 2] > geo.ball_height[s] + 0.02)
              for s, (a, f) in enumerate(((LEFT_ANKLE, LEFT_FOOT), (RIGHT_ANKLE, RIGHT_FOOT)))]
        flight = (up[0] & up[1]).mean()
        if kind == "run":
            assert flight > 0.1
        else:
            assert flight == 0.0


def test_sitting_lowers_the_pelvis(body_model):
    clip = _clip(body_model, [Segment("sit", 7.0)])
    z = _joints(body_model, clip)[:, 0, 2]
    standing = z[0]
    seated = z[int(3 * clip.fps):int(4 * clip.fps)]
    assert seated.max() < 0.7 * standing
    assert z[-1] == pytest.approx(standing, abs=0.03)        # stands up again


def test_walking_stays_upright(body_model):
    clip = _clip(body_model, [Segment("walk", 6.0, speed=1.5, curvature=0.3)],
                 layers=[Layer("carry", 1.0, 3.0)])
    up = Rotation.from_rotvec(clip.global_orient).as_matrix()[:, :, 1]      # pelvis y axis
    assert np.rad2deg(np.arccos(np.clip(up[:, 2], -1, 1))).max() < 20
    joints = _joints(body_model, clip)
    assert (joints[:, 15, 2] - joints[:, 0, 2]).min() > 0.45                  # head above


def test_train_and_test_splits_are_disjoint():
    train = [sample_motion_spec(np.random.default_rng(clip_seed(0, i, "train")), "train")
             for i in range(300)]
    test = [sample_motion_spec(np.random.default_rng(clip_seed(0, i, "test")), "test")
            for i in range(100)]
    assert not any(held_out_elements(spec) for spec in train)
    assert all(held_out_elements(spec) for spec in test)
    train_seeds = {clip_seed(s, i, "train") for s in range(5) for i in range(50)}
    test_seeds = {clip_seed(s, i, "test") for s in range(5) for i in range(50)}
    assert max(train_seeds) < TEST_SEED_BASE <= min(test_seeds)
    for gait, action in HELD_OUT_GAIT_ACTIONS:      # reserved pairs are otherwise allowed
        assert gait in LAYER_SEGMENTS[action]
    for gait, speeds, _ in HELD_OUT_SPEED_CURVATURE:
        assert any(seg.kind == gait and seg.speed >= speeds[0]
                   for spec in train for seg in spec.segments)


def test_validation_splits_hold_no_training_or_test_clip(body_model, tmp_path):
    """Both validation splits are procedural only and drawn with their own seed:
    "validation" from the train sampler, "validation_unseen" from the test sampler, so that
    every one of its clips holds a combination training never shows."""
    seeds = {}
    for split in ("train", *VALIDATION_SPLITS, "test"):
        cfg = DataConfig(procedural_train=4, procedural_test=4,
                         use_mocap=split in VALIDATION_SPLITS)     # no BVH clip is added
        clips = motion_clips(split, cfg, body_model, tmp_path, log=lambda _: None)
        assert [c.source for c in clips] == ["procedural"] * 4
        seeds[split] = {int(c.name.rsplit("_", 1)[1]) for c in clips}
    assert max(seeds["validation"]) < TEST_SEED_BASE and not seeds["validation"] & seeds["train"]
    assert min(seeds["validation_unseen"]) >= TEST_SEED_BASE
    assert not seeds["validation_unseen"] & seeds["test"]
    for s in seeds["validation_unseen"]:
        spec = sample_motion_spec(np.random.default_rng(s), "test", duration_s=(6.0, 12.0))
        assert held_out_elements(spec)


def test_split_cache_written_by_processes_at_once_reads_back(train_clips, tmp_path, at_once):
    """Commands that build the same cache at once (training and evaluation share the mocap
    cache) leave a file that holds every clip intact, not interleaved writes, and no
    temporary file."""
    clips = train_clips[:6]
    path = tmp_path / "cache" / "split.npz"       # the folder is created by the writer
    assert at_once(lambda: save_clips(path, clips)) == [0, 0, 0]
    back = load_clips(path)
    assert [c.name for c in back] == [c.name for c in clips]
    for a, b in zip(back, clips):
        np.testing.assert_array_equal(a.body_pose, b.body_pose)
        np.testing.assert_array_equal(a.transl, b.transl)
    assert [f.name for f in path.parent.iterdir()] == ["split.npz"]
