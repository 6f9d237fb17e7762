"""BVH parsing and forward kinematics, retargeting onto SMPL-X, the AMASS reader and the
mocap corpus split loader."""

import gzip
import json
import time
from dataclasses import replace

import numpy as np
import pytest
import torch

from fhmr_ros.body.skeleton import BODY_JOINT_NAMES, BODY_PARENTS, NUM_BODY_JOINTS, SMPLX_MIRROR
from fhmr_ros.data import mocap_corpus
from fhmr_ros.data.amass import AmassFormatError, load_amass
from fhmr_ros.data.bvh import BvhParseError, forward_kinematics, parse_bvh, read_bvh
from fhmr_ros.data.mirror import mirrored_clip
from fhmr_ros.data.mocap_corpus import (CorpusConfig, MocapCorpusError, chunk_clip,
                                        find_mocap_dir, load_split, read_splits, rig_map,
                                        split_files, subject_of)
from fhmr_ros.data.motion import MotionClip
from fhmr_ros.data.retarget import (LEG_JOINTS, REACTIDLE_MAP, BvhJointMap, RetargetConfig,
                                    foot_ground_height, joint_position_error, retarget_bvh,
                                    skeleton_units)
from fhmr_ros.geometry.gravity_view import UPRIGHT_FACING_X
from fhmr_ros.geometry.rotations import axis_angle_to_matrix

try:
    MOCAP = find_mocap_dir()
except MocapCorpusError:
    MOCAP = None
needs_corpus = pytest.mark.skipif(MOCAP is None, reason="shared mocap corpus not present")
CLIP = "reactidle/007/007_acted.bvh.gz"
FRAMES = 240

# Retargeting thresholds on real ReActIdle data (stand-in body, fitted betas). The error is
# dominated by the rig's rest proportions that no SMPL-X shape reproduces (the markerless
# rig's hips are ~0.12 m apart, SMPL-X's ~0.12 m less wide in total, thighs longer):
MEAN_ERROR_MM = 35.0       # mean over the 12 paired joints and all frames
MOTION_EXTRA_MM = 15.0     # per joint: mean error may exceed its rest-pose error by this

# Hand-written BVH: 2 root rotation channels in Z, Y order; a child with a Y position
# channel (replaces the offset's y) and one X rotation; an End Site.
TINY_BVH = """HIERARCHY
ROOT root
{
  OFFSET 0 0 0
  CHANNELS 5 Xposition Yposition Zposition Zrotation Yrotation
  JOINT arm
  {
    OFFSET 1 0 0
    CHANNELS 2 Yposition Xrotation
    End Site
    {
      OFFSET 0 1 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.5
0 0 0 0 0 0 0
10 20 30 90 90 2 90
"""


# ---------------------------------------------------------------- BVH parser and FK

def test_tiny_bvh_channel_order_and_position_channels(tmp_path):
    bvh = parse_bvh(TINY_BVH)
    assert bvh.names == ["root", "arm", "arm:end"]
    assert bvh.num_frames == 2 and bvh.fps == pytest.approx(2.0)
    P = forward_kinematics(bvh).positions
    np.testing.assert_allclose(P[0], [[0, 0, 0], [1, 0, 0], [1, 1, 0]], atol=1e-12)
    # Frame 1: R_root = Rz(90) Ry(90) (intrinsic, listed order); arm's local translation is
    # (1, 2, 0); Rz Ry (1,2,0) = (-2, 0, -1); end: Rz Ry Rx(90) (0,1,0) = (0, 1, 0).
    np.testing.assert_allclose(P[1], [[10, 20, 30], [8, 20, 29], [8, 21, 29]], atol=1e-9)
    # the same text gzipped reads the same
    path = tmp_path / "tiny.bvh.gz"
    path.write_bytes(gzip.compress(TINY_BVH.encode()))
    np.testing.assert_array_equal(read_bvh(path).motion, bvh.motion)


