"""The streaming engine: pose interpolation, model-grid resampling, windows with inpainting,
lag, batching of tracks, track ends, time going backwards, on a held-out mocap clip seen by
a simulated mobile robot and the shipped lite model."""

import copy
import math

import numpy as np
import pytest
import torch

from fhmr_ros.body.keypoints import keypoint_format
from fhmr_ros.data.mocap_corpus import CorpusConfig, load_split
from fhmr_ros.data.windows import make_batch, prepare_clip
from fhmr_ros.evaluation.metrics import mpjpe
from fhmr_ros.geometry.rotations import (axis_angle_to_matrix, geodesic_angle,
                                         rotation_about_axis)
from fhmr_ros.model.checkpoint import default_checkpoint, load_checkpoint
from fhmr_ros.model.inputs import FrameInputs, build_inputs
from fhmr_ros.perception.detection import PersonDetection
from fhmr_ros.perception.external_keypoints import KeypointsFrame, box_around
from fhmr_ros.perception.tracker import MultiPersonTracker
from fhmr_ros.streaming.engine import PersonObservation, StreamingConfig, StreamingEngine
from fhmr_ros.streaming.human_pipeline import HumanPipeline
from fhmr_ros.streaming.pose_buffer import PoseBuffer
from fhmr_ros.streaming.root_alignment import RootAligner
from fhmr_ros.streaming.track_stream import TrackStream

T = 150
FPS = 30.0


def pose(yaw: float, xyz) -> np.ndarray:
    out = np.eye(4)
    out[:3, :3] = rotation_about_axis("z", torch.tensor(yaw, dtype=torch.float64)).numpy()
    out[:3, 3] = xyz
    return out


def test_pose_buffer_interpolates_and_rejects_what_it_cannot_answer():
    buf = PoseBuffer(max_age_s=5.0)
    buf.add(1.0, pose(0.0, [0, 0, 0]))
    buf.add(2.0, pose(1.0, [2, 0, 0]))
    mid = buf.at(1.25)
    assert np.allclose(mid[:3, 3], [0.5, 0, 0])
    angle = geodesic_angle(torch.from_numpy(mid[:3, :3]), torch.eye(3, dtype=torch.float64))
    assert math.isclose(float(angle), 0.25, abs_tol=1e-6)
    with pytest.raises(LookupError):
        buf.at(2.5)
    assert np.allclose(buf.at(2.05, tolerance_s=0.1), buf.at(2.0))
    with pytest.raises(ValueError, match="older"):
        buf.add(1.5, pose(0.0, [0, 0, 0]))
    with pytest.raises(ValueError, match="finite"):
        buf.add(3.0, np.full((4, 4), np.nan))
    buf.add(9.0, pose(0.0, [0, 0, 0]))
    assert len(buf) == 1 and buf.latest_stamp == 9.0         # older than 5 s: dropped


def test_track_stream_resamples_a_10fps_track_onto_the_30fps_grid():
    cam = lambda t: np.eye(4)  # noqa: E731
    track = TrackStream(1, fps=30.0, capacity=64, max_gap_s=0.3)
    kp = lambda u, c=1.0: np.array([[u, 10.0, c], [u, 20.0, c]], np.float32)  # noqa: E731
    box = np.array([0, 0, 10, 10], np.float32)
    for i, u in enumerate([0.0, 30.0, 60.0]):
        track.add_observation(i / 10, kp(u), box, np.eye(3), cam)
    assert track.num_frames == 7                               # 0, 1/30, ..., 6/30
    u = [f.keypoints[0, 0] for f in track.frames]
    assert np.allclose(u, [0, 10, 20, 30, 40, 50, 60], atol=1e-3)
    assert [f.observed for f in track.frames] == [True, False, False] * 2 + [True]  # interpolated
    track.add_observation(1.2, kp(90.0), box, np.eye(3), cam)  # a 1 s gap: not interpolated
    gap = list(track.frames)[7:]
    assert len(gap) == 30 and gap[-1].observed and np.allclose(gap[-1].keypoints[0, 0], 90)
    assert all(f.keypoints[:, 2].max() == 0 and not f.observed for f in gap[:-1])
    assert all(np.isnan(f.bbox).all() for f in gap[:-1])


