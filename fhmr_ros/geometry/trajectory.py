"""Root trajectories from local velocities and back (z-up world).

The root velocity is expressed in the body's heading frame H_t = Rz(yaw_t) (x forward,
y left, z up), which makes it invariant to where the person walks and which way they face:
    v_t = H_t^T (p_{t+1} - p_t) * fps,        p_{t+1} = p_t + H_t v_t / fps.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .gravity_view import heading_rotation


def local_root_velocity(R_world_root: Tensor, positions: Tensor, fps: float) -> Tensor:
    """Heading-frame root velocity (..., T, 3) in m/s from orientations (..., T, 3, 3) and
    positions (..., T, 3). The last frame repeats the previous velocity (T >= 2)."""
    step = (positions[..., 1:, :] - positions[..., :-1, :]) * fps          # (..., T-1, 3)
    H = heading_rotation(R_world_root[..., :-1, :, :])
    v = torch.einsum("...ji,...j->...i", H, step)
    return torch.cat([v, v[..., -1:, :]], dim=-2)


def rollout_root_trajectory(R_world_root: Tensor, velocity: Tensor, fps: float,
                            start: Tensor | None = None) -> Tensor:
    """Integrate heading-frame velocities (..., T, 3) into positions (..., T, 3).

    p_0 = start (default 0); frame t's velocity moves the root from t to t+1.
    """
    H = heading_rotation(R_world_root)
    step = torch.einsum("...ij,...j->...i", H, velocity) / fps               # (..., T, 3)
    zero = torch.zeros_like(step[..., :1, :])
    p = torch.cumsum(torch.cat([zero, step[..., :-1, :]], dim=-2), dim=-2)
    return p if start is None else p + start[..., None, :]