@pytest.mark.parametrize("broken, message", [
    (TINY_BVH.replace("MOTION", "MOTON"), "MOTION"),
    (TINY_BVH.replace("10 20 30 90 90 2 90\n", "10 20 30\n"), "expected 2 frames"),
    (TINY_BVH.replace("Yposition Xrotation", "Yposition Wrotation"), "unknown channels"),
    (TINY_BVH.replace("Frame Time: 0.5", "Frame Time: 0"), "Frame Time"),
    (TINY_BVH.replace("10 20 30 90", "10 20 nan 90"), "non-finite values .* frame 1"),
    (TINY_BVH.replace("OFFSET 1 0 0", "OFFSET 1 inf 0"), "non-finite OFFSET"),
    # 5000 nested joints: refused by depth, not by Python's recursion limit
    ("HIERARCHY\nROOT r\n{\nOFFSET 0 0 0\n" + "JOINT j\n{\nOFFSET 0 0 1\n" * 5000
     + "}\n" * 5001 + "MOTION\nFrames: 0\nFrame Time: 0.1\n", "nests deeper than 64"),
])
def test_malformed_bvh_is_rejected(broken, message):
    with pytest.raises(BvhParseError, match=message):
        parse_bvh(broken)


def test_oversized_bvh_is_refused_before_reading(tmp_path, monkeypatch):
    from fhmr_ros.data import bvh
    monkeypatch.setattr(bvh, "MAX_FILE_BYTES", 1000)
    big = tmp_path / "big.bvh"
    big.write_text(TINY_BVH + "0 0 0 0 0 0 0\n" * 200)
    with pytest.raises(BvhParseError, match="exceeds the limit"):
        read_bvh(big)
    packed = tmp_path / "big.bvh.gz"                  # < 1 kB packed, 60 kB unpacked
    packed.write_bytes(gzip.compress((TINY_BVH + "0 0 0 0 0 0 0\n" * 4000).encode()))
    with pytest.raises(BvhParseError, match="unpacks to more than"):
        read_bvh(packed)


@pytest.fixture(scope="module")
def real_bvh():
    if MOCAP is None:
        pytest.skip("shared mocap corpus not present")
    return read_bvh(MOCAP / CLIP, max_frames=FRAMES)


@needs_corpus
def test_real_clip_header_and_fk(real_bvh):
    with gzip.open(MOCAP / CLIP, "rt") as f:
        text = f.read()
    frames = int(text.split("Frames:")[1].split()[0])
    frame_time = float(text.split("Frame Time:")[1].split()[0])
    first_row = np.array(text.split("Frame Time:")[1].split("\n")[1].split(), float)
    assert real_bvh.frames_in_header == frames and real_bvh.num_frames == FRAMES
    assert real_bvh.fps == pytest.approx(1.0 / frame_time)
    assert len(real_bvh.joints) == 26 and real_bvh.motion.shape[1] == 111  # 20 joints + 6 ends
    np.testing.assert_allclose(real_bvh.motion[0], first_row)

    pose = forward_kinematics(real_bvh)
    P, G = pose.positions, pose.rotations
    np.testing.assert_allclose(G @ np.swapaxes(G, -1, -2), np.broadcast_to(np.eye(3), G.shape),
                               atol=1e-9)
    for name in ("shin.L", "foot.L", "foot.L:end", "forearm.R", "forearm.R:end", "face"):
        j = real_bvh.index(name)
        length = np.linalg.norm(P[:, j] - P[:, real_bvh.joints[j].parent], axis=-1)
        assert length.std() < 1e-6 and length.mean() > 0.05, name   # rigid bones
    toes = P[:, [real_bvh.index("foot.L:end"), real_bvh.index("foot.R:end")], 1]
    pelvis_height = P[:, real_bvh.index("pelvis"), 1] - toes.min(1)
    assert 0.8 < pelvis_height.mean() < 1.0


# ---------------------------------------------------------------- retargeting