def test_root_alignment_recovers_the_pelvis_the_keypoints_imply():
    rng = np.random.default_rng(0)
    n, P = 20, 12
    K = np.array([[800.0, 0, 400], [0, 800, 300], [0, 0, 1]])
    truth = np.array([0.6, 0.3, 9.0]) + rng.normal(0, 0.05, (n, 3))      # (T, 3)
    rel = rng.uniform(-0.5, 0.5, (n, P, 3)) * [0.5, 1.6, 0.3]            # (T, P, 3)
    uvw = (truth[:, None] + rel) @ K.T
    keypoints = np.concatenate([uvw[..., :2] / uvw[..., 2:], np.ones((n, P, 1))], -1)
    keypoints[5, :10, 2] = 0.0                 # a frame with too few keypoints: carried over
    model_pelvis = truth * 0.6 + [0.15, -0.1, 0.0]       # too near and off to the side
    aligner = RootAligner(depth_window=30, shift_window=1, min_confidence=0.5)
    aligned = aligner(model_pelvis, rel, keypoints, np.broadcast_to(K, (n, 3, 3)))
    ok = np.arange(n) != 5
    assert np.abs(aligned[ok] - truth[ok]).max() < 0.1      # depth: median of 1/0.6 scales
    uv = (aligned[:, None] + rel) @ K.T
    err = np.linalg.norm(uv[..., :2] / uv[..., 2:] - keypoints[..., :2], axis=-1)
    assert np.median(err[ok]) < 2.0                          # pixels
    assert np.isfinite(aligned).all()


@pytest.fixture(scope="module")
def sequence(body_model):
    clip = load_split("test", body_model, CorpusConfig(fps=FPS))[1].slice(0, T)
    fmt = keypoint_format("mediapipe33")
    geo = prepare_clip(clip, body_model, fmt)
    return make_batch(np.random.default_rng(3), [(geo, 0)], T, fmt, rig_kind="mobile_base")


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return load_checkpoint(default_checkpoint("lite"))


def stream(model, seq, cfg, every=1, track_ids=(7,), on_update=None):
    engine = StreamingEngine(model, cfg)
    results = []
    K = seq.K[0].numpy()
    for t in range(0, T, every):
        people = [PersonObservation(tid, seq.keypoints[0, t].numpy(), None) for tid in track_ids]
        results += engine.update(t / FPS, seq.T_world_camera[0, t].numpy(), K, people)
        if on_update:
            on_update(engine, t)
    return engine, results + engine.flush()


def truth(seq):
    return (seq.truth.pelvis_camera[..., None, :] + seq.truth.joints_rel)[0].numpy()


def test_engine_publishes_every_frame_once_in_order_and_accurately(model, sequence):
    lag_ok = []

    def check_lag(engine, t):
        tr = engine.tracks.get(7)
        if tr is not None:
            lag_ok.append(tr.num_emitted <= max(tr.num_frames - 8, 0))

    engine, res = stream(model, sequence, StreamingConfig(stride=16, lag=8), on_update=check_lag)
    assert [r.frame for r in res] == list(range(T))
    assert np.allclose([r.stamp for r in res], np.arange(T) / FPS)
    assert all(lag_ok) and len(lag_ok) == T
    assert engine.stats.runs == T // 16 + 1                # every 16 grid frames + the flush
    J = np.stack([r.joints_camera for r in res])
    for r in res[:3]:
        assert np.isfinite(r.joints_world).all() and r.betas.shape == (10,)
        assert r.body_pose.shape == (63,) and r.joint_source.shape == (22,)
    err = mpjpe(J, truth(sequence)).mean()
    # measured 65 mm for the shipped lite model on this one clip (earlier ones: 58 and 48 mm;
    # over the test split they improved in turn, so one clip is a loose judge)
    assert err < 100.0, f"streaming MPJPE {err:.0f} mm"
    pelvis_world = np.stack([r.pelvis_world for r in res])                   # (T, 3)
    # the chain of frames: each world pelvis is the camera-frame one (joint 0) mapped
    # through the camera pose at its stamp
    T_wc = sequence.T_world_camera[0].numpy()                                 # (T, 4, 4)
    mapped = np.einsum("tij,tj->ti", T_wc[:, :3, :3], J[:, 0]) + T_wc[:, :3, 3]
    assert np.abs(mapped - pelvis_world).max() < 1e-3
    world = np.linalg.norm(pelvis_world - sequence.world.pelvis_world[0].numpy(), axis=-1)
    # measured 0.70 m (earlier checkpoints: 0.43, 0.50, 0.48): the monocular depth of one
    # clip in which camera and person hardly move, so a loose bound
    assert world.mean() < 1.0, f"world pelvis error {world.mean():.2f} m"
    step = np.linalg.norm(np.diff(pelvis_world, axis=0), axis=-1)
    assert step.max() < 0.25, "the world filter jumps between chunks"


