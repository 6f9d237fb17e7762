"""Pinhole cameras in the optical frame (REP-103: x right, y down, z forward).

    [u, v, 1]^T ~ K [x, y, z]^T,    K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]].
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor


def check_intrinsics(K: Tensor) -> None:
    """Raise ValueError unless K (..., 3, 3) is a usable pinhole matrix.

    An all-zero K is what an uncalibrated camera_info carries: never use it silently.
    """
    if K.shape[-2:] != (3, 3):
        raise ValueError(f"intrinsics must be (..., 3, 3), got {tuple(K.shape)}")
    if not torch.isfinite(K).all():
        raise ValueError("intrinsics contain NaN or Inf")
    fx, fy = K[..., 0, 0], K[..., 1, 1]
    if (fx <= 0).any() or (fy <= 0).any():
        raise ValueError("intrinsics have a non-positive focal length (an all-zero K means "
                         "the camera is not calibrated)")


def project(points: Tensor, K: Tensor, eps: float = 1e-6) -> Tensor:
    """Camera-frame points (..., N, 3) -> pixels (..., N, 2). K: (..., 3, 3).

    Points at or behind the camera (z <= eps) are divided by eps: callers mask them.
    """
    uvw = torch.einsum("...ij,...nj->...ni", K, points)
    return uvw[..., :2] / uvw[..., 2:].clamp(min=eps)


def pixels_to_rays(uv: Tensor, K: Tensor) -> Tensor:
    """Pixels (..., N, 2) -> camera rays (..., N, 3) with z = 1: K^-1 [u, v, 1]."""
    fx, fy = K[..., 0, 0, None], K[..., 1, 1, None]
    cx, cy = K[..., 0, 2, None], K[..., 1, 2, None]
    skew = K[..., 0, 1, None]
    y = (uv[..., 1] - cy) / fy
    x = (uv[..., 0] - cx - skew * y) / fx
    return torch.stack([x, y, torch.ones_like(x)], dim=-1)


def unproject(uv: Tensor, depth: Tensor, K: Tensor) -> Tensor:
    """Pixels (..., N, 2) and depths z (..., N) -> camera-frame points (..., N, 3)."""
    return pixels_to_rays(uv, K) * depth[..., None]


def bbox_xyxy_to_center_size(bbox: Tensor, square_scale: float = 1.0) -> Tensor:
    """(..., 4) [u_min, v_min, u_max, v_max] -> (..., 3) [cx, cy, size], size = the longer
    side times ``square_scale``."""
    c = (bbox[..., :2] + bbox[..., 2:]) / 2.0
    size = (bbox[..., 2:] - bbox[..., :2]).max(dim=-1).values * square_scale
    return torch.cat([c, size[..., None]], dim=-1)


def cliff_bbox_features(center_size: Tensor, K: Tensor) -> Tensor:
    """CLIFF bounding-box vector (..., 3): [(cx - cx0) / f, (cy - cy0) / f, size / f].

    center_size (..., 3) = [cx, cy, size] in pixels; K (..., 3, 3); f = (fx + fy) / 2.
    It tells the network where the crop sits in the full frame, in focal units.
    """
    f = (K[..., 0, 0] + K[..., 1, 1]) / 2.0
    principal = torch.stack([K[..., 0, 2], K[..., 1, 2]], dim=-1)
    return torch.cat([(center_size[..., :2] - principal) / f[..., None],
                      center_size[..., 2:] / f[..., None]], dim=-1)


def default_intrinsics(width: int, height: int) -> np.ndarray:
    """(3, 3): focal length = image diagonal in pixels, principal point at the centre."""
    f = math.hypot(width, height)
    return np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], np.float64)


def parse_intrinsics(text: str) -> np.ndarray:
    """"FX,FY,CX,CY" (pixels, the commands' --intrinsics) -> (3, 3)."""
    try:
        fx, fy, cx, cy = (float(v) for v in text.split(","))
    except ValueError:
        raise ValueError(f"--intrinsics wants FX,FY,CX,CY in pixels, got {text!r}") from None
    if min(fx, fy) <= 0:
        raise ValueError("--intrinsics: focal lengths must be positive")
    return np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], np.float64)
