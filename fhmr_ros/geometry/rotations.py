"""Rotation conversions between axis-angle, matrices, unit quaternions and the 6D form.

Conventions: matrices act on column vectors (x' = R x); quaternions are (x, y, z, w) like
ROS geometry_msgs and roma; the 6D form is the first two columns of R,
r6 = [R[:, 0], R[:, 1]] (Zhou et al. 2019), decoded by Gram-Schmidt.
Built on roma (well-tested kernels); this module fixes the conventions in one place.
"""

from __future__ import annotations

import numpy as np
import roma
import torch
from torch import Tensor


def axis_angle_to_matrix(aa: Tensor) -> Tensor:
    """(..., 3) axis * angle (rad) -> (..., 3, 3)."""
    return roma.rotvec_to_rotmat(aa)


def matrix_to_axis_angle(R: Tensor) -> Tensor:
    """(..., 3, 3) -> (..., 3), angle in [0, pi]."""
    return roma.rotmat_to_rotvec(R)


def matrix_to_quaternion(R: Tensor) -> Tensor:
    """(..., 3, 3) -> (..., 4) unit quaternion (x, y, z, w) with w >= 0."""
    q = roma.rotmat_to_unitquat(R)
    return torch.where(q[..., 3:] < 0, -q, q)


def quaternion_to_matrix(q: Tensor) -> Tensor:
    """(..., 4) quaternion (x, y, z, w), normalised first -> (..., 3, 3)."""
    return roma.unitquat_to_rotmat(q / q.norm(dim=-1, keepdim=True))


def axis_angle_to_quaternion(aa: Tensor) -> Tensor:
    """(..., 3) -> (..., 4) (x, y, z, w) with w >= 0."""
    return matrix_to_quaternion(axis_angle_to_matrix(aa))


def quaternion_to_axis_angle(q: Tensor) -> Tensor:
    """(..., 4) (x, y, z, w) -> (..., 3)."""
    return matrix_to_axis_angle(quaternion_to_matrix(q))


def quaternion_slerp(q0: Tensor, q1: Tensor, w: Tensor) -> Tensor:
    """Spherical interpolation of unit quaternions (..., 4) with weights w (..., 1), along
    the shorter arc (q1 is negated when <q0, q1> < 0):
        slerp = sin((1-w) θ)/sin θ · q0 + sin(w θ)/sin θ · q1,   cos θ = <q0, q1>."""
    q1 = torch.where((q0 * q1).sum(-1, keepdim=True) < 0, -q1, q1)
    dot = (q0 * q1).sum(-1, keepdim=True).clamp(-1.0, 1.0)
    theta = torch.arccos(dot)
    s = torch.sin(theta)
    small = s < 1e-6
    a = torch.where(small, 1 - w, torch.sin((1 - w) * theta) / s.clamp(min=1e-6))
    b = torch.where(small, w, torch.sin(w * theta) / s.clamp(min=1e-6))
    q = a * q0 + b * q1
    return q / q.norm(dim=-1, keepdim=True)


def slerp_frames(aa: Tensor, i0: Tensor, i1: Tensor, w: Tensor) -> Tensor:
    """Rotations between frames of a sequence: aa (T, J, 3) axis-angle; i0, i1 (T',) frame
    indices; w (T',) weights in [0, 1] -> (T', J, 3), slerp(aa[i0], aa[i1], w) per joint."""
    q = axis_angle_to_quaternion(aa)                                     # (T, J, 4)
    return quaternion_to_axis_angle(quaternion_slerp(q[i0], q[i1], w[:, None, None]))


def interpolate_pose(T0: Tensor, T1: Tensor, w: Tensor) -> Tensor:
    """Rigid poses (..., 4, 4) at weight w (...,) in [0, 1]: slerp of the rotations, linear
    translation."""
    q = quaternion_slerp(matrix_to_quaternion(T0[..., :3, :3]),
                         matrix_to_quaternion(T1[..., :3, :3]), w[..., None])
    out = T0.clone()
    out[..., :3, :3] = quaternion_to_matrix(q)
    out[..., :3, 3] = T0[..., :3, 3] + w[..., None] * (T1[..., :3, 3] - T0[..., :3, 3])
    return out


def matrix_to_rot6d(R: Tensor) -> Tensor:
    """(..., 3, 3) -> (..., 6) = [first column, second column]."""
    return torch.cat([R[..., :, 0], R[..., :, 1]], dim=-1)


def rot6d_to_matrix(r6: Tensor) -> Tensor:
    """(..., 6) -> (..., 3, 3): Gram-Schmidt on the two columns, third = cross product.

    b1 = a1 / |a1|,  b2 = (a2 - (b1.a2) b1) / |...|,  b3 = b1 x b2.
    """
    return roma.special_gramschmidt(torch.stack([r6[..., :3], r6[..., 3:]], dim=-1))


def axis_angle_to_rot6d(aa: Tensor) -> Tensor:
    """(..., 3) -> (..., 6)."""
    return matrix_to_rot6d(axis_angle_to_matrix(aa))


def rot6d_to_axis_angle(r6: Tensor) -> Tensor:
    """(..., 6) -> (..., 3)."""
    return matrix_to_axis_angle(rot6d_to_matrix(r6))


def rotation_about_axis(axis: str, angle: Tensor | float) -> Tensor:
    """Matrix (..., 3, 3) of a rotation by ``angle`` (rad, (...)) about the x, y or z axis
    (either case); a floating-point tensor keeps its dtype."""
    angle = torch.as_tensor(angle)
    if not angle.is_floating_point():
        angle = angle.to(torch.get_default_dtype())
    axis = axis.lower()
    c, s = torch.cos(angle), torch.sin(angle)
    o, z = torch.ones_like(angle), torch.zeros_like(angle)
    rows = {"x": ((o, z, z), (z, c, -s), (z, s, c)),
            "y": ((c, z, s), (z, o, z), (-s, z, c)),
            "z": ((c, -s, z), (s, c, z), (z, z, o))}[axis]
    return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)


def rotation_about_axis_np(axis: str, angle: np.ndarray | float) -> np.ndarray:
    """``rotation_about_axis`` for NumPy (..., 3, 3), without a round trip through torch
    (the procedural generator calls it inside its solvers)."""
    c, s = np.cos(angle), np.sin(angle)
    o, z = np.ones_like(c), np.zeros_like(c)
    rows = {"x": ((o, z, z), (z, c, -s), (z, s, c)),
            "y": ((c, z, s), (z, o, z), (-s, z, c)),
            "z": ((c, -s, z), (s, c, z), (z, z, o))}[axis.lower()]
    return np.stack([np.stack(r, -1) for r in rows], -2)


def quaternion_to_matrix_np(q: np.ndarray) -> np.ndarray:
    """``quaternion_to_matrix`` for NumPy: (..., 4) (x, y, z, w) -> (..., 3, 3) float64."""
    return quaternion_to_matrix(torch.from_numpy(np.asarray(q, dtype=np.float64))).numpy()


def geodesic_angle(R1: Tensor, R2: Tensor) -> Tensor:
    """Angle (rad) of R1^T R2, (...,): arccos((trace - 1) / 2), numerically clamped."""
    cos = (torch.einsum("...ij,...ij->...", R1, R2) - 1.0) / 2.0
    return torch.acos(cos.clamp(-1.0, 1.0))