def test_runs_hand_over_without_a_jerk(model, sequence):
    """Where one run's published frames end and the next run's begin, the joints jump
    unless the new run's first frames are cross-faded from the previous run's look-ahead:
    the second difference there is smaller with blending (by 5 % or more), and no larger
    than twice its value elsewhere."""
    def handover_and_elsewhere(blend_frames):
        _, res = stream(model, sequence, StreamingConfig(stride=16, lag=8,
                                                         blend_frames=blend_frames))
        J = np.stack([r.joints_camera - r.joints_camera[:1] for r in res])   # (T, 22, 3)
        d2 = np.linalg.norm(J[2:] - 2 * J[1:-1] + J[:-2], axis=-1).mean(-1)  # (T-2,) at t+1
        firsts = range(8, T - 8, 16)          # first frame each run publishes after the first
        return (np.mean([max(d2[f - 2], d2[f - 1]) for f in firsts]), np.median(d2))

    hard, _ = handover_and_elsewhere(0)
    blended, elsewhere = handover_and_elsewhere(8)
    # measured 5.3 mm hard and 5.0 mm blended, 3.8 mm elsewhere (the shipped Stage 2: one
    # Euler step from 90 % estimation-mode training, whose runs disagree less, so the hard
    # hand-over jumps less too); the 10,000-step 2-step networks: 5.7, 4.7 and 3.3; the
    # 5,000-step ones: 4.8, 3.3 and 2.2
    assert blended < 0.95 * hard and blended < 2 * elsewhere, (hard, blended, elsewhere)


def test_engine_at_10fps_fills_the_model_grid(model, sequence):
    _, res = stream(model, sequence, StreamingConfig(stride=16, lag=0), every=3)
    last = (T - 1) // 3 * 3
    assert [r.frame for r in res] == list(range(last + 1))
    err = mpjpe(np.stack([r.joints_camera for r in res]), truth(sequence)[:last + 1]).mean()
    assert err < 120.0, f"MPJPE {err:.0f} mm from 10 fps observations"


def test_camera_and_world_outputs_put_a_person_in_one_place(model, sequence, body_model):
    """World joints = T_world_camera · camera joints for every published frame, also after
    re-expressing a result in a camera a few ms away (an image between grid frames), and
    the SMPL-X parameters in the camera frame rebuild those camera joints with smplx."""
    _, res = stream(model, sequence, StreamingConfig(stride=8, lag=4))

    def gap(r):                                              # (22,) m
        T = r.T_world_camera.astype(np.float64)
        return np.linalg.norm(r.joints_camera @ T[:3, :3].T + T[:3, 3] - r.joints_world, axis=-1)

    assert max(gap(r).max() for r in res) < 1e-3
    nearby = pose(0.05, [0.04, -0.02, 0.01]) @ res[60].T_world_camera.astype(np.float64)
    moved = res[60].seen_from(nearby)
    assert np.allclose(moved.T_world_camera, nearby) and gap(moved).max() < 1e-3
    assert np.abs(moved.joints_camera - res[60].joints_camera).max() > 0.03
    assert np.array_equal(moved.joints_world, res[60].joints_world)
    R_world_root = nearby[:3, :3] @ axis_angle_to_matrix(
        torch.from_numpy(moved.global_orient_camera).double()).numpy()
    assert np.allclose(R_world_root, axis_angle_to_matrix(
        torch.from_numpy(res[60].global_orient_world).double()).numpy(), atol=1e-5)
    for r in (res[60], moved):
        out = body_model(torch.from_numpy(r.betas), torch.from_numpy(r.global_orient_camera),
                         torch.from_numpy(r.body_pose), torch.from_numpy(r.transl_camera))
        assert np.abs(out.joints[:22].numpy() - r.joints_camera).max() < 2e-3


