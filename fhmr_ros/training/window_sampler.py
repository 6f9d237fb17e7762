"""Random training windows drawn from posed clips, each seen by a freshly sampled robot
camera and detector (data/windows.make_batch)."""

from __future__ import annotations

import numpy as np

from ..body.keypoints import KeypointFormat
from ..data.camera_rigs import CameraRigConfig
from ..data.observations import DetectorNoiseConfig
from ..data.windows import Batch, ClipGeometry, make_batch


class WindowSampler:
    """Random training windows, clips weighted by their number of windows times their
    source's weight (``source_weights``, by MotionClip.source; 1 when not given): so that
    minutes of real motion are not drowned by hours of procedural clips,
        p(clip) ∝ (T_clip − W + 1) · w_source(clip)."""

    def __init__(self, clips: list[ClipGeometry], window: int, fmt: KeypointFormat,
                 rig_cfg: CameraRigConfig | None = None,
                 noise_cfg: DetectorNoiseConfig | None = None,
                 source_weights: dict[str, float] | None = None) -> None:
        self.clips = [c for c in clips if c.clip.num_frames >= window]
        if not self.clips:
            raise ValueError(f"no clip has the {window} frames a window needs")
        weights = source_weights or {}
        counts = np.array([(c.clip.num_frames - window + 1) * weights.get(c.clip.source, 1.0)
                           for c in self.clips], dtype=float)
        self.p = counts / counts.sum()
        self.window, self.fmt = window, fmt
        self.rig_cfg, self.noise_cfg = rig_cfg, noise_cfg

    def batch(self, rng: np.random.Generator, size: int) -> Batch:
        idx = rng.choice(len(self.clips), size=size, p=self.p)
        items = [(self.clips[i], int(rng.integers(0, self.clips[i].clip.num_frames
                                                   - self.window + 1))) for i in idx]
        return make_batch(rng, items, self.window, self.fmt, self.rig_cfg, self.noise_cfg)