def _smplx_bvh(body_model, seed=0, frames=30):
    """A BVH of the stand-in's own skeleton (renamed joints, mixed channel orders) and the
    SMPL-X local rotations (T, 22, 3, 3) it encodes."""
    rest = body_model.rest_joints(torch.zeros(10)).double().numpy()
    orders = ["Zrotation Xrotation Yrotation", "Xrotation Yrotation Zrotation",
              "Yrotation Zrotation Xrotation"]
    g = np.random.default_rng(seed)
    angles = g.uniform(-40, 40, (frames, NUM_BODY_JOINTS, 3))
    root_pos = g.normal(0, 0.1, (frames, 3)) + rest[0]

    def axis(a, deg):
        return axis_angle_to_matrix(torch.from_numpy(np.deg2rad(deg)[:, None] * np.eye(3)[a]))

    R = torch.eye(3, dtype=torch.float64).repeat(frames, NUM_BODY_JOINTS, 1, 1)
    for j in range(NUM_BODY_JOINTS):
        for k, ch in enumerate(orders[j % 3].split()):
            R[:, j] = R[:, j] @ axis("XYZ".index(ch[0]), angles[:, j, k])

    lines, written = ["HIERARCHY"], []   # BVH text; joints in the order their channels appear

    def write(j, depth):
        written.append(j)
        pad = "  " * depth
        kind = "ROOT" if j == 0 else "JOINT"
        off = rest[j] - (rest[BODY_PARENTS[j]] if j else 0)
        chans = ("6 Xposition Yposition Zposition " if j == 0 else "3 ") + orders[j % 3]
        lines.extend([f"{pad}{kind} src_{BODY_JOINT_NAMES[j]}", pad + "{",
                      f"{pad}  OFFSET {off[0]:.9f} {off[1]:.9f} {off[2]:.9f}",
                      f"{pad}  CHANNELS {chans}"])
        for c in [c for c, p in enumerate(BODY_PARENTS) if p == j]:
            write(c, depth + 1)
        lines.append(pad + "}")

    write(0, 0)
    rows = [np.concatenate([root_pos[t] - rest[0], *[angles[t, j] for j in written]])
            for t in range(frames)]
    lines += ["MOTION", f"Frames: {frames}", "Frame Time: 0.033333"]
    lines += [" ".join(f"{v:.9f}" for v in row) for row in rows]
    return parse_bvh("\n".join(lines)), R


def test_retarget_recovers_smplx_rotations_from_its_own_skeleton(body_model):
    bvh, R = _smplx_bvh(body_model)
    names = {n: f"src_{n}" for n in BODY_JOINT_NAMES}
    joint_map = BvhJointMap(name="smplx_bvh", rotation_source=names, position_pairs=names)
    result = retarget_bvh(bvh, body_model, joint_map)
    clip = result.clip
    np.testing.assert_allclose(clip.betas, 0.0, atol=1e-3)
    expected_root = UPRIGHT_FACING_X.double() @ R[:, 0]   # Y-up, +Z-facing -> z-up, +x
    got = axis_angle_to_matrix(torch.from_numpy(clip.global_orient).double())
    torch.testing.assert_close(got, expected_root, atol=1e-4, rtol=0)
    got = axis_angle_to_matrix(torch.from_numpy(clip.body_pose).double())
    torch.testing.assert_close(got, R[:, 1:], atol=1e-4, rtol=0)
    error = joint_position_error(result, body_model)
    assert error.max_mm < 1.0, error.table()


@pytest.fixture(scope="module")
def retargeted(real_bvh, body_model):
    start = time.perf_counter()
    result = retarget_bvh(real_bvh, body_model, REACTIDLE_MAP, name="007_acted")
    return result, time.perf_counter() - start


