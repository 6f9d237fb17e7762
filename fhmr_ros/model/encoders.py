"""Per-frame condition encoders: keypoint rays and bounding box, camera motion."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..body.keypoints import keypoint_format
from .config import InputConfig
from .inputs import CAMERA_MOTION_DIM, FrameInputs


def sinusoidal(x: Tensor, frequencies: int) -> Tensor:
    """[x, sin(2^k π x), cos(2^k π x)] for k < frequencies: (..., C) -> (..., C (1 + 2F))."""
    freqs = (2.0 ** torch.arange(frequencies, device=x.device, dtype=x.dtype)) * math.pi
    xf = x[..., None] * freqs                                             # (..., C, F)
    return torch.cat([x, xf.sin().flatten(-2), xf.cos().flatten(-2)], dim=-1)


class ObservationEncoder(nn.Module):
    """Keypoints + bbox -> one token per frame: the observation-heavy part that
    classifier-free guidance drops. (No image backbone can be obtained offline, so there is
    no image-feature input.)

    Each keypoint's ray (x/z, y/z) is sinusoidally embedded with its confidence; keypoints
    below ``min_confidence`` are replaced by a learned per-keypoint mask embedding.
    """

    def __init__(self, cfg: InputConfig, width: int) -> None:
        super().__init__()
        self.cfg = cfg
        k = len(keypoint_format(cfg.keypoint_format).names)
        per_kp = 2 * (1 + 2 * cfg.ray_frequencies) + 1
        self.keypoint = nn.Linear(per_kp, cfg.keypoint_embed)
        self.mask_token = nn.Parameter(torch.zeros(k, cfg.keypoint_embed))
        self.bbox = nn.Linear(3, cfg.keypoint_embed)
        self.bbox_missing = nn.Parameter(torch.zeros(cfg.keypoint_embed))
        self.out = nn.Sequential(nn.Linear((k + 1) * cfg.keypoint_embed, width), nn.GELU(),
                                 nn.Linear(width, width))

    def forward(self, inputs: FrameInputs) -> Tensor:
        emb = self.keypoint(torch.cat([sinusoidal(inputs.rays, self.cfg.ray_frequencies),
                                       inputs.confidence[..., None]], dim=-1))  # (B, T, K, E)
        seen = (inputs.confidence >= self.cfg.min_confidence)[..., None]
        emb = torch.where(seen, emb, self.mask_token.expand_as(emb))
        box = torch.where(inputs.bbox_valid[..., None], self.bbox(inputs.bbox),
                          self.bbox_missing.expand(*inputs.bbox.shape[:-1], -1))
        return self.out(torch.cat([emb.flatten(-2), box], dim=-1))        # (B, T, W)


class ContextEncoder(nn.Module):
    """Camera motion and gravity -> one token per frame (never dropped)."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(CAMERA_MOTION_DIM, width), nn.GELU(),
                                 nn.Linear(width, width))

    def forward(self, inputs: FrameInputs) -> Tensor:
        return self.net(inputs.camera_motion)                             # (B, T, W)
