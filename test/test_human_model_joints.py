"""ROS4HRI's human model angles (body/human_model_joints.py) checked by running the
model's own chains forward (written here from the human_description URDF's joint axes):
the limbs they produce point where the SMPL-X body's limbs point."""

import numpy as np
import pytest
import torch

from fhmr_ros.body.human_model_joints import (JOINT_NAMES, euler_zxz, head_rotation,
                                              human_model_angles, tait_bryan)
from fhmr_ros.body.skeleton import BODY_JOINT_NAMES
from fhmr_ros.data.procedural import procedural_clips
from fhmr_ros.geometry.rotations import rotation_about_axis_np

J = {name: k for k, name in enumerate(BODY_JOINT_NAMES)}
DOWN = np.array([0.0, 0.0, -1.0])


def R(axis: str, angle: float) -> np.ndarray:
    """Rotation about a signed axis, e.g. "-y"."""
    sign = -1.0 if axis.startswith("-") else 1.0
    return rotation_about_axis_np(axis[-1], sign * angle)


def model_directions(a: dict[str, float]) -> dict[str, np.ndarray]:
    """Limb directions (body frame) of the URDF model at angles ``a``."""
    torso = R("y", a["waist"])
    out = {"torso": torso @ np.array([0.0, 0.0, 1.0])}
    for side, yaw, sx, sz in (("l", "-z", "x", "z"), ("r", "z", "-x", "-z")):   # s = ±1
        upper = (torso @ R(yaw, a[f"{side}_y_shoulder"])
                 @ R(sx, a[f"{side}_p_shoulder"]) @ R(sz, a[f"{side}_r_shoulder"]))
        out[f"{side}_upper_arm"] = upper @ DOWN
        out[f"{side}_forearm"] = upper @ R("-y", a[f"{side}_elbow"]) @ DOWN
        thigh = R("-z", a[f"{side}_y_hip"]) @ R(sx, a[f"{side}_p_hip"]) @ R("-y", a[f"{side}_r_hip"])
        out[f"{side}_thigh"] = thigh @ DOWN
        out[f"{side}_shank"] = thigh @ R("-y", a[f"{side}_knee"]) @ DOWN
    out["head"] = torso @ R("x", a["r_head"]) @ R("z", a["y_head"]) @ R("-y", a["p_head"])
    return out


def body_directions(p: np.ndarray) -> dict[str, np.ndarray]:
    unit = lambda v: v / np.linalg.norm(v)  # noqa: E731
    out = {}
    for side, name in (("l", "left"), ("r", "right")):
        for limb, (a, b) in {"upper_arm": ("shoulder", "elbow"), "forearm": ("elbow", "wrist"),
                             "thigh": ("hip", "knee"), "shank": ("knee", "ankle")}.items():
            out[f"{side}_{limb}"] = unit(p[J[f"{name}_{b}"]] - p[J[f"{name}_{a}"]])
    return out


