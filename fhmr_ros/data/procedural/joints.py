"""Anatomical joint channels of the 21 SMPL-X body-pose joints, their limits and their
conversion to rotations.

Each joint is driven by three *channels* whose anatomical sense is the same on both sides
of the body (hip flexion > 0 swings the thigh forward on the left and on the right leg).
A joint's local rotation is

    R = R_ref · R_a(s_a c_a) · R_b(s_b c_b) · R_c(s_c c_c)

with (a, b, c) the joint's intrinsic Euler axis order, s the signs that map the anatomical
sense onto SMPL-X axes (x = body left, y = up, z = forward), and R_ref a fixed reference
rotation. The right side mirrors the left through the body's sagittal plane (x -> -x):
x-axis signs are kept, y- and z-axis signs flip, and R_ref mirrors with them. Only the
shoulders have a reference: the arm hanging down (Rz(-/+90°)), so their channels are the
flexion, abduction and external rotation of a hanging arm and the rest T-pose is
abduction = 90°.

Channel senses (all angles in radians in code, degrees in the table):
  hips          flexion (thigh forward), abduction (outward), external rotation
  knees         flexion, varus, rotation
  ankles        dorsiflexion (toes up), inversion, rotation
  feet (toes)   extension (toes up), -, -
  spine, neck, head   flexion (forward), lateral bend (+ = to the right), twist (+ = left)
  collars       elevation, protraction (forward), rotation
  shoulders     flexion (arm forward), abduction (arm out to the side), external rotation
  elbows        flexion, carrying angle, pronation
  wrists        flexion (towards the palm), deviation, twist
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from ...body.skeleton import BODY_JOINT_NAMES

NUM_POSE_JOINTS = 21


@dataclass(frozen=True)
class JointChannels:
    """Channel layout of one joint (left side or midline)."""

    order: str                              # intrinsic Euler axes of the channels, "XZY"
    signs: tuple[float, float, float]       # SMPL-X axis sign of each channel
    lower: tuple[float, float, float]       # limits, degrees
    upper: tuple[float, float, float]
    reference_z: float = 0.0                # R_ref = Rz(reference_z), degrees


_TRUNK = JointChannels("XZY", (1, 1, 1), (-30, -25, -30), (45, 25, 30))
_LEFT_OR_MIDLINE: dict[str, JointChannels] = {
    "left_hip": JointChannels("XZY", (-1, 1, 1), (-40, -35, -45), (135, 60, 50)),
    "spine1": _TRUNK,
    "left_knee": JointChannels("XZY", (1, 1, 1), (0, -8, -15), (155, 8, 15)),
    "spine2": _TRUNK,
    "left_ankle": JointChannels("XZY", (-1, 1, 1), (-60, -30, -30), (45, 30, 30)),
    "spine3": _TRUNK,
    "left_foot": JointChannels("XZY", (-1, 1, 1), (-30, -8, -8), (80, 8, 8)),
    "neck": JointChannels("XZY", (1, 1, 1), (-45, -35, -60), (50, 35, 60)),
    "left_collar": JointChannels("ZYX", (1, -1, 1), (-15, -20, -15), (35, 30, 15)),
    "head": JointChannels("XZY", (1, 1, 1), (-40, -30, -50), (40, 30, 50)),
    "left_shoulder": JointChannels("YZX", (-1, 1, -1), (-70, -30, -90), (180, 180, 95),
                                   reference_z=-90.0),
    "left_elbow": JointChannels("YZX", (-1, 1, 1), (0, -10, -40), (155, 10, 95)),
    "left_wrist": JointChannels("ZYX", (-1, 1, 1), (-75, -30, -35), (80, 35, 35)),
}
_MIRROR_SIGN = {"X": 1.0, "Y": -1.0, "Z": -1.0}


def _joint_table() -> list[JointChannels]:
    table = []
    for name in BODY_JOINT_NAMES[1:]:
        if name.startswith("right_"):
            left = _LEFT_OR_MIDLINE["left_" + name[len("right_"):]]
            signs = tuple(s * _MIRROR_SIGN[a] for s, a in zip(left.signs, left.order))
            table.append(JointChannels(left.order, signs, left.lower, left.upper,
                                       -left.reference_z))
        else:
            table.append(_LEFT_OR_MIDLINE[name])
    return table


JOINT_TABLE: tuple[JointChannels, ...] = tuple(_joint_table())
ROW: dict[str, int] = {name: i for i, name in enumerate(BODY_JOINT_NAMES[1:])}
"""body_pose row of a joint name (row i is SMPL-X joint i + 1)."""
SIGNS = np.array([j.signs for j in JOINT_TABLE], dtype=np.float64)              # (21, 3)
LOWER = np.deg2rad(np.array([j.lower for j in JOINT_TABLE], dtype=np.float64))  # (21, 3)
UPPER = np.deg2rad(np.array([j.upper for j in JOINT_TABLE], dtype=np.float64))  # (21, 3)
REFERENCE = Rotation.from_euler(
    "z", [[j.reference_z] for j in JOINT_TABLE], degrees=True).as_matrix()       # (21, 3, 3)
_GROUPS: dict[str, np.ndarray] = {
    order: np.array([i for i, j in enumerate(JOINT_TABLE) if j.order == order])
    for order in sorted({j.order for j in JOINT_TABLE})}

LEG_ROWS = tuple(ROW[n] for n in ("left_hip", "right_hip", "left_knee", "right_knee",
                                  "left_ankle", "right_ankle", "left_foot", "right_foot"))
"""Rows set by the leg inverse kinematics rather than by channel curves."""


def pair(joint: str) -> tuple[int, int]:
    """(left row, right row) of a paired joint name without its side, e.g. "shoulder"."""
    return ROW["left_" + joint], ROW["right_" + joint]


def channels_to_matrix(channels: np.ndarray) -> np.ndarray:
    """Local rotations (..., 21, 3, 3) of anatomical channels (..., 21, 3) in radians."""
    lead = channels.shape[:-2]
    flat = channels.reshape(-1, NUM_POSE_JOINTS, 3) * SIGNS                     # (N, 21, 3)
    out = np.empty(flat.shape + (3,))
    for order, rows in _GROUPS.items():
        angles = flat[:, rows].reshape(-1, 3)
        out[:, rows] = Rotation.from_euler(order, angles).as_matrix().reshape(
            flat.shape[0], len(rows), 3, 3)
    return (REFERENCE @ out).reshape(*lead, NUM_POSE_JOINTS, 3, 3)


def matrix_to_channels(rotations: np.ndarray) -> np.ndarray:
    """Anatomical channels (..., 21, 3) of local rotations (..., 21, 3, 3): the inverse of
    :func:`channels_to_matrix` away from each order's gimbal lock (middle angle ±90°)."""
    lead = rotations.shape[:-3]
    flat = np.swapaxes(REFERENCE, -1, -2) @ rotations.reshape(-1, NUM_POSE_JOINTS, 3, 3)
    out = np.empty(flat.shape[:-1])
    for order, rows in _GROUPS.items():
        euler = Rotation.from_matrix(flat[:, rows].reshape(-1, 3, 3)).as_euler(order)
        out[:, rows] = euler.reshape(flat.shape[0], len(rows), 3)
    return (out / SIGNS).reshape(*lead, NUM_POSE_JOINTS, 3)