def test_tracks_are_batched_and_idle_tracks_finish(model, sequence):
    engine = StreamingEngine(model, StreamingConfig(stride=16, lag=0, max_idle_s=0.5))
    K = sequence.K[0].numpy()
    out = []
    for t in range(90):
        people = [PersonObservation(1, sequence.keypoints[0, t].numpy(), None)]
        if t < 40:
            people.append(PersonObservation(2, sequence.keypoints[0, t].numpy(), None))
        out += engine.update(t / FPS, sequence.T_world_camera[0, t].numpy(), K, people)
        if t == 31:
            assert engine.stats.last_batch == 2            # both tracks in one forward pass
    by_track = {tid: [r.frame for r in out if r.track_id == tid] for tid in (1, 2)}
    assert by_track[2] == list(range(40))                  # finished after 0.5 s unseen
    assert 2 not in engine.tracks and engine.stats.tracks_finished == 1
    a = {r.frame: r.joints_camera for r in out if r.track_id == 1}
    b = {r.frame: r.joints_camera for r in out if r.track_id == 2}
    # same observations in one batch: the two tracks agree up to the sampling noise (each
    # batch element draws its own): measured 9 mm mean root-relative, 35 mm at the pelvis
    rel = lambda j: j - j[:1]  # noqa: E731
    assert np.linalg.norm(rel(a[10]) - rel(b[10]), axis=-1).mean() < 0.02
    assert np.linalg.norm(a[10][0] - b[10][0]) < 0.1


def test_an_unseen_persons_held_back_frames_go_out_and_the_track_goes_on(model, sequence):
    """Person 2 is unseen from frame 40 to 51 (0.4 s): once unseen_wait_s (0.3 s) has
    passed, the frames the lag held back are published (with waiting only until the
    person came back); when they return the track goes on, every frame published once.
    Person 3, seen in frames 60-61 (too few to run) and again from 80, is dropped 0.3 s
    after frame 61 and starts afresh."""
    def run(unseen_wait_s):
        engine = StreamingEngine(model, StreamingConfig(stride=8, lag=4,
                                                        unseen_wait_s=unseen_wait_s))
        K = sequence.K[0].numpy()
        published_at, third = {}, []        # track 2's frame -> image it came with; track 3's

        def collect(results, t):
            for r in results:
                if r.track_id == 2:
                    assert r.frame not in published_at
                    published_at[r.frame] = t
                elif r.track_id == 3:
                    third.append(round(r.stamp * FPS))

        for t in range(90):
            people = [PersonObservation(1, sequence.keypoints[0, t].numpy(), None)]
            if not 40 <= t < 52:
                people.append(PersonObservation(2, sequence.keypoints[0, t].numpy(), None))
            if t in (60, 61) or t >= 80:
                people.append(PersonObservation(3, sequence.keypoints[0, t].numpy(), None))
            collect(engine.update(t / FPS, sequence.T_world_camera[0, t].numpy(), K, people), t)
            if t == 70 and unseen_wait_s < 0.5:     # 0.3 s after frame 61
                assert 3 not in engine.tracks and engine.stats.short_tracks_dropped == 1
        collect(engine.flush(), 90)
        return engine, published_at, third

    engine, at, third = run(0.3)
    assert sorted(at) == list(range(90)) and engine.stats.unseen_runs == 1
    assert third == list(range(80, 90))
    assert max(at[f] for f in range(40)) == 48          # 0.3 s (9 frames) after frame 39
    waiting, at, _ = run(1.0)                            # the engine's idle time: no early run
    assert sorted(at) == list(range(90)) and waiting.stats.unseen_runs == 0
    assert max(at[f] for f in range(40)) >= 52           # until the person came back


