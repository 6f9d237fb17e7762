"""Camera-motion features from camera poses (e.g. odometry composed with extrinsics).

For camera-to-world poses T_t = (R_t, p_t), the motion from frame t-1 to t expressed in
camera t-1 is
    dR_t = R_{t-1}^T R_t,     dp_t = R_{t-1}^T (p_t - p_{t-1})       (metres),
and gravity seen from camera t is g_t = R_t^T g_world with g_world = (0, 0, -1) (z-up world).
Frame 0 gets the identity and zero translation.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .rotations import matrix_to_rot6d


@dataclass
class CameraMotion:
    """Per-frame camera-motion features."""

    delta_rot6d: Tensor    # (..., T, 6) dR_t in 6D
    delta_transl: Tensor   # (..., T, 3) dp_t, metres, camera t-1 frame
    gravity: Tensor        # (..., T, 3) unit gravity direction in camera t frame


def relative_pose(T_a: Tensor, T_b: Tensor) -> tuple[Tensor, Tensor]:
    """Pose of frame b in frame a: (R_a^T R_b, R_a^T (p_b - p_a)). T: (..., 4, 4)."""
    Ra, Rb = T_a[..., :3, :3], T_b[..., :3, :3]
    dp = T_b[..., :3, 3] - T_a[..., :3, 3]
    Ra_t = Ra.transpose(-1, -2)
    return Ra_t @ Rb, (Ra_t @ dp[..., None])[..., 0]


def camera_motion_features(T_world_camera: Tensor) -> CameraMotion:
    """Features (..., T, ·) from camera-to-world poses (..., T, 4, 4)."""
    prev = torch.cat([T_world_camera[..., :1, :, :], T_world_camera[..., :-1, :, :]], dim=-3)
    dR, dp = relative_pose(prev, T_world_camera)
    g_world = T_world_camera.new_tensor([0.0, 0.0, -1.0])
    gravity = torch.einsum("...ji,j->...i", T_world_camera[..., :3, :3], g_world)
    return CameraMotion(delta_rot6d=matrix_to_rot6d(dR), delta_transl=dp, gravity=gravity)
