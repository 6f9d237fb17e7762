"""Fixed-step ODE sampler for masked conditional flow matching, with inpainting and CFG.

Path (model/flow_path.py): x_t = (1 − t) x0 + t x1, x0 ~ N(0, τ² I); the network predicts
dx/dt = x1 − x0. Known coordinates (mask m) hold their values x_k at every t: the state
starts as
    x_0 = m ⊙ x_k + (1 − m) ⊙ ε
and after every step (and inside the midpoint step) x ← m ⊙ x_k + (1 − m) ⊙ x.
Euler:     x_{t+h} = x_t + h v(x_t, t)
Midpoint:  x_{t+h} = x_t + h v(x_t + h/2 v(x_t, t), t + h/2)
Classifier-free guidance: v = v_u + w (v_c − v_u), both passes in one doubled batch, while
t < t_g (``until``); from t_g on v = v_c (guidance in a limited interval: the last steps
only refine, and guiding them amplifies keypoint noise into jitter).
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from .flow_path import hold_known
from .stage2 import Stage2

# (x (B, T, D), t) -> v (B, T, D); one time t for the whole batch, a Python float, so that
# choosing the guidance interval needs no device-to-host copy
VelocityFn = Callable[[Tensor, float], Tensor]


def guided_velocity(net: Stage2, known: Tensor, cond: Tensor, uncond: Tensor | None,
                    guidance: float, frame_mask: Tensor | None = None, until: float = 1.0
                    ) -> VelocityFn:
    """Velocity function with classifier-free guidance while t < ``until``; ``uncond=None``
    = conditional only. frame_mask (B, T) bool marks padding frames (False) of shorter
    windows in the batch."""
    def conditional(x: Tensor, t: float) -> Tensor:
        return net.velocity(x, known, x.new_full((x.shape[0],), t), cond, frame_mask)

    if uncond is None:
        return conditional
    both = None if frame_mask is None else torch.cat([frame_mask, frame_mask])

    def velocity(x: Tensor, t: float) -> Tensor:
        if t >= until:
            return conditional(x, t)
        v = net.velocity(torch.cat([x, x]), torch.cat([known, known]),
                         x.new_full((2 * x.shape[0],), t), torch.cat([cond, uncond]), both)
        v_c, v_u = v.chunk(2)
        return v_u + guidance * (v_c - v_u)

    return velocity


def sample_flow(velocity: VelocityFn, x_known: Tensor, known: Tensor, steps: int,
                solver: str = "midpoint", temperature: float = 1.0,
                generator: torch.Generator | None = None) -> Tensor:
    """Integrate from t = 0 to 1. x_known, known: (B, T, D); returns x_1 (B, T, D) whose
    known coordinates equal x_known exactly."""
    if solver not in ("euler", "midpoint"):
        raise ValueError(f"unknown solver {solver!r}: use 'euler' or 'midpoint'")
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    noise = torch.randn(x_known.shape, generator=generator, device=x_known.device,
                        dtype=x_known.dtype) * temperature
    impose = lambda x: hold_known(x, x_known, known)  # noqa: E731
    x = impose(noise)
    h = 1.0 / steps
    for i in range(steps):
        t = i * h
        if solver == "euler":
            x = impose(x + h * velocity(x, t))
        else:
            x_mid = impose(x + 0.5 * h * velocity(x, t))
            x = impose(x + h * velocity(x_mid, t + 0.5 * h))
    return x
