"""The masked conditional flow path that training, Stage 2 and the sampler share.

Linear path from noise x0 ~ N(0, τ² I) to the data x1, with known coordinates (mask m)
held at their values x_k for every t:
    x_t = m ⊙ x_k + (1 − m) ⊙ ((1 − t) x0 + t x1),          dx_t/dt = x1 − x0.
Stage 2 predicts the clean sample x̂1 = f_θ(x_t, t, c); the velocity follows from the path:
    v_θ = (x̂1 − x_t) / (1 − t).
"""

from __future__ import annotations

import torch
from torch import Tensor

MIN_REMAINING = 1e-3      # 1 − t is clamped here: v_θ stays finite at t → 1


def hold_known(x: Tensor, x_known: Tensor, known: Tensor) -> Tensor:
    """m ⊙ x_k + (1 − m) ⊙ x: the known coordinates written back (inpainting)."""
    return torch.where(known, x_known, x)


def path_state(x0: Tensor, x1: Tensor, t: Tensor, known: Tensor) -> Tensor:
    """x_t (B, T, D) at flow times t (B,), with the known coordinates of x1 held."""
    s = t[:, None, None]
    return hold_known((1 - s) * x0 + s * x1, x1, known)


def velocity_from_clean(x1_hat: Tensor, x_t: Tensor, t: Tensor) -> Tensor:
    """v_θ (B, T, D) = (x̂1 − x_t) / (1 − t) for flow times t (B,)."""
    remaining = (1 - t).clamp(min=MIN_REMAINING)[:, None, None]
    return (x1_hat - x_t) / remaining