def test_a_track_the_tracker_deleted_leaves_the_engine_at_once(model, sequence):
    """Person B appears in two images only: the tracker deletes the tentative track at its
    first miss, and the engine lets go of it on that image, not after max_idle_s (images
    that list B would wait for it until then)."""
    K = sequence.K[0].numpy()
    size = (int(2 * K[0, 2]), int(2 * K[1, 2]))
    pipeline = HumanPipeline(None, MultiPersonTracker(), StreamingEngine(model, StreamingConfig()))

    def person(t, shift):
        kp = sequence.keypoints[0, t].numpy().copy()
        kp[:, 0] += shift
        return PersonDetection(box_around(kp), kp, 1.0, "mediapipe33")

    for t in range(4):
        people = [person(t, 0.0)] + ([person(t, 300.0)] if t < 2 else [])
        out = pipeline.process(KeypointsFrame(size, people), t / FPS, K,
                               sequence.T_world_camera[0, t].numpy())
        ids = {tr.track_id for tr in out.tracks}
        assert pipeline.live_tracks() == ids, t
        assert len(ids) == (2 if t < 2 else 1)
    assert pipeline.engine.stats.short_tracks_dropped == 1


def test_a_padded_window_gives_what_it_gives_alone(model, sequence):
    """A young track shares its pass with older ones: its window is padded in front (its
    first frame repeated) and masked, and its real frames come out as if run alone."""
    def inputs(frames):
        idx = torch.as_tensor(frames)
        return build_inputs(sequence.keypoints[:, idx], sequence.K[:, None].expand(
            1, len(idx), 3, 3), sequence.T_world_camera[:, idx])

    alone = inputs(range(24, 64))                                         # 40 frames
    batch = FrameInputs.cat([inputs(range(64)), inputs([24] * 24 + list(range(24, 64)))])
    mask = torch.ones(2, 64, dtype=torch.bool)
    mask[1, :24] = False
    opts = model.default_sampling(temperature=0.0)     # no noise: the same start both ways
    with torch.no_grad():
        a_alone, a_batch = model.anchor(alone), model.anchor(batch, mask)
        x_alone = model.complete(alone, a_alone, opts)[0, 0]
        x_batch = model.complete(batch, a_batch, opts, frame_mask=mask)[0]
        unmasked = model.anchor(batch)
    assert torch.allclose(a_batch[1, 24:], a_alone[0], atol=1e-5)
    assert torch.allclose(x_batch[1, 24:], x_alone, atol=1e-4)
    assert not torch.allclose(unmasked[1, 24:], a_alone[0], atol=1e-3)   # padding would leak


def test_young_and_old_tracks_run_in_one_pass(model, sequence):
    engine = StreamingEngine(model, StreamingConfig(stride=16, lag=0))
    K = sequence.K[0].numpy()
    for t in range(80):
        people = [PersonObservation(1, sequence.keypoints[0, t].numpy(), None)]
        if t >= 50:
            people.append(PersonObservation(2, sequence.keypoints[0, t].numpy(), None))
        engine.update(t / FPS, sequence.T_world_camera[0, t].numpy(), K, people)
        if t == 63:                    # track 1 has 64 frames, track 2 14 (half-way due)
            assert engine.stats.last_batch == 2
    assert engine.stats.runs == 5                           # t = 15, 31, 47, 63, 79


def test_time_going_backwards_is_refused_until_reset(model, sequence):
    engine = StreamingEngine(model, StreamingConfig())
    K = sequence.K[0].numpy()
    obs = [PersonObservation(1, sequence.keypoints[0, 0].numpy(), None)]
    engine.update(5.0, sequence.T_world_camera[0, 0].numpy(), K, obs)
    with pytest.raises(ValueError, match="older"):
        engine.update(4.0, sequence.T_world_camera[0, 0].numpy(), K, obs)
    engine.reset()
    engine.update(4.0, sequence.T_world_camera[0, 0].numpy(), K, obs)
    assert engine.tracks[1].num_frames == 1


