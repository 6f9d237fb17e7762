"""Joint angles of ROS4HRI's human kinematic model (REP-155: the ``human_description``
URDF, ros4hri/human_description ``urdf/human-tpl.xacro``) from SMPL-X body joints, for
``/humans/bodies/<id>/joint_states``.

The model's frames follow REP-103 (x forward, y left, z up); at zero angles every limb
hangs along −z (arms down, legs straight) and every link frame is the body frame's. Its
chains, each a product of rotations R_n(θ) about the link's own axes (s = +1 on the left,
−1 on the right):

    waist (body → torso)   R_y(waist)
    head (torso → head)    R_x(r_head) R_z(y_head) R_{−y}(p_head)
    arm (torso → upper arm)  R_{−s z}(y_shoulder) R_{s x}(p_shoulder) R_{s z}(r_shoulder),
        then R_{−y}(elbow)
    leg (body → thigh)     R_{−z}(y_hip) R_{s x}(p_hip) R_{−y}(r_hip), then R_{−y}(knee)

A limb segment's frame S has z_S = −d (d: the segment's unit direction) and x_S in the
plane of the next segment's direction f: with the bend φ ≥ 0 of the hinge below it,
    elbow = φ:   f = sin φ x_S + cos φ d,     knee = −φ:   f = −sin φ x_S + cos φ d,
so x_S = ±(f − (f·d) d)/|f − (f·d) d|; a straight limb leaves x_S to the parent's x (or,
pointing along it, the parent's z) made orthogonal to d. S in the parent frame is then
split into the chain's angles (arm: z-x-z Euler angles, leg: z-x-y, head: x-z-y).

The right side is the left side's mirror image (y → −y): mirroring turns R_n(θ) into
R_{−Mn}(θ), M = diag(1, −1, 1), which maps every left axis onto the right one except the
hip yaw's (−z on both sides), so the right limbs are solved as mirrored left limbs and
the right hip yaw changes sign. The waist can only bend forward and back (the model has
no side bend or twist), so its angle is the torso's (pelvis → neck) lean in the x-z plane.
"""

from __future__ import annotations

import numpy as np
import torch

from ..geometry.rotations import axis_angle_to_matrix
from .body_model import global_rotations
from .skeleton import BODY_JOINT_NAMES

JOINT_NAMES = (
    "waist", "r_head", "y_head", "p_head",
    "l_y_shoulder", "l_p_shoulder", "l_r_shoulder", "l_elbow",
    "r_y_shoulder", "r_p_shoulder", "r_r_shoulder", "r_elbow",
    "l_y_hip", "l_p_hip", "l_r_hip", "l_knee",
    "r_y_hip", "r_p_hip", "r_r_hip", "r_knee")
_J = {name: k for k, name in enumerate(BODY_JOINT_NAMES)}
_MIRROR = np.diag([1.0, -1.0, 1.0])
MIN_BEND = 1e-3          # |f − (f·d) d| below this: the limb is straight, x_S falls back
# SMPL-X's rest axes (x left, y up, z forward) in REP-103's (x forward, y left, z up)
SMPLX_TO_REP = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])


def tait_bryan(R: np.ndarray, axes: str) -> tuple[float, float, float]:
    """(a, b, c) with R = R_i(a) R_j(b) R_k(c) for three different axes ``axes`` = "ijk"
    (e.g. "zxy"); b ∈ [−π/2, π/2]. With ε = +1 for a cyclic order (xyz, yzx, zxy), else −1:
        b = asin(ε R_ik),  a = atan2(−ε R_jk, R_kk),  c = atan2(−ε R_ij, R_ii)."""
    i, j, k = ("xyz".index(a) for a in axes)
    eps = 1.0 if (i, j, k) in ((0, 1, 2), (1, 2, 0), (2, 0, 1)) else -1.0
    b = float(np.arcsin(np.clip(eps * R[i, k], -1.0, 1.0)))
    return (float(np.arctan2(-eps * R[j, k], R[k, k])), b,
            float(np.arctan2(-eps * R[i, j], R[i, i])))


def euler_zxz(R: np.ndarray) -> tuple[float, float, float]:
    """(a, b, c) with R = R_z(a) R_x(b) R_z(c), b ∈ [0, π]:
        b = acos(R_zz),  a = atan2(R_xz, −R_yz),  c = atan2(R_zx, R_zy)
    (at b = 0 or π only a + c or a − c is defined: c is 0 there)."""
    b = float(np.arccos(np.clip(R[2, 2], -1.0, 1.0)))
    if np.hypot(R[0, 2], R[1, 2]) < 1e-9:
        return float(np.arctan2(R[1, 0], R[0, 0])), b, 0.0
    return (float(np.arctan2(R[0, 2], -R[1, 2])), b, float(np.arctan2(R[2, 0], R[2, 1])))


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


