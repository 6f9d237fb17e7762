"""fhmr-export: AMASS npz, BVH and joint tables round trips (our readers and an independent
BVH reader from PyPI), the clean-up's measured gains on a synthetic walk with known foot
contacts, recordings of the node's ~/humans, and clear errors for bad input."""

import json

import numpy as np
import pytest
import torch

from fhmr_ros.body.skeleton import BODY_JOINT_NAMES
from fhmr_ros.data.amass import load_amass
from fhmr_ros.data.bvh import forward_kinematics, read_bvh
from fhmr_ros.data.procedural import procedural_clips
from fhmr_ros.evaluation.metrics import FOOT_JOINTS, contact_labels, foot_sliding, jitter
from fhmr_ros.export.amass_writer import write_amass
from fhmr_ros.export.bvh_writer import UNITS_PER_M, Z_UP_TO_Y_UP, write_bvh
from fhmr_ros.export.clean_up import CleanUpConfig, clean_up, uniform_segments, world_joints
from fhmr_ros.export.joint_tables import write_tables
from fhmr_ros.export.person_track import PersonTrack
from fhmr_ros.tools.export import main as export_main

FPS = 30.0
NO_CLEAN_UP = CleanUpConfig(constant_betas=False, smooth=False, foot_contact=False)


@pytest.fixture(scope="module")
def walk(body_model) -> PersonTrack:
    """A held-out procedural motion, 4 s at 30 fps, as a track (the truth)."""
    clip = procedural_clips(1, seed=3, split="test", body_model=body_model)[0]
    clip = clip.resample(FPS).slice(0, 120)
    T = clip.num_frames
    return PersonTrack(7, 100.0 + np.arange(T) / FPS, np.tile(clip.betas, (T, 1)),
                       clip.global_orient, clip.body_pose.reshape(T, 63), clip.transl)


def as_track(clip, track_id=7) -> PersonTrack:
    T = clip.num_frames
    return PersonTrack(track_id, np.arange(T) / clip.fps, np.tile(clip.betas, (T, 1)),
                       clip.global_orient, clip.body_pose.reshape(T, 63), clip.transl)


def test_amass_npz_reads_back_to_the_same_joints(tmp_path, walk, body_model):
    path = write_amass(tmp_path / "body_7.npz", walk, FPS)
    with np.load(path) as z:
        assert z["poses"].shape == (120, 165) and not z["poses"][:, 66:].any()
        assert z["pose_body"].shape == (120, 63) and z["root_orient"].shape == (120, 3)
        assert str(z["gender"]) == "neutral" and str(z["surface_model_type"]) == "smplx"
        assert float(z["mocap_frame_rate"]) == FPS and z["betas"].shape == (10,)
    clip = load_amass(path)                      # the project's own AMASS reader
    err = np.abs(world_joints(as_track(clip), body_model) - world_joints(walk, body_model))
    assert clip.fps == FPS and err.max() < 1e-3


def test_bvh_forward_kinematics_give_the_smplx_joints_and_bvhio_agrees(tmp_path, walk,
                                                                      body_model):
    import bvhio

    path = write_bvh(tmp_path / "body_7.bvh", walk, FPS, body_model)
    joints = world_joints(walk, body_model) @ Z_UP_TO_Y_UP.T * UNITS_PER_M   # (T, 22, 3) cm
    bvh = read_bvh(path)                                                     # our parser
    assert sorted(n for n in bvh.names if not n.endswith(":end")) == sorted(BODY_JOINT_NAMES)
    assert bvh.frame_time == pytest.approx(1 / FPS) and bvh.num_frames == 120
    ours = forward_kinematics(bvh).positions[:, [bvh.index(n) for n in BODY_JOINT_NAMES]]
    assert np.abs(ours - joints).max() < 0.1                                 # 1 mm
    root = bvhio.readAsHierarchy(str(path))                                  # someone else's
    for frame in (0, 57, 119):
        root.loadPose(frame)
        theirs = {j.Name: np.array(j.PositionWorld) for j, _, _ in root.layout()}
        got = np.stack([theirs[n] for n in BODY_JOINT_NAMES])
        assert np.abs(got - joints[frame]).max() < 0.1, frame


