"""A static camera's focal length, pitch, roll and height, from the people it sees.

Every person standing or walking on one ground plane is a vertical ruler of known height:
an adult of stature H (prior: ``stature_m``) has their ankles, hips and shoulders at
heights r_k H above the floor (r_k from the body model at rest: ``keypoint_heights``).
With the camera K (focal f, principal point at the image centre), the world's up
direction u in the optical frame (pitch θ down, roll φ about the optical axis)
    u = R_z(φ) (0, −cos θ, −sin θ)
and the camera h above the floor, a detection's ankle pixel a fixes its 3D ankle on its
ray d = K⁻¹ (a, 1): X_a = t d with u·X_a = r_ankle H − h, so t = (r_ankle H − h)/(u·d);
the hips and shoulders stand straight above it, X_k = X_a + (r_k − r_ankle) H u, and must
project where the detector saw them. Robust least squares (soft-L1) over every upright
detection, from a grid of starting points, gives (f, θ, φ, h) (or (θ, φ, h) for a known
f); repeating it on pieces of tracks (``bootstrap_frames`` detections each) drawn with
replacement gives each value's spread.

What it cannot do, and says (CalibrationError with the reason): a moving camera (the
caller's to know); too few upright people with both ankles, hips and shoulders seen; and
the focal length of a level camera: upright people's vertical lines are then parallel in
the image and every focal length explains them alike (the pitch, roll and height are still
found; ``focal_determined`` is False and the caller keeps its own focal length).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.optimize import least_squares

from ..body.body_model import BodyModel
from ..body.keypoints import KeypointFormat

PARTS = ("ankle", "hip", "shoulder")


class CalibrationError(ValueError):
    """The people seen do not determine the camera; the message says why."""


@dataclass(frozen=True)
class CalibrationConfig:
    stature_m: float = 1.70               # the adult height prior
    min_confidence: float = 0.5           # every ankle, hip and shoulder at least this
    max_lean_deg: float = 30.0            # ankles -> shoulders within this of image up
    min_detections: int = 30
    bootstrap: int = 16                   # resamples of track pieces for the spread
    bootstrap_frames: int = 45            # detections per piece
    max_focal_spread: float = 0.15        # relative spread above which f is undetermined
    seed: int = 0


@dataclass
class CameraEstimate:
    focal_px: float
    pitch_deg: float                      # down is positive
    roll_deg: float
    height_m: float
    focal_determined: bool
    spread: dict[str, float] = field(default_factory=dict)   # one standard deviation each
    detections: int = 0
    tracks: int = 0
    residual_px: float = 0.0              # median reprojection error of hips and shoulders

    def K(self, width: int, height: int) -> np.ndarray:
        f = self.focal_px
        return np.array([[f, 0, width / 2], [0, f, height / 2], [0, 0, 1]], np.float64)


def up_vector(pitch: float, roll: float) -> np.ndarray:
    """World up in the optical frame (x right, y down, z forward), pitch down θ, roll φ."""
    c, s = math.cos(roll), math.sin(roll)
    v = np.array([0.0, -math.cos(pitch), -math.sin(pitch)])
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]])


def upright_points(keypoints: np.ndarray, fmt: KeypointFormat, cfg: CalibrationConfig
                   ) -> np.ndarray | None:
    """(3, 2) pixels of the ankles', hips' and shoulders' midpoints of one detection (K, 3),
    or None when one is unsure or the person is not upright in the image."""
    pts = []
    for part in PARTS:
        pair = keypoints[[fmt.names.index(f"{side}_{part}") for side in ("left", "right")]]
        if pair[:, 2].min() < cfg.min_confidence:
            return None
        pts.append(pair[:, :2].mean(axis=0))
    pts = np.array(pts)
    rise = pts[0] - pts[2]                       # ankles minus shoulders: down the image
    if rise[1] <= 0 or math.degrees(math.atan2(abs(rise[0]), rise[1])) > cfg.max_lean_deg:
        return None
    return pts


def _residuals(x: np.ndarray, pts: np.ndarray, scale: np.ndarray, centre: np.ndarray,
               ratios: np.ndarray, stature: float, focal: float | None) -> np.ndarray:
    """(N·4,) reprojection errors of the hips and shoulders, relative to each person's
    ankle-to-shoulder size in the image (so that far and near people count alike);
    x = (log f, θ, φ, log h), or (θ, φ, log h) with a known ``focal``."""
    if focal is not None:
        x = np.concatenate([[math.log(focal)], x])
    f, (pitch, roll), h = math.exp(x[0]), x[1:3], math.exp(x[3])
    u = up_vector(pitch, roll)
    rays = np.concatenate([(pts[:, 0] - centre) / f, np.ones((len(pts), 1))], axis=1)
    down = rays @ u                                            # (N,) < 0: towards the floor
    t = (ratios[0] * stature - h) / np.where(down < -1e-6, down, -1e-6)
    ankles = t[:, None] * rays                                 # (N, 3)
    out = []
    for k in (1, 2):
        X = ankles + (ratios[k] - ratios[0]) * stature * u
        z = np.maximum(X[:, 2], 1e-3)
        out.append((f * X[:, :2] / z[:, None] + centre - pts[:, k]) / scale[:, None])
    bad = (down >= -1e-6) | (t <= 0)                           # ray misses the floor
    res = np.concatenate(out, axis=1)
    res[bad] = 10.0
    return res.ravel()


def _fit(pts, scale, centre, ratios, stature, diagonal, focal=None, starts=None):
    """The best least-squares fit over a grid of starts (or ``starts``); its x has log f
    first (``focal`` itself when known)."""
    lower = [math.log(diagonal * 0.15), math.radians(-30), math.radians(-30), math.log(0.1)]
    upper = [math.log(diagonal * 6), math.radians(89), math.radians(30), math.log(100)]
    free = slice(0 if focal is None else 1, 4)
    if starts is None:
        starts = [np.array([math.log(diagonal * k), math.radians(p), 0.0, math.log(hc)])
                  for k in ((0.5, 0.8, 1.2, 2.0) if focal is None else (1.0,))
                  for p in (-5, 10, 25, 45, 65) for hc in (1.0, 3.0, 8.0)]
    best = None
    for x0 in starts:
        fit = least_squares(_residuals, x0[free], loss="soft_l1", f_scale=0.05,
                            args=(pts, scale, centre, ratios, stature, focal),
                            bounds=(lower[free], upper[free]))
        if best is None or fit.cost < best.cost:
            best = fit
    x = best.x if focal is None else np.concatenate([[math.log(focal)], best.x])
    return x, best.cost


def keypoint_heights(body: BodyModel, fmt: KeypointFormat) -> dict[str, float]:
    """Each of PARTS' height above the soles as a share of stature (the left and right
    keypoints' mean), for the body model at rest (betas 0; SMPL-X's rest frame is y up)."""
    zeros = torch.zeros(1, 3)
    with torch.no_grad():
        rest = body(torch.zeros(1, 10), zeros, torch.zeros(1, 63), return_vertices=True)
        points = body.landmarks(torch.zeros(1, 10), zeros, torch.zeros(1, 63), zeros,
                                fmt.landmark_index)[0]                  # (K, 3)
    sole, top = rest.vertices[0, :, 1].min(), rest.vertices[0, :, 1].max()
    return {part: float((points[[fmt.names.index(f"{side}_{part}") for side in
                                 ("left", "right")], 1].mean() - sole) / (top - sole))
            for part in PARTS}


def calibrate(detections: list[tuple[int, np.ndarray]], fmt: KeypointFormat,
              size: tuple[int, int], ratios: dict[str, float],
              cfg: CalibrationConfig = CalibrationConfig(),
              focal_px: float | None = None) -> CameraEstimate:
    """The camera (module doc) from ``detections`` [(track id, keypoints (K, 3) pixels)] of
    one static camera's images of ``size`` (width, height), in time order; ``ratios``:
    keypoint_heights. With ``focal_px`` the focal length is known and kept."""
    kept = [(tid, p) for tid, kp in detections
            if (p := upright_points(np.asarray(kp, np.float64), fmt, cfg)) is not None]
    if len(kept) < cfg.min_detections:
        raise CalibrationError(
            f"only {len(kept)} detections of upright people with both ankles, hips and "
            f"shoulders seen (at least {cfg.min_detections} are needed): the people's feet "
            "are hidden or out of view; give --intrinsics, --camera-height and "
            "--camera-pitch")
    pts = np.stack([p for _, p in kept])                          # (N, 3, 2)
    scale = np.linalg.norm(pts[:, 0] - pts[:, 2], axis=1)         # (N,) px
    data = (pts, scale, np.array(size, np.float64) / 2, np.array([ratios[p] for p in PARTS]),
            cfg.stature_m, math.hypot(*size), focal_px)
    x, _ = _fit(*data)
    pieces = _pieces([tid for tid, _ in kept], cfg.bootstrap_frames)
    rng = np.random.default_rng(cfg.seed)
    samples = []
    for _ in range(cfg.bootstrap):
        rows = np.concatenate([pieces[i] for i in rng.integers(0, len(pieces), len(pieces))])
        samples.append(_fit(pts[rows], scale[rows], *data[2:], starts=[x])[0])
    samples = np.array(samples)
    spread = {"focal_px": float(np.std(np.exp(samples[:, 0]))),
              "pitch_deg": float(np.degrees(np.std(samples[:, 1]))),
              "roll_deg": float(np.degrees(np.std(samples[:, 2]))),
              "height_m": float(np.std(np.exp(samples[:, 3])))}
    res = _residuals(x if focal_px is None else x[1:], *data[:5], focal_px).reshape(-1, 2)
    f = math.exp(x[0])
    return CameraEstimate(
        focal_px=f, pitch_deg=float(np.degrees(x[1])), roll_deg=float(np.degrees(x[2])),
        height_m=math.exp(x[3]),
        focal_determined=focal_px is None and spread["focal_px"] <= cfg.max_focal_spread * f,
        spread=spread, detections=len(kept), tracks=len({tid for tid, _ in kept}),
        residual_px=float(np.median(np.linalg.norm(res, axis=1) * np.repeat(scale, 2))))


def _pieces(owners: list[int], length: int) -> list[np.ndarray]:
    """Row indices of each track, cut into pieces of at most ``length`` detections."""
    owners = np.asarray(owners)
    out = []
    for tid in np.unique(owners):
        rows = np.flatnonzero(owners == tid)
        out += [rows[i:i + length] for i in range(0, len(rows), length)]
    return out