@needs_corpus
def test_real_clip_retargeting_error(retargeted, body_model):
    result, seconds = retargeted
    clip = result.clip
    assert clip.num_frames == FRAMES and clip.fps == pytest.approx(24.0, rel=1e-4)
    assert seconds < 2.0
    error = joint_position_error(result, body_model)
    assert error.mean_mm < MEAN_ERROR_MM, error.table()
    assert np.all(error.per_joint_mean_mm < error.rest_mm + MOTION_EXTRA_MM), error.table()


def _angle_deg(R):
    return np.degrees(np.arccos(np.clip((np.trace(R, axis1=-2, axis2=-1) - 1) / 2, -1, 1)))


@needs_corpus
def test_real_clip_spine_bends_like_the_source(retargeted, real_bvh):
    """The spine is not zig-zagged to chase markers: its total bend (pelvis -> spine3)
    follows the source's (pelvis -> spine.001) and no single spine joint bends far more."""
    result, _ = retargeted
    R = axis_angle_to_matrix(torch.from_numpy(result.clip.body_pose)).numpy()  # (T, 21, 3, 3)
    spine = [BODY_JOINT_NAMES.index(n) - 1 for n in ("spine1", "spine2", "spine3")]
    bend = R[:, spine[0]] @ R[:, spine[1]] @ R[:, spine[2]]
    G = forward_kinematics(real_bvh).rotations
    src = np.swapaxes(G[:, real_bvh.index("pelvis")], -1, -2) @ G[:, real_bvh.index("spine.001")]
    assert np.median(_angle_deg(np.swapaxes(bend, -1, -2) @ src)) < 8.0
    assert all(np.percentile(_angle_deg(R[:, k]), 99) < 25.0 for k in spine)


# one real clip of each CMU rig: (file, rig map, what it holds)
CMU_CLIPS = [("cmu/09/09_01.bvh.gz", "cmu", "running"),
             ("cmu/16/16_01.bvh.gz", "cmu_asf", "jumping"),
             ("cmu/13/13_13.bvh.gz", "cmu_daz", "everyday behaviour")]
CMU_MEAN_ERROR_MM = 45.0


@needs_corpus
@pytest.mark.parametrize("rel, rig, motion", CMU_CLIPS, ids=[c[1] for c in CMU_CLIPS])
def test_cmu_rigs_retarget_with_their_units_found_from_the_skeleton(rel, rig, motion,
                                                                    body_model):
    """Each CMU conversion (three joint namings, two length units, legs splayed at rest)
    finds its rig map, its unit from the leg length, and lands on the floor."""
    bvh = read_bvh(MOCAP / rel, max_frames=600)
    joint_map = rig_map(bvh, "cmu", MOCAP / rel)
    assert joint_map.name == rig
    units = skeleton_units(bvh, joint_map, body_model)
    assert 0.005 < units < 0.1                       # neither metres nor a constant
    result = retarget_bvh(bvh, body_model, joint_map, name=rel)
    error = joint_position_error(result, body_model)
    assert error.mean_mm < CMU_MEAN_ERROR_MM, (motion, error.table())
    legs = [BODY_JOINT_NAMES.index(f"{side}_{j}") for side in ("left", "right")
            for j in LEG_JOINTS]
    rest = body_model.rest_joints(torch.zeros(10)).numpy()[legs].reshape(2, 3, 3)
    src = result.source_points[0][[list(result.pair_joints).index(j) for j in legs]]
    length = lambda pts: np.linalg.norm(np.diff(pts, axis=-2), axis=-1).sum()  # noqa: E731
    assert length(src.reshape(2, 3, 3)) == pytest.approx(length(rest), rel=0.02)
    assert abs(np.percentile(foot_ground_height(result.clip, body_model), 10)) < 0.01