def test_a_knee_bent_square_goes_through_bvh_exactly_and_quietly(tmp_path, walk,
                                                                  body_model):
    """Knee flexion of 90° about x is the ZXY order's gimbal lock: still exact, no warning."""
    import warnings

    pose = walk.body_pose.copy()
    pose[:, 9:12] = [np.pi / 2, 0.0, 0.0]                       # left knee (joint 4)
    bent = PersonTrack(7, walk.stamps, walk.betas, walk.global_orient, pose, walk.transl)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = write_bvh(tmp_path / "bent.bvh", bent, FPS, body_model)
    bvh = read_bvh(path)
    ours = forward_kinematics(bvh).positions[:, [bvh.index(n) for n in BODY_JOINT_NAMES]]
    joints = world_joints(bent, body_model) @ Z_UP_TO_Y_UP.T * UNITS_PER_M
    assert np.abs(ours - joints).max() < 0.1


def test_joint_tables_hold_the_angles_and_world_joints(tmp_path, walk, body_model):
    joints = world_joints(walk, body_model)
    csv, npz = write_tables(tmp_path / "body_7", walk, joints, FPS)
    header = csv.read_text().splitlines()[0].split(",")
    table = np.loadtxt(csv, delimiter=",", skiprows=1)
    assert header[:4] == ["time", "pelvis_rx", "pelvis_ry", "pelvis_rz"]
    assert header[-1] == "right_wrist_z" and table.shape == (120, 1 + 66 + 66)
    np.testing.assert_allclose(table[:, 67:].reshape(-1, 22, 3), joints, atol=1e-5)
    with np.load(npz) as z:
        np.testing.assert_allclose(z["joints_world"], joints)
        np.testing.assert_allclose(z["joint_angles"][:, 0], walk.global_orient)


def test_gaps_are_filled_or_split_and_betas_made_constant(walk, body_model):
    short = walk.take(np.r_[0:30, 36:120])                  # a 0.2 s gap
    filled = uniform_segments(short, FPS, max_gap_s=0.5)
    assert len(filled) == 1 and filled[0].num_frames == 120
    gap = np.linalg.norm(world_joints(filled[0], body_model) - world_joints(walk, body_model),
                         axis=-1)[30:36]                 # (6, 22) m, interpolated frames
    assert gap[:, 0].max() < 0.02 and gap.mean() < 0.05   # pelvis close, limbs near
    assert len(uniform_segments(short, FPS, max_gap_s=0.0)) == 2   # filling off: split
    long = walk.take(np.r_[0:30, 70:120])                    # a 1.3 s gap: two motions
    assert [s.num_frames for s in uniform_segments(long, FPS, 0.5)] == [30, 50]
    varied = PersonTrack(7, walk.stamps, walk.betas + np.random.default_rng(0).normal(
        0, 0.3, walk.betas.shape), walk.global_orient, walk.body_pose, walk.transl)
    (segment,) = clean_up(varied, body_model, CleanUpConfig(smooth=False, foot_contact=False))
    assert np.ptp(segment.track.betas, axis=0).max() == 0


def test_clean_up_removes_foot_sliding_jitter_and_ground_penetration(walk, body_model):
    """The walk with estimation-like errors: per-frame noise on the root and the joints, a
    slow drift, and the body 4 cm too low. Measured against the true foot contacts."""
    rng = np.random.default_rng(1)
    T = walk.num_frames
    drift = np.stack([np.linspace(0, 0.15, T), np.zeros(T), np.full(T, -0.04)], -1)
    noisy = PersonTrack(7, walk.stamps, walk.betas, walk.global_orient + rng.normal(
        0, 0.02, (T, 3)), walk.body_pose + rng.normal(0, 0.03, (T, 63)),
        walk.transl + drift + rng.normal(0, 0.015, (T, 3)))
    truth = world_joints(walk, body_model)
    contacts = contact_labels(truth, fps=FPS)
    before = world_joints(noisy, body_model)
    (segment,) = clean_up(noisy, body_model)
    after = world_joints(segment.track, body_model)
    slide = lambda j: np.nanmean(foot_sliding(j, contacts))  # noqa: E731
    print(f"foot sliding {slide(before):.1f} -> {slide(after):.1f} mm/frame (truth "
          f"{slide(truth):.1f}); jitter {jitter(before, FPS).mean():.1f} -> "
          f"{jitter(after, FPS).mean():.1f} (truth {jitter(truth, FPS).mean():.1f}); lowest "
          f"foot joint {before[:, FOOT_JOINTS, 2].min():.3f} -> {after[:, FOOT_JOINTS, 2].min():.3f} m")
    assert slide(after) < 0.5 * slide(before)
    assert jitter(after, FPS).mean() < 0.2 * jitter(before, FPS).mean()
    assert before[:, FOOT_JOINTS, 2].min() < -0.01 and after[:, FOOT_JOINTS, 2].min() >= -1e-6
    assert np.abs(after - truth).mean() < np.abs(before - truth).mean() + 0.01