def test_hypotheses_give_a_spread_only_where_stage2_completes(model, sequence):
    """Without a calibrated table (a copy of the model without it) the published
    uncertainty is the hypotheses' spread: zero on the torso (the anchor is known), about
    a millimetre on the limbs Stage 2 samples. (With the shipped table it is added in
    quadrature to a radius of tenths of a metre: test_joint_uncertainty.py.)"""
    uncalibrated = copy.copy(model)
    uncalibrated.meta = {}
    cfg = StreamingConfig(stride=32, lag=0, hypotheses=3, min_frames=32)
    _, res = stream(uncalibrated, sequence, cfg)
    spread = np.stack([r.joint_uncertainty for r in res])        # (T, 22)
    src = res[0].joint_source.astype(bool)
    assert np.isfinite(spread).all()
    assert spread[:, ~src].max() < 1e-5                          # torso: the anchor is known
    # limbs are sampled; at the shipped temperature 0.25 their spread is about 1 mm
    assert spread[:, src].mean() > 2e-4


def test_camera_poses_interpolate_odometry_and_compose_the_extrinsics():
    from fhmr_ros.streaming.camera_pose import (CameraPoses, NotYetAvailable,
                                                pose_from_xyz_quaternion, static_world_camera)
    optical = pose_from_xyz_quaternion([0.1, 0.0, 1.0, -0.5, 0.5, -0.5, 0.5])
    assert np.allclose(optical[:3, 2], [1, 0, 0])        # optical z looks along base +x
    assert np.allclose(optical[:3, 1], [0, 0, -1])       # optical y points down
    poses = CameraPoses(optical, static_world_camera(0.0, 1.5), use_odometry=True)
    with pytest.raises(NotYetAvailable):
        poses.at(1.0)
    poses.add_odometry(1.0, pose(0.0, [0, 0, 0]))
    poses.add_odometry(2.0, pose(math.pi / 2, [2, 0, 0]))
    T = poses.at(1.5)                                     # halfway: 1 m along, turned 45°
    assert np.allclose(T[:3, 3], [1 + 0.1 * math.cos(math.pi / 4),
                                  0.1 * math.sin(math.pi / 4), 1.0])
    assert np.allclose(T[:3, 2], [math.cos(math.pi / 4), math.sin(math.pi / 4), 0])
    with pytest.raises(NotYetAvailable):
        poses.at(2.5)
    with pytest.raises(ValueError):
        pose_from_xyz_quaternion([0, 0, 0, 0, 0, 0, 0])
    static = CameraPoses(optical, static_world_camera(20.0, 3.0), use_odometry=False)
    assert np.isclose(static.at(123.0)[2, 3], 3.0)


def test_transform_tree_composes_static_and_stamped_links_as_tf_does():
    from fhmr_ros.streaming.transform_tree import NotYetAvailable, TransformTree

    tree = TransformTree(max_age_s=5.0)
    tree.add("base", "mount", 0.0, pose(0.0, [0.2, 0.0, 1.0]), static=True)
    tree.add("mount", "head", 1.0, pose(0.0, [0.0, 0.0, 0.1]), static=False)  # a pan joint
    tree.add("mount", "head", 2.0, pose(math.pi / 2, [0.0, 0.0, 0.1]), static=False)
    tree.add("head", "camera", 0.0, pose(0.0, [0.05, 0.0, 0.0]), static=True)
    tree.add("base", "arm", 0.0, pose(0.0, [0.0, 0.3, 0.5]), static=True)
    T = tree.lookup("base", "camera", 1.5)               # the head turned 45° by then
    c = math.cos(math.pi / 4)
    assert np.allclose(T[:3, 3], [0.2 + 0.05 * c, 0.05 * c, 1.1])
    assert np.allclose(T[:3, 0], [c, c, 0])
    sideways = tree.lookup("arm", "camera", 1.5)         # through the common ancestor "base"
    assert np.allclose(np.linalg.inv(tree.lookup("base", "arm", 1.5)) @ T, sideways)
    assert np.allclose(tree.lookup("camera", "base", 1.5), np.linalg.inv(T))
    with pytest.raises(NotYetAvailable, match="not reached"):
        tree.lookup("base", "camera", 2.5)               # the pan joint has not reported yet
    with pytest.raises(NotYetAvailable, match="no transform chain"):
        tree.lookup("base", "elsewhere", 1.5)
    with pytest.raises(LookupError):
        tree.lookup("base", "camera", 0.5)               # before the buffered pan angles
    with pytest.raises(ValueError, match="loop"):
        tree.add("camera", "base", 0.0, np.eye(4), static=True)
    with pytest.raises(ValueError, match="rigid"):
        tree.add("base", "bad", 0.0, 2 * np.eye(4), static=True)
    tree.add("base", "ghost", 2.0, np.eye(4), static=False)
    tree.add("mount", "head", 9.0, pose(0.0, [0.0, 0.0, 0.1]), static=False)
    assert "ghost" not in tree and "head" in tree         # not updated for > 5 s: forgotten
    tree.clear_stamped()                                  # static links stay
    assert np.allclose(tree.lookup("base", "mount", 0.0)[:3, 3], [0.2, 0.0, 1.0])
    with pytest.raises(NotYetAvailable):
        tree.lookup("base", "camera", 9.0)