@needs_corpus
def test_cmu_splayed_rest_legs_need_the_source_joints_as_markers(body_model):
    """CMU's rest legs are splayed ~20 degrees: carrying SMPL-X's rest knees and ankles on
    the source bones (the ReActIdle way) copies that splay into every frame."""
    bvh = read_bvh(MOCAP / CMU_CLIPS[0][0], max_frames=300)
    joint_map = rig_map(bvh, "cmu", MOCAP / CMU_CLIPS[0][0])
    carried = replace(joint_map, aim_at_source_joints=False)
    ankle = [BODY_JOINT_NAMES.index(n) for n in ("left_ankle", "right_ankle")]
    errors = {}
    for name, m in (("source", joint_map), ("carried", carried)):
        result = retarget_bvh(bvh, body_model, m)
        table = joint_position_error(result, body_model)
        errors[name] = table.per_joint_mean_mm[[list(result.pair_joints).index(j)
                                                for j in ankle]].mean()
    assert errors["source"] < 60.0 and errors["carried"] > 150.0, errors


@needs_corpus
def test_mirrored_clip_is_the_mirror_image(body_model):
    """Mirroring reflects every joint across the world's x-z plane with left and right
    swapped, and mirroring twice gives the clip back."""
    bvh = read_bvh(MOCAP / CMU_CLIPS[0][0], max_frames=200)
    clip = retarget_bvh(bvh, body_model, rig_map(bvh, "cmu", MOCAP / CMU_CLIPS[0][0])).clip
    mirror = mirrored_clip(clip, body_model)
    joints = lambda c: body_model.body_joints(  # noqa: E731
        torch.from_numpy(c.betas).expand(c.num_frames, -1), torch.from_numpy(c.global_orient),
        torch.from_numpy(c.body_pose).reshape(-1, 63), torch.from_numpy(c.transl)).numpy()
    swap = list(SMPLX_MIRROR[:NUM_BODY_JOINTS])
    np.testing.assert_allclose(joints(mirror), joints(clip)[:, swap] * [1, -1, 1], atol=1e-5)
    assert mirror.name == clip.name + "/mirror" and np.array_equal(mirror.betas, clip.betas)
    np.testing.assert_allclose(joints(mirrored_clip(mirror, body_model)), joints(clip),
                               atol=1e-5)


@needs_corpus
def test_a_file_that_matches_no_rig_is_refused(real_bvh):
    with pytest.raises(MocapCorpusError, match="match no rig of set 'cmu'"):
        rig_map(real_bvh, "cmu", MOCAP / CLIP)


@needs_corpus
def test_scale_mode_keeps_neutral_betas(real_bvh, body_model):
    result = retarget_bvh(real_bvh, body_model, config=RetargetConfig(shape="scale"))
    assert np.all(result.clip.betas == 0) and 0.8 < result.source_scale < 1.25
    assert joint_position_error(result, body_model).mean_mm < 1.5 * MEAN_ERROR_MM


@needs_corpus
def test_wrong_joint_map_gives_a_large_error(real_bvh, body_model):
    """The error check detects a broken retarget (left and right arms swapped)."""
    swap = {k: v.replace(".L", ".X").replace(".R", ".L").replace(".X", ".R")
            if "shoulder" in k or "elbow" in k else v
            for k, v in REACTIDLE_MAP.rotation_source.items()}
    broken = BvhJointMap(name="broken", rotation_source=swap,
                         position_pairs=REACTIDLE_MAP.position_pairs)
    error = joint_position_error(retarget_bvh(real_bvh, body_model, broken), body_model)
    assert error.mean_mm > 3 * MEAN_ERROR_MM


