"""Pre-norm transformer over the frames of a window with rotary position embeddings.

RoPE rotates each (even, odd) pair of query/key channels by an angle proportional to the
frame index, so attention depends on relative frame offsets only:
    q'_{2i}   = q_{2i} cos(n θ_i) − q_{2i+1} sin(n θ_i),
    q'_{2i+1} = q_{2i} sin(n θ_i) + q_{2i+1} cos(n θ_i),   θ_i = base^(−2i/d).
Everything else acts per frame, so windows of different lengths can share one batch: the
short ones are padded in front and a frame mask (B, T) keeps padding out of every frame's
attention; since positions are relative, the real frames' outputs do not change.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import TransformerConfig


@functools.lru_cache(maxsize=32)
def _rotations(T: int, d: int, base: float, device: torch.device, dtype: torch.dtype
               ) -> Tensor:
    """(T, d/2) complex e^{i n θ_k}, cached per window length (inference re-uses a few)."""
    theta = base ** (-torch.arange(0, d, 2, device=device, dtype=torch.float64) / d)  # (d/2,)
    angle = torch.arange(T, device=device, dtype=torch.float64)[:, None] * theta     # (T, d/2)
    complex_dtype = torch.complex128 if dtype == torch.float64 else torch.complex64
    return torch.polar(torch.ones_like(angle), angle).to(complex_dtype)


def rotary(x: Tensor, base: float = 10000.0) -> Tensor:
    """Apply RoPE to x (B, H, T, d) along T: each channel pair (2i, 2i+1) as the complex
    number q_{2i} + i q_{2i+1}, multiplied by e^{i n θ_i} (the rotation above)."""
    d, T = x.shape[-1], x.shape[-2]
    compute = torch.float64 if x.dtype == torch.float64 else torch.float32    # bf16/fp16 too
    pairs = torch.view_as_complex(x.to(compute).reshape(*x.shape[:-1], d // 2, 2))
    rotated = pairs * _rotations(T, d, base, x.device, compute)        # (B, H, T, d/2)
    return torch.view_as_real(rotated).flatten(-2).to(x.dtype)


class RopeAttention(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        self.heads = cfg.heads
        self.qkv = nn.Linear(cfg.width, 3 * cfg.width)
        self.proj = nn.Linear(cfg.width, cfg.width)
        self.dropout = cfg.dropout

    def forward(self, x: Tensor, frame_mask: Tensor | None = None) -> Tensor:
        """x (B, T, W); frame_mask (B, T) bool, False = padding no frame attends to."""
        B, T, W = x.shape
        q, k, v = self.qkv(x).view(B, T, 3, self.heads, W // self.heads).permute(2, 0, 3, 1, 4)
        mask = None if frame_mask is None else frame_mask[:, None, None, :]    # (B, 1, 1, T)
        out = F.scaled_dot_product_attention(rotary(q), rotary(k), v, attn_mask=mask,
                                             dropout_p=self.dropout if self.training else 0.0)
        return self.proj(out.transpose(1, 2).reshape(B, T, W))


class Block(nn.Module):
    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        hidden = int(cfg.width * cfg.mlp_ratio)
        self.norm1 = nn.LayerNorm(cfg.width)
        self.attn = RopeAttention(cfg)
        self.norm2 = nn.LayerNorm(cfg.width)
        self.mlp = nn.Sequential(nn.Linear(cfg.width, hidden), nn.GELU(),
                                 nn.Dropout(cfg.dropout), nn.Linear(hidden, cfg.width))

    def forward(self, x: Tensor, frame_mask: Tensor | None = None) -> Tensor:
        x = x + self.attn(self.norm1(x), frame_mask)
        return x + self.mlp(self.norm2(x))


class RopeTransformer(nn.Module):
    """(B, T, W) -> (B, T, W); an optional frame mask (B, T) marks padding (False)."""

    def __init__(self, cfg: TransformerConfig) -> None:
        super().__init__()
        if cfg.width % cfg.heads or (cfg.width // cfg.heads) % 2:
            raise ValueError(f"width {cfg.width} must split into {cfg.heads} even-sized heads")
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.width)

    def forward(self, x: Tensor, frame_mask: Tensor | None = None) -> Tensor:
        for block in self.blocks:
            x = block(x, frame_mask)
        return self.norm(x)
