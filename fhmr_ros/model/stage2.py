"""Stage 2: the masked conditional flow-matching velocity network.

Input per frame: the current state x_t (normalised, D dims) with its known-mask, the flow
time t, and the condition c = observation token (or the learned null token when dropped
for classifier-free guidance) + camera-context token + anchor embedding.
The network predicts the clean sample x̂1 = f_θ(x_t, t, c) and the velocity follows from
the flow path (model/flow_path.py):
    v_θ = (x̂1 − x_t) / (1 − t)  ≈  x1 − x0.
(Predicting x̂1 rather than v directly is the same flow; it trains faster on small models and
keeps every intermediate estimate a plausible motion.)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .config import ModelConfig
from .encoders import ContextEncoder, ObservationEncoder, sinusoidal
from .flow_path import velocity_from_clean
from .inputs import FrameInputs
from .representation import ANCHOR_DIM, DIM
from .transformer import RopeTransformer


class Stage2(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        w = cfg.stage2.width
        self.observation = ObservationEncoder(cfg.inputs, w)
        self.null_observation = nn.Parameter(torch.zeros(w))
        self.context = ContextEncoder(w)
        self.anchor = nn.Sequential(nn.Linear(ANCHOR_DIM, w), nn.GELU(), nn.Linear(w, w))
        self.time = nn.Sequential(nn.Linear(1 + 2 * 8, w), nn.GELU(), nn.Linear(w, w))
        self.state = nn.Linear(2 * DIM, w)
        self.net = RopeTransformer(cfg.stage2)
        self.head = nn.Linear(w, DIM)

    def condition(self, inputs: FrameInputs, anchor: Tensor, drop: Tensor | None = None
                  ) -> Tensor:
        """Condition tokens (B, T, W). anchor (B, T, 61) normalised; drop (B,) bool replaces
        the observation token by the null token (classifier-free guidance)."""
        obs = self.observation(inputs)
        if drop is not None:
            obs = torch.where(drop[:, None, None], self.null_observation.expand_as(obs), obs)
        return obs + self.context(inputs) + self.anchor(anchor)

    def unconditional(self, inputs: FrameInputs, anchor: Tensor) -> Tensor:
        """Condition tokens with every observation token dropped."""
        return self.condition(inputs, anchor,
                              torch.ones(anchor.shape[0], dtype=torch.bool, device=anchor.device))

    def forward(self, x_t: Tensor, known: Tensor, t: Tensor, cond: Tensor,
                frame_mask: Tensor | None = None) -> Tensor:
        """x_t (B, T, D), known (B, T, D) bool, t (B,), cond (B, T, W) -> x̂1 (B, T, D);
        frame_mask (B, T) bool: False marks padding (model/transformer.py)."""
        temb = self.time(sinusoidal(t[:, None], 8))[:, None, :]              # (B, 1, W)
        h = self.state(torch.cat([x_t, known.to(x_t.dtype)], dim=-1)) + cond + temb
        return self.head(self.net(h, frame_mask))

    def velocity(self, x_t: Tensor, known: Tensor, t: Tensor, cond: Tensor,
                 frame_mask: Tensor | None = None) -> Tensor:
        """v_θ (B, T, D) = (x̂1 − x_t) / (1 − t)."""
        return velocity_from_clean(self(x_t, known, t, cond, frame_mask), x_t, t)