def body_frame_points(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R_world_body, joints in the body frame): x forward (horizontal), z up."""
    left = joints[J["left_hip"]] - joints[J["right_hip"]]
    x = np.cross([left[0], left[1], 0.0], [0.0, 0.0, 1.0])
    x /= np.linalg.norm(x)
    Rb = np.stack([x, np.cross([0.0, 0.0, 1.0], x), [0.0, 0.0, 1.0]], axis=1)
    origin = 0.5 * (joints[J["left_hip"]] + joints[J["right_hip"]])
    return Rb, (joints - origin) @ Rb


@pytest.mark.parametrize("axes", ["zxy", "xzy", "yzx", "xyz"])
def test_tait_bryan_and_zxz_angles_rebuild_the_rotation(axes):
    rng = np.random.default_rng(1)
    for _ in range(20):
        a, b, c = rng.uniform(-1.5, 1.5, 3)
        M = R(axes[0], a) @ R(axes[1], b) @ R(axes[2], c)
        np.testing.assert_allclose(tait_bryan(M, axes), (a, b, c), atol=1e-9)
        b = abs(b) + 0.05
        np.testing.assert_allclose(euler_zxz(R("z", a) @ R("x", b) @ R("z", c)), (a, b, c),
                                   atol=1e-9)


def test_the_model_driven_by_the_angles_points_its_limbs_where_the_body_does(body_model):
    """Procedural motion (walking, waving, crouching...): every limb segment of the URDF
    model within 1 degree of the SMPL-X body's, the head's orientation exact, the torso's
    lean the same; zero angles for a body standing with arms and legs hanging down."""
    clips = procedural_clips(6, seed=3, split="train", body_model=body_model)
    worst, checked = 0.0, 0
    for clip in clips:
        for t in range(0, clip.num_frames, 25):
            go, pose = clip.global_orient[t], clip.body_pose[t].reshape(-1)
            joints = body_model.body_joints(
                torch.from_numpy(clip.betas)[None], torch.from_numpy(go)[None],
                torch.from_numpy(pose)[None])[0].double().numpy()
            Rb, local = body_frame_points(joints)
            H = Rb.T @ head_rotation(go, pose)
            a = dict(zip(JOINT_NAMES, human_model_angles(local, H)))
            model, body = model_directions(a), body_directions(local)
            for limb, d in body.items():
                angle = np.degrees(np.arccos(np.clip(model[limb] @ d, -1, 1)))
                worst, checked = max(worst, angle), checked + 1
            np.testing.assert_allclose(model["head"], H, atol=1e-6)
            lean = local[J["neck"]] - local[J["pelvis"]]
            np.testing.assert_allclose(np.arctan2(model["torso"][0], model["torso"][2]),
                                       np.arctan2(lean[0], lean[2]), atol=1e-9)
    assert checked > 200 and worst < 1.0, worst


def test_hanging_limbs_and_a_t_pose_give_the_expected_angles():
    """Arms and legs straight down: every limb angle 0; arms raised sideways (T-pose):
    p_shoulder = pi/2 on both sides; a knee bent backwards: knee < 0, an elbow bent
    forwards: elbow > 0."""
    p = np.zeros((22, 3))
    for side, y in (("left", 1.0), ("right", -1.0)):
        p[J[f"{side}_hip"]] = (0, 0.1 * y, 0)
        p[J[f"{side}_knee"]] = (0, 0.1 * y, -0.45)
        p[J[f"{side}_ankle"]] = (0, 0.1 * y, -0.9)
        p[J[f"{side}_shoulder"]] = (0, 0.2 * y, 0.5)
        p[J[f"{side}_elbow"]] = (0, 0.2 * y, 0.2)
        p[J[f"{side}_wrist"]] = (0, 0.2 * y, -0.05)
    p[J["neck"]] = (0, 0, 0.6)
    a = dict(zip(JOINT_NAMES, human_model_angles(p, np.eye(3))))
    assert max(abs(v) for v in a.values()) < 1e-9
    t_pose = p.copy()
    for side, y in (("left", 1.0), ("right", -1.0)):
        t_pose[J[f"{side}_elbow"]] = (0, 0.5 * y, 0.5)
        t_pose[J[f"{side}_wrist"]] = (0, 0.75 * y, 0.5)
    t_pose[J["left_knee"]] = (0.0, 0.1, -0.45)
    t_pose[J["left_ankle"]] = (-0.3, 0.1, -0.8)
    t_pose[J["right_wrist"]] = (0.25, -0.5, 0.5)
    a = dict(zip(JOINT_NAMES, human_model_angles(t_pose, np.eye(3))))
    assert a["l_p_shoulder"] == pytest.approx(np.pi / 2)
    assert a["r_p_shoulder"] == pytest.approx(np.pi / 2)
    assert a["l_knee"] < -0.5 and a["r_elbow"] > 0.5