def joint_channels(rotations: np.ndarray, row: int) -> np.ndarray:
    """Channels (..., 3) of local rotations (..., 3, 3) of the joint in ``row``."""
    local = REFERENCE[row].T @ rotations
    euler = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_euler(JOINT_TABLE[row].order)
    return (euler / SIGNS[row]).reshape(rotations.shape[:-2] + (3,))


def clamp_channels(channels: np.ndarray) -> np.ndarray:
    """Channels (..., 21, 3) clipped to the joint limits."""
    return np.clip(channels, LOWER, UPPER)


def within_limits(rotations: np.ndarray, tolerance: float = 1e-3) -> np.ndarray:
    """(..., 21) bool: whether each local rotation (..., 21, 3, 3) has a channel
    decomposition inside the joint limits (+ ``tolerance`` rad). Both Euler solutions are
    tried, (a, b, c) and (a + π, π - b, c + π), so e.g. a shoulder abducted past 90° is
    recognised."""
    raw = matrix_to_channels(rotations) * SIGNS
    alt = raw + np.array([np.pi, 0.0, np.pi])
    alt[..., 1] = np.pi - raw[..., 1]
    alt = (alt + np.pi) % (2 * np.pi) - np.pi
    ok = [((c / SIGNS >= LOWER - tolerance) & (c / SIGNS <= UPPER + tolerance)).all(-1)
          for c in (raw, alt)]
    return ok[0] | ok[1]