def segment_frame(d: np.ndarray, f: np.ndarray, bend_sign: float) -> tuple[np.ndarray, float]:
    """(S (3, 3), φ) of a segment with unit direction ``d`` (3,) whose child segment points
    along unit ``f`` (3,), bending towards +x_S (``bend_sign`` +1, elbows) or −x_S (−1,
    knees); columns of S are x_S, y_S, z_S = −d in the parent frame (module docstring)."""
    along = float(np.clip(f @ d, -1.0, 1.0))
    across = f - along * d                                          # (3,)
    if np.linalg.norm(across) >= MIN_BEND:
        x = bend_sign * _unit(across)
    else:                                       # straight: the parent's x, else its z
        x = next(_unit(a - (a @ d) * d) for a in (np.eye(3)[0], np.eye(3)[2])
                 if np.linalg.norm(a - (a @ d) * d) >= MIN_BEND)
    z = -d
    return np.stack([x, np.cross(z, x), z], axis=1), float(np.arccos(along))


def _arm(shoulder: np.ndarray, elbow: np.ndarray, wrist: np.ndarray) -> list[float]:
    """[y_shoulder, p_shoulder, r_shoulder, elbow] of a left arm (points in the torso
    frame, (3,) each): S = R_{−z}(y) R_x(p) R_z(r), i.e. z-x-z angles (−y, p, r)."""
    S, bend = segment_frame(_unit(elbow - shoulder), _unit(wrist - elbow), 1.0)
    a, b, c = euler_zxz(S)
    return [-a, b, c, bend]


def _leg(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> list[float]:
    """[y_hip, p_hip, r_hip, knee] of a left leg (points in the body frame): S =
    R_{−z}(y) R_x(p) R_{−y}(r), i.e. z-x-y angles (−y, p, −r); knee = −bend."""
    S, bend = segment_frame(_unit(knee - hip), _unit(ankle - knee), -1.0)
    a, b, c = tait_bryan(S, "zxy")
    return [-a, b, -c, -bend]


def human_model_angles(joints: np.ndarray, R_head: np.ndarray) -> np.ndarray:
    """The model's angles (20,) in JOINT_NAMES' order, rad, from SMPL-X body joints
    ``joints`` (22, 3) and the head's orientation ``R_head`` (3, 3, REP-103 axes: x out of
    the face, z to the scalp), both in the body frame (body_<id>: x forward, y left, z up)."""
    p = np.asarray(joints, np.float64)                                 # (22, 3)
    lean = p[_J["neck"]] - p[_J["pelvis"]]
    waist = float(np.arctan2(lean[0], lean[2]))
    c, s = np.cos(waist), np.sin(waist)
    R_torso = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])    # R_y(waist)
    r, y, minus_p = tait_bryan(R_torso.T @ np.asarray(R_head, np.float64), "xzy")
    in_torso = p @ R_torso                                             # (22, 3)
    angles = [waist, r, y, -minus_p]
    for side, mirror in (("left", np.eye(3)), ("right", _MIRROR)):
        angles += _arm(*(in_torso[_J[f"{side}_{j}"]] @ mirror
                         for j in ("shoulder", "elbow", "wrist")))
    for side, mirror, yaw_sign in (("left", np.eye(3), 1.0), ("right", _MIRROR, -1.0)):
        leg = _leg(*(p[_J[f"{side}_{j}"]] @ mirror for j in ("hip", "knee", "ankle")))
        angles += [yaw_sign * leg[0]] + leg[1:]
    return np.array(angles)


def head_rotation(global_orient: np.ndarray, body_pose: np.ndarray) -> np.ndarray:
    """The head's orientation (3, 3) in REP-103 axes, in the frame of ``global_orient``
    (3,), from SMPL-X's axis-angle ``body_pose`` (63,): the head joint's global rotation,
    times SMPLX_TO_REP."""
    local = axis_angle_to_matrix(torch.from_numpy(np.concatenate(
        [np.ravel(global_orient), np.ravel(body_pose)]).astype(np.float64).reshape(22, 3)))
    return global_rotations(local)[_J["head"]].numpy() @ SMPLX_TO_REP
