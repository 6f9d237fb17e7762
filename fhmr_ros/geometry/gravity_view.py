"""Gravity-aware frames for a z-up world (REP-103 world/odom frames).

Body orientation convention: SMPL-X's body frame has x to the body's left, y up, z forward.
A person standing upright and facing world +x therefore has the world orientation
UPRIGHT_FACING_X (columns = body x, y, z axes in the world).

Gravity-view (GV) frame of a camera: z up (= -gravity), x = the camera's optical axis
projected onto the horizontal plane, y = z x x. It keeps the camera's viewing direction but
is levelled, so a person's root orientation in it is free of camera roll and pitch.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from .rotations import rotation_about_axis

UPRIGHT_FACING_X = torch.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def _normalise(v: Tensor, eps: float = 1e-9) -> Tensor:
    return v / v.norm(dim=-1, keepdim=True).clamp(min=eps)


def gravity_view_rotation(gravity_camera: Tensor) -> Tensor:
    """Rotation R_gv_cam (..., 3, 3) taking camera-frame vectors into the GV frame.

    gravity_camera (..., 3): direction of gravity (down) in the camera optical frame.
    Rows of R_gv_cam are the GV axes written in camera coordinates. When the camera looks
    straight up or down, the image's up direction (-y) replaces the optical axis.
    """
    up = _normalise(-gravity_camera)
    optical = torch.zeros_like(up)
    optical[..., 2] = 1.0
    image_up = torch.zeros_like(up)
    image_up[..., 1] = -1.0
    fwd = optical - (optical * up).sum(-1, keepdim=True) * up
    fwd_alt = image_up - (image_up * up).sum(-1, keepdim=True) * up
    use_alt = fwd.norm(dim=-1, keepdim=True) < 1e-3
    x = _normalise(torch.where(use_alt, fwd_alt, fwd))
    y = torch.cross(up, x, dim=-1)
    return torch.stack([x, y, up], dim=-2)


def body_heading_direction(R_world_body: Tensor) -> Tensor:
    """Horizontal unit direction (..., 3) the body faces, in a z-up world.

    The body's forward axis (its z) projected on the ground; when the body is lying
    (forward nearly vertical) its head direction (body y) is used instead.
    """
    fwd = R_world_body[..., :, 2].clone()
    head = R_world_body[..., :, 1].clone()
    fwd[..., 2] = 0.0
    head[..., 2] = 0.0
    use_head = fwd.norm(dim=-1, keepdim=True) < 0.1
    return _normalise(torch.where(use_head, head, fwd))


def heading_yaw(R_world_body: Tensor) -> Tensor:
    """Yaw angle (...,) of the body heading about world z: atan2(f_y, f_x)."""
    d = body_heading_direction(R_world_body)
    return torch.atan2(d[..., 1], d[..., 0])


def heading_rotation(R_world_body: Tensor) -> Tensor:
    """Rz(yaw) (..., 3, 3): the heading frame (x forward, y left, z up) in the world."""
    return rotation_about_axis("z", heading_yaw(R_world_body))


def static_camera_pose(gravity_camera) -> np.ndarray:
    """(4, 4) float32 pose of a static camera in the world it defines: the camera frame
    rotated so that z is up (the gravity-view frame), origin at the camera. gravity_camera
    (3,): the unit gravity direction seen from the camera."""
    T = np.eye(4, dtype=np.float32)
    T[:3, :3] = gravity_view_rotation(torch.as_tensor(gravity_camera, dtype=torch.float32)).numpy()
    return T
