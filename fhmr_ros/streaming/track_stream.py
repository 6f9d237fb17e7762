"""One tracked person's observations resampled onto the model's frame grid, and what has
already been published for them.

The model runs at a fixed rate (its checkpoint's fps). A camera streams at its own, possibly
irregular, rate. Grid frame n of a track sits at τ_n = t_0 + n / fps, t_0 the stamp of the
track's first observation. Observations a (stamp t_a) and b (t_b) fill the grid frames
t_a < τ ≤ t_b:

    gap t_b − t_a ≤ max_gap:   uv(τ) = (1 − w) uv_a + w uv_b,  c(τ) = (1 − w) c_a + w c_b,
                               w = (τ − t_a) / (t_b − t_a); a keypoint unseen in a or b takes
                               the nearer observation's values;
    larger gaps:               unobserved (confidence 0, no box), except a frame within half
                               a grid step of t_b, which takes b.

The camera pose of every grid frame is interpolated from the image poses (PoseBuffer), so a
10 fps video and a 30 fps camera feed the same 30 fps model.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .root_alignment import RootAligner


@dataclass
class GridFrame:
    """Model-rate observation of one track."""

    stamp: float
    keypoints: np.ndarray   # (K, 3) u, v pixels, confidence
    bbox: np.ndarray        # (4,) xyxy pixels, NaN when unobserved
    K: np.ndarray           # (3, 3)
    T_world_camera: np.ndarray  # (4, 4)
    observed: bool          # an observation lies within half a grid step


class TrackStream:
    """Grid frames of one track (the last ``capacity``), the normalised states of the last
    ``held`` published frames (what a run may hold known), the last run's states for the
    frames after them (its look-ahead), the world filter's prediction for the next frame and
    the root alignment's running state."""

    def __init__(self, track_id: int, fps: float, capacity: int, max_gap_s: float,
                 aligner: RootAligner | None = None, held: int = 0) -> None:
        self.track_id = track_id
        self.dt = 1.0 / fps
        self.max_gap_s = max_gap_s
        self.t0: float | None = None
        self.num_frames = 0         # grid frames created
        self.num_emitted = 0        # grid frames published
        self.num_at_last_run = 0
        self.last_seen: float | None = None
        self.frames: deque[GridFrame] = deque(maxlen=capacity)
        self.states: deque[Tensor] = deque(maxlen=held)      # (D,) published, normalised
        self.lookahead: Tensor = torch.empty(0)  # (L, D) frames num_emitted.. of the last run
        self.next_pelvis_world: Tensor | None = None          # (3,) world filter prediction
        self.last_heading: tuple[float, float] | None = None  # (stamp, heading yaw) published
        self.aligner = aligner
        self.floor = None           # FloorScale, when the floor (or a height) sets the scale
        self._last: tuple[float, np.ndarray, np.ndarray] | None = None  # t, kp, bbox

    def stamp_of(self, n: int) -> float:
        return self.t0 + n * self.dt

    def add_observation(self, stamp: float, keypoints: np.ndarray, bbox: np.ndarray,
                        K: np.ndarray, camera_at) -> int:
        """Fill the grid up to ``stamp``; camera_at(τ) gives the (4, 4) camera pose.
        Returns the number of grid frames added."""
        keypoints = np.asarray(keypoints, dtype=np.float32)
        bbox = np.asarray(bbox, dtype=np.float32)
        added = 0
        if self.t0 is None:
            self.t0 = stamp
        else:
            t_a, kp_a, box_a = self._last
            while self.stamp_of(self.num_frames) <= stamp + 1e-6:
                tau = self.stamp_of(self.num_frames)
                self._append(tau, *self._between(tau, t_a, kp_a, box_a, stamp, keypoints, bbox),
                             K, camera_at)
                added += 1
        if self.num_frames == 0:
            self._append(stamp, keypoints, bbox, True, K, camera_at)
            added += 1
        self._last = (stamp, keypoints, bbox)
        self.last_seen = stamp
        return added

    def _between(self, tau, t_a, kp_a, box_a, t_b, kp_b, box_b):
        near = min(abs(tau - t_a), abs(tau - t_b)) <= 0.5 * self.dt + 1e-6
        if t_b - t_a > self.max_gap_s:
            if abs(tau - t_b) <= 0.5 * self.dt + 1e-6:
                return kp_b, box_b, True
            unseen = np.zeros_like(kp_b)
            return unseen, np.full(4, np.nan, np.float32), False
        w = np.float32((tau - t_a) / (t_b - t_a))
        kp = (1 - w) * kp_a + w * kp_b
        nearer = kp_b if w >= 0.5 else kp_a
        either_unseen = (kp_a[:, 2] <= 0) | (kp_b[:, 2] <= 0)
        kp[either_unseen] = nearer[either_unseen]
        if np.isfinite(box_a).all() and np.isfinite(box_b).all():
            box = (1 - w) * box_a + w * box_b
        else:
            box = box_b if w >= 0.5 else box_a
        return kp, box, near

    def _append(self, tau, keypoints, bbox, observed, K, camera_at) -> None:
        self.frames.append(GridFrame(tau, keypoints, bbox, np.asarray(K, np.float64),
                                     camera_at(tau), observed))
        self.num_frames += 1

    def window(self, length: int) -> list[GridFrame]:
        """The last ``length`` grid frames (fewer at the start of a track)."""
        return list(self.frames)[-length:]

    def keep_published(self, states: Tensor) -> None:
        """Remember the normalised states (n, D) of the frames just published (the last
        ``held`` of all published frames are kept)."""
        if self.states.maxlen:
            self.states.extend(states.cpu())

    def latest_published(self, start: int) -> list[Tensor]:
        """The kept states (D,) of published frames from grid frame ``start`` on (at most
        ``held``, the latest)."""
        n = min(len(self.states), max(0, self.num_emitted - start))
        return list(self.states)[len(self.states) - n:]
