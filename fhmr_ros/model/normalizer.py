"""Per-dimension standardisation of the variable vector: x̂ = (x − μ) / σ."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Normalizer(nn.Module):
    def __init__(self, dim: int, min_std: float = 1e-2) -> None:
        super().__init__()
        self.min_std = min_std
        self.register_buffer("mean", torch.zeros(dim))
        self.register_buffer("std", torch.ones(dim))

    @torch.no_grad()
    def fit(self, x: Tensor) -> None:
        """Statistics from training samples x (..., D); σ is floored at ``min_std``."""
        flat = x.reshape(-1, x.shape[-1]).double()
        self.mean.copy_(flat.mean(0).float())
        self.std.copy_(flat.std(0).clamp(min=self.min_std).float())

    def normalize(self, x: Tensor, dims: slice = slice(None)) -> Tensor:
        return (x - self.mean[dims]) / self.std[dims]

    def denormalize(self, x: Tensor, dims: slice = slice(None)) -> Tensor:
        return x * self.std[dims] + self.mean[dims]
