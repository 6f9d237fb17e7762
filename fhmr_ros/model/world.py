"""World-frame human motion from camera-space results and camera poses.

Orientation: R_world_root = R_world_cam · R_cam_root (gravity and heading come from the
camera pose; the anchor gives the root in the camera).
Position: a causal complementary filter that fuses the metric but noisy camera-based pelvis
p^cam_t = R_world_cam,t p_cam,t + o_t with the smooth Stage-2 local velocity v_t. With the
prediction p̂_t = p_{t−1} + H_{t−1} v_{t−1} / fps (H the heading frame of the root), the
innovation e_t = p^cam_t − p̂_t and the unit viewing ray r_t from the camera centre o_t to
p^cam_t:
    p_t = p̂_t + (1 − α) (I − r_t r_tᵀ) e_t + (1 − α_d) r_t r_tᵀ e_t,    p_0 = p^cam_0.
A monocular position is far noisier along the viewing ray (depth, from the body's image
size) than across it (where the keypoints are), so the depth part of the innovation gets
its own, smaller gain: α_d ≥ α. α → 1 trusts the velocities, α = 0 the camera only;
α_d = α is the plain filter p_t = α p̂_t + (1 − α) p^cam_t.
Streaming continues the filter across windows: the first frame of a new chunk starts from
the prediction p̂ of the last frame already published.
"""

from __future__ import annotations

import torch
from torch import Tensor

from ..geometry.gravity_view import heading_rotation


def world_root_rotation(T_world_camera: Tensor, R_cam_root: Tensor) -> Tensor:
    """(..., T, 4, 4), (..., T, 3, 3) -> R_world_root (..., T, 3, 3)."""
    return T_world_camera[..., :3, :3] @ R_cam_root


def camera_to_world(T_world_camera: Tensor, points: Tensor) -> Tensor:
    """Camera-frame points (..., T, N, 3) -> world (..., T, N, 3)."""
    R, o = T_world_camera[..., None, :3, :3], T_world_camera[..., None, :3, 3]
    return (R @ points[..., None])[..., 0] + o


def world_to_camera(T_world_camera: Tensor, points: Tensor) -> Tensor:
    """World points (..., T, N, 3) -> camera frame (..., T, N, 3): R_wcᵀ (p − o_wc)."""
    R, o = T_world_camera[..., None, :3, :3], T_world_camera[..., None, :3, 3]
    return (R.transpose(-1, -2) @ (points - o)[..., None])[..., 0]


def _heading_step(R_world_root: Tensor, velocity: Tensor, fps: float) -> Tensor:
    """H v / fps (..., 3): one frame of heading-frame velocity in the world."""
    return torch.einsum("...ij,...j->...i", heading_rotation(R_world_root), velocity) / fps


def predict_next_pelvis(pelvis_world: Tensor, R_world_root: Tensor, velocity: Tensor,
                        fps: float) -> Tensor:
    """p_t + H_t v_t / fps: where the velocity carries the pelvis (..., 3) by the next frame,
    from root rotations (..., 3, 3) and heading-frame velocities (..., 3)."""
    return pelvis_world + _heading_step(R_world_root, velocity, fps)


def fuse_world_pelvis(pelvis_from_camera: Tensor, camera_origin: Tensor, R_world_root: Tensor,
                      velocity: Tensor, fps: float, alpha: float, alpha_depth: float,
                      predicted_first: Tensor | None = None) -> Tensor:
    """Complementary filter (..., T, 3) from camera-based pelvis (..., T, 3), camera centres
    (..., T, 3), root rotations (..., T, 3, 3) and heading-frame velocities (..., T, 3);
    gains α across and α_d along the viewing ray. ``predicted_first`` (..., 3) continues an
    earlier run (predict_next_pelvis of its last frame); without it the filter starts at
    the camera-based position."""
    step = _heading_step(R_world_root, velocity, fps)
    ray = pelvis_from_camera - camera_origin
    ray = ray / ray.norm(dim=-1, keepdim=True).clamp(min=1e-6)                # (..., T, 3)

    def correct(predicted: Tensor, t: int) -> Tensor:
        e, r = pelvis_from_camera[..., t, :] - predicted, ray[..., t, :]
        along = (e * r).sum(-1, keepdim=True) * r
        return predicted + (1 - alpha) * (e - along) + (1 - alpha_depth) * along

    out = [pelvis_from_camera[..., 0, :] if predicted_first is None
           else correct(predicted_first, 0)]
    for t in range(1, pelvis_from_camera.shape[-2]):
        out.append(correct(out[-1] + step[..., t - 1, :], t))
    return torch.stack(out, dim=-2)
