"""Random training windows drawn from posed clips, each seen by a freshly sampled robot
camera and detector (data/windows.make_batch)."""

from __future__ import annotations

import numpy as np

from ..body.keypoints import KeypointFormat
from ..data.camera_rigs import CameraRigConfig
from ..data.observations import DetectorNoiseConfig
from ..data.windows import Batch, ClipGeometry, make_batch


def weight_of(clip: ClipGeometry, weights: dict[str, float]) -> float:
    """A clip's sampling weight: its motion set's (the first part of a mocap clip's name,
    e.g. ``cmu``) when given, else its source's (MotionClip.source, e.g. ``bvh``), else 1."""
    if clip.clip.source != "procedural":
        motion_set = clip.clip.name.split("/")[0]
        if motion_set in weights:
            return weights[motion_set]
    return weights.get(clip.clip.source, 1.0)


class WindowSampler:
    """Random training windows, clips weighted by their number of windows times their
    set's or source's weight (``weights``, see weight_of): so that minutes of real motion
    are not drowned by hours of procedural clips,
        p(clip) ∝ (T_clip − W + 1) · w(clip)."""

    def __init__(self, clips: list[ClipGeometry], window: int, fmt: KeypointFormat,
                 rig_cfg: CameraRigConfig | None = None,
                 noise_cfg: DetectorNoiseConfig | None = None,
                 weights: dict[str, float] | None = None) -> None:
        self.clips = [c for c in clips if c.clip.num_frames >= window]
        if not self.clips:
            raise ValueError(f"no clip has the {window} frames a window needs")
        counts = np.array([(c.clip.num_frames - window + 1) * weight_of(c, weights or {})
                           for c in self.clips], dtype=float)
        self.p = counts / counts.sum()
        self.window, self.fmt = window, fmt
        self.rig_cfg, self.noise_cfg = rig_cfg, noise_cfg

    def batch(self, rng: np.random.Generator, size: int) -> Batch:
        idx = rng.choice(len(self.clips), size=size, p=self.p)
        items = [(self.clips[i], int(rng.integers(0, self.clips[i].clip.num_frames
                                                   - self.window + 1))) for i in idx]
        return make_batch(rng, items, self.window, self.fmt, self.rig_cfg, self.noise_cfg)
