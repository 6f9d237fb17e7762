"""Stamped rigid poses with interpolation at any stamp inside the buffer.

Used for the camera pose history of the streaming engine and, in the ROS node, for odometry
interpolated to image stamps (never "the latest pose").
"""

from __future__ import annotations

import bisect

import numpy as np
import torch

from ..geometry.rotations import interpolate_pose


class PoseBuffer:
    """Poses (4, 4) at increasing stamps (s); entries older than ``max_age_s`` before the
    newest are dropped."""

    def __init__(self, max_age_s: float = 10.0) -> None:
        self.max_age_s = max_age_s
        self._stamps: list[float] = []
        self._poses: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._stamps)

    @property
    def latest_stamp(self) -> float | None:
        return self._stamps[-1] if self._stamps else None

    def clear(self) -> None:
        self._stamps.clear()
        self._poses.clear()

    def add(self, stamp: float, pose: np.ndarray) -> None:
        """Append a pose; a stamp older than the newest raises ValueError (the caller decides
        whether that is a reordering to drop or a time jump to reset on)."""
        pose = np.asarray(pose, dtype=np.float64)
        if pose.shape != (4, 4) or not np.isfinite(pose).all():
            raise ValueError("pose must be a finite (4, 4) matrix")
        if self._stamps and stamp < self._stamps[-1]:
            raise ValueError(f"stamp {stamp:.6f} is older than the newest {self._stamps[-1]:.6f}")
        if self._stamps and stamp == self._stamps[-1]:
            self._poses[-1] = pose
            return
        self._stamps.append(float(stamp))
        self._poses.append(pose)
        cut = bisect.bisect_left(self._stamps, stamp - self.max_age_s)
        del self._stamps[:cut], self._poses[:cut]

    def at(self, stamp: float, tolerance_s: float = 0.0) -> np.ndarray:
        """(4, 4) pose at ``stamp``: slerp/lerp between the two poses around it. Stamps up to
        ``tolerance_s`` outside the buffer take the nearest end; further out: LookupError."""
        if not self._stamps:
            raise LookupError("no pose received yet")
        first, last = self._stamps[0], self._stamps[-1]
        if stamp < first - tolerance_s or stamp > last + tolerance_s:
            raise LookupError(f"stamp {stamp:.6f} is outside the buffered poses "
                              f"[{first:.6f}, {last:.6f}]")
        if stamp <= first:
            return self._poses[0].copy()
        if stamp >= last:
            return self._poses[-1].copy()
        i = bisect.bisect_right(self._stamps, stamp)
        t0, t1 = self._stamps[i - 1], self._stamps[i]
        w = torch.tensor((stamp - t0) / (t1 - t0), dtype=torch.float64)
        return interpolate_pose(torch.from_numpy(self._poses[i - 1]),
                                torch.from_numpy(self._poses[i]), w).numpy()
