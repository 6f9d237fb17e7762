"""The floor fixes each person's monocular scale.

A camera cannot tell a small person near it from a large one farther away: scaling the
body by s about the camera centre (pelvis s p_c, shape s times as large) leaves the image
as it is. A known floor breaks the tie: a foot the model says is in contact must stand on
it. With the floor's up direction n (the world's z in the camera frame, n = R_wcᵀ e_z),
the camera h = o_z − floor_z above it and a contacting foot joint X_f (camera frame) that
should be ``clearance`` above the sole,
    n · (s X_f) + h = clearance    ->    s = (clearance − h) / (n · X_f).
Per track the scale is the running median of these estimates (in log) over the last
``window`` contact frames, causal; each estimate is multiplied by the scale its frame was
decoded at, so it measures the whole scale. A run is decoded at the track's scale, its
frames update it, and a run whose frames moved it by more than ``redo_log`` is decoded
again at the new one (the engine): a person's first run is already to scale. The result is kept inside the adult range:
the person's skeleton (rest head above ankles, BodyGeometry.skeleton_height) within
``skeleton_range_m``. A known performer (``subject_skeleton_m`` > 0) sets the scale from
their height alone, floor or not.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import torch

from ..model.kinematics import BodyGeometry

FEET = ((7, 10), (8, 11))                 # (ankle, ball) joints of the left and right foot
CONTACT = 0.5                             # Stage 2's foot contact above this: in contact


@dataclass(frozen=True)
class FloorConfig:
    floor_z: float = 0.0                  # the floor's height in the world frame (m), unless
                                          # the engine is told another (set_floor_height)
    clearance_m: float = 0.03             # the balls of the feet above the soles (m)
    skeleton_range_m: tuple[float, float] = (1.15, 1.65)   # adults' rest head-over-ankles
    subject_skeleton_m: float = 0.0       # a known performer's (0: unknown)
    use_floor: bool = True                # False: only the performer's height scales
    window: int = 90                      # contact estimates in the running median
    redo_log: float = 0.02                # |log(new / applied)| above this: decode again
    min_camera_height_m: float = 0.2      # a camera nearer the floor says nothing of scale


class FloorScale:
    """One track's scale (module doc)."""

    def __init__(self, cfg: FloorConfig, body: BodyGeometry) -> None:
        self.cfg = cfg
        self.body = body
        self.log_scales: deque[float] = deque(maxlen=cfg.window)
        self.scale = 1.0                  # what the next run applies

    def observe(self, joints_camera: np.ndarray, contact: np.ndarray,
                T_world_camera: np.ndarray, betas: np.ndarray, applied: float,
                floor_z: float | None = None) -> None:
        """Learn from a run's frames (joints (T, 22, 3) in the camera frame, Stage 2's
        contact (T, 4), camera poses (T, 4, 4), the shape (10,)), decoded at scale
        ``applied``, the floor at world height ``floor_z`` (None: the config's); then set
        ``scale``."""
        floor_z = self.cfg.floor_z if floor_z is None else floor_z
        for frame in zip(joints_camera, contact, T_world_camera) if self.cfg.use_floor else ():
            estimate = self._estimate(*frame, floor_z)
            if estimate is not None:
                self.log_scales.append(math.log(applied * estimate))
        skeleton = float(self.body.skeleton_height(
            torch.as_tensor(betas, dtype=self.body.J_template.dtype))) / applied
        lo, hi = (s / skeleton for s in self.cfg.skeleton_range_m)
        if self.cfg.subject_skeleton_m > 0:
            self.scale = self.cfg.subject_skeleton_m / skeleton
        elif self.log_scales:
            self.scale = float(np.clip(math.exp(float(np.median(self.log_scales))), lo, hi))
        else:
            self.scale = float(np.clip(1.0, lo, hi))

    def _estimate(self, joints: np.ndarray, contact: np.ndarray, T: np.ndarray,
                  floor_z: float) -> float | None:
        """s of one frame (module doc), from its lowest foot in contact; None without one."""
        T = np.asarray(T, np.float64)
        h = T[2, 3] - floor_z
        if h < self.cfg.min_camera_height_m:
            return None
        n = T[2, :3]                                           # world z in the camera frame
        feet = [f for f, c in zip(FEET, contact[:2]) if c > CONTACT]
        if not feet:
            return None
        heights = [float(n @ joints[j]) for f in feet for j in f]
        down = min(heights)                                    # n · X_f of the lowest joint
        if down > -0.1:                                        # not below the camera
            return None
        return (self.cfg.clearance_m - h) / down
