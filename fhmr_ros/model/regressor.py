"""Deterministic regressors: Stage 1 (anchor) and the same-size all-at-once baseline.

Both map per-frame conditions to a normalised variable vector with one RoPE transformer:
Stage 1 outputs the anchor A (61 dims), the GVHMR-style baseline all D = 215 variables.
"""

from __future__ import annotations

from torch import Tensor, nn

from .config import InputConfig, TransformerConfig
from .encoders import ContextEncoder, ObservationEncoder
from .inputs import FrameInputs
from .transformer import RopeTransformer


class DeterministicRegressor(nn.Module):
    def __init__(self, inputs: InputConfig, net: TransformerConfig, out_dim: int) -> None:
        super().__init__()
        self.observation = ObservationEncoder(inputs, net.width)
        self.context = ContextEncoder(net.width)
        self.net = RopeTransformer(net)
        self.head = nn.Linear(net.width, out_dim)

    def forward(self, inputs: FrameInputs, frame_mask: Tensor | None = None) -> Tensor:
        """frame_mask (B, T) bool: False marks padding (model/transformer.py)."""
        tokens = self.observation(inputs) + self.context(inputs)             # (B, T, W)
        return self.head(self.net(tokens, frame_mask))                       # (B, T, out)