def test_fhmr_export_on_results_npz_writes_every_format_and_a_summary(tmp_path, walk,
                                                                      body_model):
    results = tmp_path / "results.npz"
    rows = np.r_[0:120:3]                                     # 10 fps, like a video's frames
    lone = 500.0                                              # another person, one frame
    np.savez(results, track_id=np.r_[np.full(len(rows), 7), 9],
             stamp=np.r_[walk.stamps[rows], lone],
             betas=np.r_[walk.betas[rows], walk.betas[:1]],
             global_orient_world=np.r_[walk.global_orient[rows], walk.global_orient[:1]],
             body_pose=np.r_[walk.body_pose[rows], walk.body_pose[:1]],
             transl_world=np.r_[walk.transl[rows], walk.transl[:1]])
    out = tmp_path / "export"
    assert export_main([str(results), "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["body_b7.bvh", "body_b7.npz", "body_b7_joints.csv",
                     "body_b7_joints.npz", "summary.json"]    # track 9: one frame, skipped
    (entry,) = json.loads((out / "summary.json").read_text())["exports"]
    assert entry["frames"] == 40 and entry["fps"] == 10.0
    assert entry["lowest_foot_after_m"] >= -1e-6
    assert load_amass(out / "body_b7.npz").num_frames == 40


def test_a_recording_of_the_nodes_humans_exports_the_world_motion(tmp_path, walk,
                                                                   body_model):
    """HumanStateArrays as the node publishes them (camera-frame SMPL-X, world pelvis
    pose), seen by a camera that turns: the exported world motion is the truth."""
    from fhmr_ros.geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
    from fhmr_ros.msg import HumanStateArray
    from fhmr_ros.ros.humans_recording import tracks_from_recording
    from fhmr_ros.ros.mcap_io import McapRecorder
    from fhmr_ros.ros.messages import human_state_msg
    from fhmr_ros.ros.odometry import sec_to_stamp

    joints = world_joints(walk, body_model)
    rest = body_model.pelvis_offset(torch.from_numpy(walk.betas[0]).float()).double().numpy()
    path = tmp_path / "humans.mcap"
    with McapRecorder(path) as recorder:
        for t in range(0, 60, 3):
            yaw = 0.01 * t
            T_wc = np.eye(4)
            T_wc[:3, :3] = [[np.cos(yaw), 0, np.sin(yaw)], [-np.sin(yaw), 0, np.cos(yaw)],
                            [0, -1, 0]]                       # optical frame, z forward
            T_wc[:3, 3] = [0.0, 0.0, 1.2]
            R_cw, o = T_wc[:3, :3].T, T_wc[:3, 3]
            R_root = axis_angle_to_matrix(torch.from_numpy(walk.global_orient[t])).numpy()
            pelvis_cam = R_cw @ (joints[t, 0] - o)
            msg = HumanStateArray(world_frame_id="odom")
            msg.header.stamp = sec_to_stamp(walk.stamps[t])
            msg.humans = [human_state_msg(
                track_id=7, tracking_state=1, confidence=1.0, bbox=np.zeros(4),
                betas=walk.betas[t], global_orient=matrix_to_axis_angle(
                    torch.from_numpy(R_cw @ R_root)).numpy(),
                body_pose=walk.body_pose[t], transl=pelvis_cam - rest,
                joints_camera=(joints[t] - o) @ R_cw.T, T_world_camera=T_wc,
                joint_confidence=np.ones(22), joint_source=np.zeros(22, np.uint8),
                joint_uncertainty=np.zeros(0))]
            recorder.write("/robot/fhmr_node/humans", msg, int(walk.stamps[t] * 1e9))
    (track,) = tracks_from_recording(path)
    assert track.track_id == 7 and track.num_frames == 20
    err = np.abs(world_joints(track, body_model) - joints[0:60:3])
    assert err.max() < 1e-3


def test_bad_input_gives_a_clear_error(tmp_path, walk, capsys):
    from fhmr_ros.ros.mcap_io import McapRecorder
    from fhmr_ros.ros.odometry import odometry_msg, sec_to_stamp

    empty = tmp_path / "empty.mcap"
    with McapRecorder(empty):
        pass
    odom_only = tmp_path / "odom.mcap"
    with McapRecorder(odom_only) as recorder:
        recorder.write("/odom", odometry_msg(sec_to_stamp(1.0), np.eye(4), "odom", "base"),
                       10**9)
    one_frame = tmp_path / "results.npz"
    np.savez(one_frame, track_id=np.array([3]), stamp=walk.stamps[:1], betas=walk.betas[:1],
             global_orient_world=walk.global_orient[:1], body_pose=walk.body_pose[:1],
             transl_world=walk.transl[:1])
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    cases = [(empty, tmp_path / "o1", "empty recording"),
             (odom_only, tmp_path / "o2", "/odom"),
             (one_frame, tmp_path / "o3", "two frames"),
             (one_frame, blocker / "out", "a_file"),
             (tmp_path / "clip.txt", tmp_path / "o4", "no such file")]
    for source, out, says in cases:
        assert export_main([str(source), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert "fhmr-export: error:" in err and says in err and "Traceback" not in err, err


def test_a_floating_person_is_put_on_the_floor_under_the_feet_in_contact(walk, body_model):
    """The walk 1.2 m up in the air (as an uncalibrated camera puts people): the clean-up
    moves it down by 1.2 m, so that its feet in contact stand where the true walk's do
    (within 2 cm); with the floor step off it stays in the air."""
    lifted = PersonTrack(7, walk.stamps, walk.betas, walk.global_orient, walk.body_pose,
                         walk.transl + np.array([0.0, 0.0, 1.2]))
    truth = world_joints(walk, body_model)
    contacts = contact_labels(truth, fps=FPS).any(axis=1)              # (T,)
    (segment,) = clean_up(lifted, body_model, CleanUpConfig(smooth=False))
    after = world_joints(segment.track, body_model)
    low = lambda j: np.median(j[contacts][:, FOOT_JOINTS, 2].min(axis=1))  # noqa: E731
    print(f"floor shift {segment.floor_shift_m:.3f} m; feet in contact at {low(after):.3f} m, "
          f"the truth's at {low(truth):.3f} m")
    assert segment.floor_shift_m == pytest.approx(1.2, abs=0.02)
    assert abs(low(after) - low(truth)) < 0.02
    (kept,) = clean_up(lifted, body_model, CleanUpConfig(smooth=False, floor=False))
    assert low(world_joints(kept.track, body_model)) > 1.1


def test_exports_carry_the_foot_contacts_and_both_rate_keys(tmp_path, walk, body_model):
    (segment,) = clean_up(walk, body_model)
    joints = world_joints(segment.track, body_model)
    csv, npz = write_tables(tmp_path / "body_b7", segment.track, joints, FPS, segment.contacts)
    header = csv.read_text().splitlines()[0].split(",")
    table = np.loadtxt(csv, delimiter=",", skiprows=1)
    assert header[-2:] == ["left_foot_contact", "right_foot_contact"]
    np.testing.assert_array_equal(table[:, -2:], segment.contacts)
    assert segment.contacts.any(axis=0).all()                  # both feet touch down
    with np.load(npz) as z:
        np.testing.assert_array_equal(z["foot_contact"], segment.contacts)
    with np.load(write_amass(tmp_path / "body_b7.npz", segment.track, FPS)) as z:
        assert float(z["mocap_frame_rate"]) == float(z["mocap_framerate"]) == FPS


def test_fhmr_infer_predictions_export_as_one_person(tmp_path, walk):
    """fhmr-export PRED.npz --robot g1: the one person at the rate the file gives, also on
    the G1 with its picture; a PRED.npz without a rate needs --obs."""
    pred = dict(betas=walk.betas[0], global_orient_world=walk.global_orient,
                body_pose=walk.body_pose, transl_world=walk.transl)
    np.savez(tmp_path / "pred.npz", **pred, fps=np.float32(FPS))
    assert export_main([str(tmp_path / "pred.npz"), "--out", str(tmp_path / "out"),
                        "--robot", "g1"]) == 0
    (entry,) = json.loads((tmp_path / "out" / "summary.json").read_text())["exports"]
    assert entry["name"] == "body_b0" and entry["fps"] == FPS and entry["frames"] == 120
    assert {"body_b0_g1.npz", "body_b0_g1.csv", "body_b0_g1.png"} <= set(entry["files"])
    assert entry["g1"]["limit_violations"] == 0 and entry["g1"]["feet_within_5cm"] > 0.8
    np.savez(tmp_path / "old.npz", **pred)
    assert export_main([str(tmp_path / "old.npz"), "--out", str(tmp_path / "old")]) == 2


def test_a_walk_retargeted_onto_the_g1_keeps_limits_floor_and_scaled_steps(tmp_path, walk,
                                                                           body_model):
    """The held-out walk on the Unitree G1 (mink IK): no joint outside its range, no foot
    below the floor, the feet within 5 cm of the stature-scaled human's in most frames, and
    the distance walked scaled by the statures' ratio (within 5 %); the files as written."""
    from fhmr_ros.body.rest_measures import stature
    from fhmr_ros.export.humanoid_retarget import G1_STATURE_M, retarget_g1

    (segment,) = clean_up(walk, body_model)
    motion = retarget_g1(segment.track, body_model, FPS, segment.contacts)
    report = motion.report()
    print(report)
    assert motion.dof_pos.shape == (120, 29) and len(motion.joint_names) == 29
    assert report["limit_violations"] == 0 and report["lowest_foot_m"] > -1e-6
    assert report["feet_within_5cm"] > 0.8
    scale = G1_STATURE_M / stature(body_model, walk.betas[0])
    human = world_joints(segment.track, body_model)[:, 0, :2]
    walked = lambda p: np.linalg.norm(p[-1] - p[0])  # noqa: E731
    assert walked(motion.root_pos[:, :2]) == pytest.approx(scale * walked(human), rel=0.05)
    np.testing.assert_allclose(np.linalg.norm(motion.root_rot, axis=1), 1.0, atol=1e-9)
    npz, csv = motion.save(tmp_path / "walk_g1")
    rows = np.loadtxt(csv, delimiter=",")
    assert rows.shape == (120, 3 + 4 + 29)
    np.testing.assert_allclose(rows[:, 7:], motion.dof_pos, atol=1e-5)
    with np.load(npz) as z:
        assert list(z["joint_names"])[:2] == ["left_hip_pitch_joint", "left_hip_roll_joint"]


def test_a_person_drifting_upwards_has_every_contact_on_the_floor(walk, body_model):
    """The walk rising linearly by 0.6 m over its 4 s (the depth error of someone walking
    away from an elevated camera): after the clean-up the feet are on the floor at the
    true contacts all along (within 3 cm), not only on average."""
    rise = np.linspace(0.0, 0.6, walk.num_frames)[:, None] * np.array([0.0, 0.0, 1.0])
    drifting = PersonTrack(7, walk.stamps, walk.betas, walk.global_orient, walk.body_pose,
                           walk.transl + rise)
    truth = world_joints(walk, body_model)
    contacts = contact_labels(truth, fps=FPS).any(axis=1)
    (segment,) = clean_up(drifting, body_model, CleanUpConfig(smooth=False))
    after = world_joints(segment.track, body_model)
    low = lambda j: j[contacts][:, FOOT_JOINTS, 2].min(axis=1)  # noqa: E731
    assert np.abs(low(after) - low(truth)).max() < 0.03