def test_the_floor_is_z_0_of_the_floor_frame_where_tf_has_it():
    """floor_frame (REP-120's base_footprint): its origin in the world at the image stamp,
    through the odometry of base_frame; until TF has it, the configured floor_height_m; an
    image past the odometry keeps the last height found."""
    from fhmr_ros.streaming.camera_pose import CameraPoses, static_world_camera

    poses = CameraPoses(np.eye(4), static_world_camera(0.0, 1.5), use_odometry=True,
                        base_frame="base_link", floor_frame="base_footprint", floor_z=0.25)
    assert poses.needs_transforms                       # for the floor, not the extrinsics
    poses.add_odometry(1.0, pose(0.0, [0.0, 0.0, 0.0]))  # a world whose origin is the pelvis
    poses.add_odometry(2.0, pose(0.3, [1.0, 0.0, 0.0]))
    assert poses.floor_height(1.5) == 0.25 and "floor_height_m" in poses.floor_source
    poses.add_transform("base_footprint", "base_link", 0.0, pose(0.0, [0.0, 0.0, 0.93]),
                        static=True)
    assert poses.floor_height(1.5) == pytest.approx(-0.93)
    assert poses.floor_source == "base_footprint (TF)"
    assert poses.floor_height(2.5) == pytest.approx(-0.93)        # beyond the odometry
    level = CameraPoses(np.eye(4), static_world_camera(0.0, 1.5), use_odometry=True,
                        floor_frame="")
    assert not level.needs_transforms and level.floor_height(1.0) == 0.0


def test_camera_poses_take_the_extrinsics_from_tf_and_say_what_is_missing():
    from fhmr_ros.streaming.camera_pose import (CameraPoseError, CameraPoses, MissingInput,
                                                pose_from_xyz_quaternion, static_world_camera)
    optical = pose_from_xyz_quaternion([0.1, 0.0, 1.0, -0.5, 0.5, -0.5, 0.5])
    poses = CameraPoses(None, static_world_camera(0.0, 1.5), use_odometry=True,
                        base_frame="base_link")
    assert poses.needs_transforms
    poses.add_odometry(1.0, pose(0.0, [0, 0, 0]))
    poses.add_odometry(2.0, pose(math.pi / 2, [2, 0, 0]))
    with pytest.raises(MissingInput) as missing:
        poses.at(1.5, "cam")
    assert missing.value.what == "extrinsics" and "camera_extrinsics" in str(missing.value)
    poses.add_transform("base_link", "cam", 0.0, optical, static=True)
    fixed = CameraPoses(optical, static_world_camera(0.0, 1.5), use_odometry=True)
    fixed.add_odometry(1.0, pose(0.0, [0, 0, 0]))
    fixed.add_odometry(2.0, pose(math.pi / 2, [2, 0, 0]))
    assert np.allclose(poses.at(1.5, "cam"), fixed.at(1.5))
    with pytest.raises(MissingInput) as missing:
        poses.at(2.5, "cam")
    assert missing.value.what == "odometry"
    with pytest.raises(CameraPoseError) as never:
        poses.at(1.5, "")                                 # no frame id: nothing to look up
    assert never.value.what == "extrinsics" and not isinstance(never.value, MissingInput)