@needs_corpus
def test_retargeted_clip_is_grounded_and_upright(retargeted, body_model, real_bvh):
    result, _ = retargeted
    clip = result.clip
    sole = foot_ground_height(clip, body_model)
    assert abs(np.median(sole)) < 0.02 and sole.min() > -0.05
    # the source's own toe End Sites land on the same floor
    pose = forward_kinematics(real_bvh)
    toes = [real_bvh.index("foot.L:end"), real_bvh.index("foot.R:end")]
    toe_height = pose.positions[:, toes, 1].min(1) - pose.positions[:, toes, 1].min(1).mean()
    R = axis_angle_to_matrix(torch.from_numpy(clip.global_orient)).numpy()   # (T, 3, 3)
    assert np.all(R[:, 2, 1] > np.cos(np.deg2rad(20)))        # body y (up) ~ world z
    A = UPRIGHT_FACING_X.double().numpy()                     # source (Y up) -> world
    toe_world = pose.positions[:, toes] @ A.T
    ankle_world = pose.positions[:, [real_bvh.index("foot.L"), real_bvh.index("foot.R")]] @ A.T
    foot_dir = (toe_world - ankle_world).mean(1)[:, :2]
    facing = R[:, :2, 2]                                      # body z (forward), horizontal
    cos = (foot_dir * facing).sum(-1) / np.linalg.norm(foot_dir, axis=-1) / np.linalg.norm(
        facing, axis=-1)
    assert np.all(cos > 0.8)
    assert np.abs(toe_height).max() < 0.05
    pelvis = clip.transl + body_model.pelvis_offset(torch.from_numpy(clip.betas)).numpy()
    assert 0.8 < pelvis[:, 2].mean() < 1.05


# ---------------------------------------------------------------- AMASS

def _amass_arrays(T=5, pose_dim=165, num_betas=16, rate_key="mocap_frame_rate"):
    g = np.random.default_rng(0)
    return {"poses": g.normal(0, 0.2, (T, pose_dim)), "trans": g.normal(0, 1, (T, 3)),
            "betas": g.normal(0, 1, num_betas), rate_key: np.array(120.0),
            "gender": np.array("neutral")}


@pytest.mark.parametrize("pose_dim, num_betas, rate_key", [
    (165, 16, "mocap_frame_rate"), (156, 8, "mocap_framerate")])
def test_amass_reader(tmp_path, pose_dim, num_betas, rate_key):
    data = _amass_arrays(pose_dim=pose_dim, num_betas=num_betas, rate_key=rate_key)
    np.savez(tmp_path / "walk.npz", **data)
    clip = load_amass(tmp_path / "walk.npz")
    assert clip.name == "walk" and clip.fps == 120.0 and clip.source == "amass"
    np.testing.assert_allclose(clip.global_orient, data["poses"][:, :3], rtol=1e-6)
    np.testing.assert_allclose(clip.body_pose.reshape(5, 63), data["poses"][:, 3:66], rtol=1e-6)
    np.testing.assert_allclose(clip.transl, data["trans"], rtol=1e-6)
    b = min(num_betas, 10)
    np.testing.assert_allclose(clip.betas[:b], data["betas"][:b], rtol=1e-6)
    assert np.all(clip.betas[b:] == 0)


@pytest.mark.parametrize("change, message", [
    (lambda d: d.pop("trans"), "'trans'"),
    (lambda d: d.pop("mocap_frame_rate"), "'mocap_frame_rate'"),
    (lambda d: d.pop("poses"), "'poses'"),
    (lambda d: d.update(poses=np.zeros((5, 60))), r"'poses' has shape \(5, 60\)"),
    (lambda d: d.update(trans=np.zeros((4, 3))), r"'trans' has shape \(4, 3\)"),
    (lambda d: d.update(betas=np.zeros((2, 10))), "'betas'"),
    (lambda d: d.update(mocap_frame_rate=np.array(-1.0)), "'mocap_frame_rate'"),
])
def test_amass_reader_names_the_bad_field(tmp_path, change, message):
    data = _amass_arrays()
    change(data)
    np.savez(tmp_path / "bad.npz", **data)
    with pytest.raises(AmassFormatError, match=message):
        load_amass(tmp_path / "bad.npz")


# ---------------------------------------------------------------- corpus and splits

def test_chunks_are_at_most_max_seconds():
    T = 1500
    clip = MotionClip("set/s/trial", 30.0, np.zeros((T, 3)), np.zeros((T, 21, 3)),
                      np.zeros((T, 3)), np.zeros(10))
    parts = chunk_clip(clip, 20.0)
    assert len(parts) == 3 and sum(p.num_frames for p in parts) == T
    assert all(p.num_frames <= 600 and subject_of(p.name) == "set/s" for p in parts)


