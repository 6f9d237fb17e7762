"""Per-frame model inputs built from detections, intrinsics and camera poses.

The same function builds them for training (simulated detections), offline inference
(OBS.npz) and streaming (live topics), so the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..geometry.camera_motion import camera_motion_features
from ..geometry.cameras import bbox_xyxy_to_center_size, cliff_bbox_features, pixels_to_rays

CAMERA_MOTION_DIM = 12   # delta rotation 6D + delta translation 3 + gravity 3


@dataclass
class FrameInputs:
    """Model conditions for a batch of windows."""

    rays: Tensor            # (B, T, K, 2) K^-1 [u, v, 1] (x/z, y/z) per keypoint
    confidence: Tensor      # (B, T, K) in [0, 1]; 0 = unobserved
    bbox: Tensor            # (B, T, 3) CLIFF vector; zeros where bbox_valid is False
    bbox_valid: Tensor      # (B, T) bool
    camera_motion: Tensor   # (B, T, 12)

    def _map(self, fn) -> "FrameInputs":
        return FrameInputs(*(fn(getattr(self, f)) for f in self.__dataclass_fields__))

    def to(self, device: torch.device | str) -> "FrameInputs":
        return self._map(lambda x: x.to(device))

    def frames(self, start: int, stop: int) -> "FrameInputs":
        """Frames [start, stop) of every window."""
        return self._map(lambda x: x[:, start:stop])

    @staticmethod
    def cat(items: list["FrameInputs"]) -> "FrameInputs":
        return FrameInputs(*(torch.cat([getattr(i, f) for i in items])
                             for f in FrameInputs.__dataclass_fields__))


def bbox_from_keypoints(keypoints: Tensor, margin: float = 0.1) -> tuple[Tensor, Tensor]:
    """xyxy box (..., 4) around the observed keypoints (..., K, 3), grown by ``margin`` of
    its size on each side, and a validity flag (...,) (at least two observed keypoints)."""
    seen = keypoints[..., 2] > 0
    big = torch.finfo(keypoints.dtype).max
    u, v = keypoints[..., 0], keypoints[..., 1]
    lo = torch.stack([torch.where(seen, u, big).amin(-1), torch.where(seen, v, big).amin(-1)], -1)
    hi = torch.stack([torch.where(seen, u, -big).amax(-1),
                      torch.where(seen, v, -big).amax(-1)], -1)
    valid = seen.sum(-1) >= 2
    pad = (hi - lo) * margin
    box = torch.cat([lo - pad, hi + pad], dim=-1)
    return torch.where(valid[..., None], box, torch.zeros_like(box)), valid


def build_inputs(keypoints: Tensor, K: Tensor, T_world_camera: Tensor,
                 bbox: Tensor | None = None) -> FrameInputs:
    """Build FrameInputs from raw per-frame observations.

    keypoints (B, T, K, 3) pixels u, v and confidence; K (B, T, 3, 3) intrinsics;
    T_world_camera (B, T, 4, 4) camera-to-world poses (z-up world); bbox (B, T, 4) xyxy
    pixels or None (then taken from the keypoints; NaN rows mean "no detection").
    """
    conf = keypoints[..., 2].clamp(0.0, 1.0)
    conf = torch.where(torch.isfinite(keypoints[..., :2]).all(-1), conf, torch.zeros_like(conf))
    uv = torch.nan_to_num(keypoints[..., :2])
    rays = pixels_to_rays(uv, K)[..., :2]
    rays = torch.where(conf[..., None] > 0, rays, torch.zeros_like(rays))
    if bbox is None:
        box, valid = bbox_from_keypoints(torch.cat([uv, conf[..., None]], dim=-1))
    else:
        valid = torch.isfinite(bbox).all(-1) & (bbox[..., 2] > bbox[..., 0]) & (
            bbox[..., 3] > bbox[..., 1])
        box = torch.where(valid[..., None], bbox, torch.zeros_like(bbox))
    cliff = cliff_bbox_features(bbox_xyxy_to_center_size(box), K)
    cliff = torch.where(valid[..., None], cliff, torch.zeros_like(cliff))
    motion = camera_motion_features(T_world_camera)
    cam = torch.cat([motion.delta_rot6d, motion.delta_transl, motion.gravity], dim=-1)
    return FrameInputs(rays=rays, confidence=conf, bbox=cliff, bbox_valid=valid,
                       camera_motion=cam)


def random_inputs(B: int, T: int, K: int = 33, device: torch.device | str = "cpu",
                  generator: torch.Generator | None = None) -> FrameInputs:
    """Plausibly scaled random model inputs (B, T) for K keypoints (benchmarks, tests)."""
    g = generator
    return FrameInputs(rays=torch.randn(B, T, K, 2, generator=g) * 0.2,
                       confidence=torch.rand(B, T, K, generator=g),
                       bbox=torch.randn(B, T, 3, generator=g) * 0.1,
                       bbox_valid=torch.ones(B, T, dtype=torch.bool),
                       camera_motion=torch.randn(B, T, 12, generator=g) * 0.01).to(device)