def test_frame_assembler_releases_complete_images_in_order(model, sequence):
    from fhmr_ros.streaming.frame_assembler import FrameAssembler, ImageFrame

    engine = StreamingEngine(model, StreamingConfig(stride=8, lag=4))
    assembler = FrameAssembler(FPS, max_wait_s=5.0)
    K = sequence.K[0].numpy()
    released = []
    for t in range(40):
        stamp = t / FPS
        people = [PersonObservation(tid, sequence.keypoints[0, t].numpy(), None)
                  for tid in ((1, 2) if t < 30 else (1,))]
        res = engine.update(stamp, sequence.T_world_camera[0, t].numpy(), K, people)
        assembler.register(ImageFrame(stamp, sequence.T_world_camera[0, t].numpy(), K,
                                      {p.track_id: {"state": "confirmed"} for p in people}))
        assembler.add(res)
        released += assembler.release(set(engine.tracks), stamp)
    assembler.add(engine.flush())
    released += assembler.release(set(), float("inf"))
    assert [round(f.stamp * FPS) for f in released] == list(range(40))
    assert all(set(f.results) == set(f.expected) for f in released)
    assert sum(len(f.results) for f in released) == 30 * 2 + 10
    assert assembler.released_incomplete == 0 and len(assembler) == 0


def test_a_person_missed_in_an_image_is_published_with_it_as_lost(model, sequence):
    """Track 2 is not detected in images 20-22: the engine interpolates its states there,
    and they join those images (tracking state "lost") instead of being left out."""
    from fhmr_ros.streaming.frame_assembler import FrameAssembler, ImageFrame

    engine = StreamingEngine(model, StreamingConfig(stride=8, lag=4))
    assembler = FrameAssembler(FPS, unlisted=lambda r: {"state": "lost"})
    K = sequence.K[0].numpy()
    released, dropped = [], 0
    for t in range(40):
        people = [PersonObservation(tid, sequence.keypoints[0, t].numpy(), None)
                  for tid in ((1,) if 20 <= t <= 22 else (1, 2))]
        res = engine.update(t / FPS, sequence.T_world_camera[0, t].numpy(), K, people)
        assembler.register(ImageFrame(t / FPS, sequence.T_world_camera[0, t].numpy(), K,
                                      {p.track_id: {"state": "confirmed"} for p in people}))
        dropped += assembler.add(res)
        released += assembler.release(set(engine.tracks), t / FPS)
    dropped += assembler.add(engine.flush())
    released += assembler.release(set(), float("inf"))
    assert dropped == 0
    missed = [f for f in released if 20 <= round(f.stamp * FPS) <= 22]
    assert [f.expected[2]["state"] for f in missed] == ["lost"] * 3
    assert all(not f.results[2].observed for f in missed)
    assert sum(len(f.results) for f in released) == 80


def test_a_run_holds_the_latest_published_frames_known_when_asked(model, sequence,
                                                                 monkeypatch):
    """known_frames = K: every Stage 2 call holds exactly the latest min(K, published)
    frames of its window fully known, those just before the first unpublished frame; the
    default holds none (Stage 2 then knows only the anchor)."""
    calls = []
    complete = model.complete

    def recording(inputs, anchor, opts, x_known=None, known=None, frame_mask=None):
        calls.append(known[0].all(-1).clone())                  # (T,) fully known frames
        return complete(inputs, anchor, opts, x_known, known, frame_mask)

    monkeypatch.setattr(model, "complete", recording)
    W = model.cfg.window
    blocks = {}                                  # K -> (first, last) held frame per full run
    for K in (0, 6, 1000):
        calls.clear()
        engine, res = stream(model, sequence, StreamingConfig(stride=8, lag=4, known_frames=K))
        assert len(res) == T and len(calls) == engine.stats.runs
        full = [torch.nonzero(c).flatten().tolist() for c in calls if len(c) == W]
        assert len(full) > 10
        for idx in full:                                        # one block, no gaps
            assert idx == list(range(idx[0], idx[0] + len(idx))) if idx else True
        blocks[K] = [(idx[0], idx[-1]) if idx else None for idx in full]
    assert all(b is None for b in blocks[0])
    assert all(b is not None and b[0] == 0 for b in blocks[1000])   # every published frame
    # the latest 6 of them: the same last frame, just before the first unpublished one
    assert blocks[6] == [(last - 5, last) for _, last in blocks[1000]]
    with pytest.raises(ValueError, match="known_frames"):
        StreamingConfig(known_frames=-1)