def test_corpus_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("FHMR_MOCAP_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(MocapCorpusError, match="FHMR_MOCAP_DIR"):
        find_mocap_dir()
    (tmp_path / "splits.json").write_text(json.dumps({"train": ["a/1", "a/2"],
                                                      "test": ["a/2"]}))
    with pytest.raises(MocapCorpusError, match="'a/2' is in both"):
        read_splits(tmp_path)


def _truncated_copy(src, dst, frames):
    """Write the first ``frames`` frames of a (gzipped) BVH file as a new gzipped file."""
    with gzip.open(src, "rt") as f:
        head, rows = f.read().split("Frame Time:")
    frame_time, *rows = rows.split("\n")
    head = head.split("Frames:")[0] + f"Frames: {frames}\n"
    dst.parent.mkdir(parents=True)
    with gzip.open(dst, "wt") as f:
        f.write("\n".join([head + "Frame Time:" + frame_time, *rows[:frames]]) + "\n")


@needs_corpus
def test_real_splits_are_disjoint():
    splits = read_splits()
    assert splits["train"] and splits["test"]
    assert not set(splits["train"]) & set(splits["test"])
    for split in ("train", "test"):
        files = split_files(split)
        assert files and {subject_of(str(f.relative_to(MOCAP))) for f in files} <= set(
            splits[split])


@needs_corpus
def test_a_split_loads_only_the_motion_sets_asked_for():
    every = split_files("test")
    default = split_files("test", sets=CorpusConfig().sets)
    assert default and {f.relative_to(MOCAP).parts[0] for f in default} == {"reactidle"}
    assert set(default) < set(every)      # the corpus's CMU subjects wait for their rig map


@needs_corpus
def test_split_loader_keeps_subjects_apart_and_caches(tmp_path, body_model, monkeypatch):
    """On a small corpus made of truncated real clips: 2 train subjects, 1 test subject."""
    corpus, cache = tmp_path / "mocap", tmp_path / "cache"
    for subject, trial in (("001", "001_acted"), ("002", "002_genuine"), ("007", "007_acted")):
        _truncated_copy(MOCAP / "reactidle" / subject / f"{trial}.bvh.gz",
                        corpus / "reactidle" / subject / f"{trial}.bvh.gz", frames=150)
    (corpus / "splits.json").write_text(json.dumps(
        {"train": ["reactidle/001", "reactidle/002", "reactidle/005"], "test": ["reactidle/007"]}))
    config = CorpusConfig(fps=30.0, max_seconds=2.0)
    loaded = {split: load_split(split, body_model, config, root=corpus, cache_dir=cache)
              for split in ("train", "test")}
    subjects = {split: {subject_of(c.name) for c in clips} for split, clips in loaded.items()}
    assert subjects == {"train": {"reactidle/001", "reactidle/002"}, "test": {"reactidle/007"}}
    for clips in loaded.values():
        assert all(c.fps == 30.0 and c.num_frames <= 60 and c.source == "bvh" for c in clips)
        # 150 frames at 24 fps = 6.2 s -> 187 frames at 30 fps -> 4 parts of <= 60 frames
        assert len(clips) == 4 * len({c.name.rsplit("/", 1)[0] for c in clips})
    def no_retargeting(*args, **kwargs):
        raise AssertionError("the cached split was retargeted again")

    monkeypatch.setattr(mocap_corpus, "retarget_bvh", no_retargeting)
    monkeypatch.setenv("FHMR_CACHE", str(cache))    # the default folder finds the same file
    cached = load_split("test", body_model, config, root=corpus)
    assert len(list(cache.iterdir())) == 2
    assert [c.name for c in cached] == [c.name for c in loaded["test"]]
    np.testing.assert_allclose(cached[1].body_pose, loaded["test"][1].body_pose)
