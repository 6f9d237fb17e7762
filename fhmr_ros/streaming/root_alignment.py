"""Root alignment: place each published person so that the predicted skeleton projects onto
the detected keypoints.

The model's camera-frame pelvis comes from learned cues (box size, ray spread) and drifts
for views unlike its training rigs (e.g. a camera 6 m up, people 15 m away); its pose and
motion are kept, only the pelvis moves. With pelvis p, a joint's pelvis-relative offset r
and its keypoint's normalised ray (x, y) = K^-1 [u, v, 1]:

1. Depth, slowly: the pelvis t that best explains the keypoints solves, for every joint,
       (t + r)_x = x (t + r)_z  ->  t_x − x t_z = x r_z − r_x   (and the same for y),
   linear in t (confidence-weighted least squares per frame). Its depth gives a scale
   s = t_z / p_z; scaling the pelvis along its ray by s keeps where the pelvis projects and
   changes the body's image size. Per track the applied s is the running median of log s
   over the last ``depth_window`` frames that had enough keypoints (causal, robust to single
   bad frames).
2. Lateral, quickly: a shift δ = (δx, δy, 0) at that depth solves
       (q + r + δ)_x = x (q + r)_z  ->  δx = Σ w (x (q + r)_z − (q + r)_x) / Σ w
   (the same for y),
   q = s p, i.e. the weighted mean image-plane residual at each joint's depth; the applied
   shift is its running median over the last ``shift_window`` frames.

Only joints with a detector keypoint at (nearly) the same place take part.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from ..body.keypoints import KeypointFormat

# SMPL-X body joint -> detector keypoint at (nearly) the same place
JOINT_KEYPOINTS: tuple[tuple[int, str], ...] = (
    (1, "left_hip"), (2, "right_hip"), (4, "left_knee"), (5, "right_knee"),
    (7, "left_ankle"), (8, "right_ankle"), (16, "left_shoulder"), (17, "right_shoulder"),
    (18, "left_elbow"), (19, "right_elbow"), (20, "left_wrist"), (21, "right_wrist"),
)
SCALE_RANGE = (0.25, 4.0)
MIN_PAIRS = 4


def keypoint_pairs(fmt: KeypointFormat) -> tuple[list[int], list[int]]:
    """(joint indices, keypoint indices) of JOINT_KEYPOINTS present in ``fmt``."""
    pairs = [(j, fmt.names.index(n)) for j, n in JOINT_KEYPOINTS if n in fmt.names]
    return [j for j, _ in pairs], [k for _, k in pairs]


def frame_translation(rel: np.ndarray, rays: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Least-squares pelvis t per frame (T, 3), NaN where fewer than MIN_PAIRS keypoints
    count: t_x − x t_z = x r_z − r_x and t_y − y t_z = y r_z − r_y for every paired joint.

    rel (T, P, 3) pelvis-relative joints, rays (T, P, 2) normalised keypoint rays,
    weight (T, P) keypoint confidences (0 = unused)."""
    T, P = weight.shape
    A = np.zeros((T, P, 2, 3))
    A[..., 0, 0] = A[..., 1, 1] = 1.0
    A[..., :, 2] = -rays                                               # (T, P, 2, 3)
    b = rays * rel[..., 2:] - rel[..., :2]                             # (T, P, 2)
    w = weight[..., None, None]
    AtA = (w * A.transpose(0, 1, 3, 2) @ A).sum(1)                    # (T, 3, 3)
    Atb = (w[..., 0] * (A.transpose(0, 1, 3, 2) @ b[..., None])[..., 0]).sum(1)
    enough = (weight > 0).sum(1) >= MIN_PAIRS
    AtA[~enough] = np.eye(3)
    t = np.linalg.solve(AtA, Atb[..., None])[..., 0]
    return np.where(enough[:, None], t, np.nan)


def frame_lateral_shift(pelvis: np.ndarray, rel: np.ndarray, rays: np.ndarray,
                        weight: np.ndarray) -> np.ndarray:
    """(T, 3) shift (δx, δy, 0) of the pelvis (T, 3) in the camera frame; NaN where fewer
    than MIN_PAIRS keypoints count. rel, rays and weight as in ``frame_translation``."""
    X = pelvis[:, None, :] + rel                                       # (T, P, 3)
    residual = rays * X[..., 2:] - X[..., :2]                          # (T, P, 2)
    w = weight[..., None]
    shift = (w * residual).sum(1) / np.maximum(w.sum(1), 1e-12)        # (T, 2)
    enough = (weight > 0).sum(1) >= MIN_PAIRS
    return np.concatenate([np.where(enough[:, None], shift, np.nan),
                           np.zeros((len(pelvis), 1))], axis=1)


class RunningMedian:
    """Causal per-component median of the last ``window`` valid rows."""

    def __init__(self, window: int, default: np.ndarray) -> None:
        self._rows: deque[np.ndarray] = deque(maxlen=window)
        self._default = np.asarray(default, dtype=np.float64)

    def update(self, values: np.ndarray) -> np.ndarray:
        """(T, C) with NaN rows for "no estimate" -> (T, C): the median up to each row,
        ``default`` until the first estimate."""
        out = np.empty_like(values, dtype=np.float64)
        for t, row in enumerate(values):
            if np.isfinite(row).all():
                self._rows.append(row)
            out[t] = np.median(np.stack(self._rows), axis=0) if self._rows else self._default
        return out


class RootAligner:
    """Per-track state of the alignment: running medians of the log depth scale (over
    ``depth_window`` frames) and of the lateral shift (over ``shift_window`` frames)."""

    def __init__(self, depth_window: int, shift_window: int, min_confidence: float) -> None:
        self.min_confidence = min_confidence
        self._log_scale = RunningMedian(depth_window, np.zeros(1))
        self._shift = RunningMedian(shift_window, np.zeros(3))

    def __call__(self, pelvis: np.ndarray, rel: np.ndarray, keypoints: np.ndarray,
                 K: np.ndarray) -> np.ndarray:
        """Aligned pelvis (T, 3) from the model's pelvis (T, 3), offsets rel (T, P, 3) of the
        paired joints, their keypoints (T, P, 3) u, v, confidence and intrinsics (T, 3, 3)."""
        K = K[:, None]                                                 # (T, 1, 3, 3)
        rays = (keypoints[..., :2] - K[..., :2, 2]) / K[..., [0, 1], [0, 1]]
        weight = np.where(keypoints[..., 2] >= self.min_confidence, keypoints[..., 2], 0.0)
        depth = frame_translation(rel, rays, weight)[:, 2:]           # (T, 1)
        with np.errstate(invalid="ignore"):
            log_s = np.log(np.where(depth > 0, depth / pelvis[:, 2:], np.nan))
        lo, hi = (math.log(v) for v in SCALE_RANGE)
        scaled = pelvis * np.exp(self._log_scale.update(np.clip(log_s, lo, hi)))
        return scaled + self._shift.update(frame_lateral_shift(scaled, rel, rays, weight))
