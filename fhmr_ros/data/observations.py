"""Simulated 2D keypoint detector output from ground-truth camera-frame keypoints.

Pixels: [u, v, 1]^T ~ K [x, y, z]^T (camera optical frame, z forward). Every error is scaled
by the person's size in pixels, s_t = f_y * |max_k X_tk - min_k X_tk| / median_k z_tk
(the diagonal of the keypoints' 3D box, about the body height, over the median depth).

A reported keypoint is
    u_tk = pi(X_tk) + s_t c_k (sigma_w e_tk + sigma_d r_tk) [+ outlier jump] [+ hallucination],
with c_k a per-part scale (face small, wrists / ankles / hands large), e white and r an AR(1)
process (detectors jitter and drift). Its confidence falls with its actual error:
    conf = conf_max * m / (1 + (|u - pi(X)| / (s_t * conf_error_scale))^2) * exp(sigma_c n),
m = 1 when visible, occluded_conf_factor when hallucinated behind an occluder and
truncated_conf_factor when guessed at the image border; conf is 0 exactly (and u = v = 0)
where the detector reports nothing.

A sparser detector (``sparse_format_prob``, per clip; 0 by default, as the held-out sets
are drawn): only the keypoints whose names the ``sparse_format`` (COCO-17) also has are
reported, as when another node's COCO detector feeds the node (input: keypoints).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from scipy.signal import lfilter

from ..body.keypoints import KeypointFormat, keypoint_format


@dataclass(frozen=True)
class DetectorNoiseConfig:
    """Every parameter of the detector simulation. Fractions are of the person's pixel size."""

    # Per-joint Gaussian noise: white + temporally correlated (AR(1), time constant in frames).
    noise_fraction: float = 0.005
    drift_fraction: float = 0.004
    drift_time_constant_frames: float = 10.0
    # Per-part noise scale: the longest of these substrings found in a keypoint's name wins;
    # names matching none get 1.
    part_noise_scale: tuple[tuple[str, float], ...] = (
        ("nose", 0.5), ("eye", 0.5), ("ear", 0.7), ("mouth", 0.5), ("shoulder", 1.0),
        ("elbow", 1.2), ("wrist", 1.5), ("pinky", 1.7), ("index", 1.7), ("thumb", 1.7),
        ("hip", 1.3), ("knee", 1.2), ("ankle", 1.5), ("heel", 1.5), ("foot_index", 1.7))
    # Gross errors.
    outlier_prob: float = 0.005          # per keypoint and frame
    outlier_fraction: float = 0.2        # std of an outlier's jump
    swap_prob: float = 0.005             # per left/right pair and frame: a swap burst starts
    swap_burst_frames: float = 5.0       # mean burst length (geometric)
    miss_prob: float = 0.01              # per frame: a burst of missed detections starts
    miss_burst_frames: float = 5.0
    min_visible_keypoints: int = 3       # fewer truly visible keypoints: no detection (>= 1)
    # Occluders: 1..max_occluders rectangles near the person, static or moving.
    occluder_prob: float = 0.3           # per clip
    max_occluders: int = 2
    occluder_size_fraction: tuple[float, float] = (0.15, 0.6)   # side lengths
    occluder_offset_fraction: float = 0.5   # centre within +-this of the person's centre
    occluder_moving_prob: float = 0.5
    occluder_speed_fraction: float = 0.01   # velocity std, per frame
    hallucinate_occluded_prob: float = 0.5  # per clip: report occluded keypoints (MediaPipe)
    hallucination_fraction: float = 0.05    # extra AR(1) error of hallucinated keypoints
    # Long part occlusion: per clip, one body part (BODY_PARTS: an arm, a leg, one side, the
    # lower body) hidden for one stretch of part_occlusion_share of the clip (a table, a
    # railing, another person, the body itself). Off by default (the held-out sets).
    part_occlusion_prob: float = 0.0
    part_occlusion_share: tuple[float, float] = (0.3, 1.0)
    # A sparser detector: per clip, only the keypoints this format also has are reported.
    sparse_format_prob: float = 0.0
    sparse_format: str = "coco17"
    # Furniture: per clip, a static obstacle (table, desk, counter) hides everything below
    # its top edge, which lies between the person's hips and ankles (furniture_top: that
    # fraction of the way down), over furniture_width_fraction of the person's size
    # around them. Off by default.
    furniture_prob: float = 0.0
    furniture_top: tuple[float, float] = (0.0, 0.6)
    furniture_width_fraction: tuple[float, float] = (0.8, 2.0)
    # A long drop-out: per clip, the detector loses the person for one stretch (walking
    # behind someone, motion blur, a crowd). Off by default.
    long_miss_prob: float = 0.0
    long_miss_frames: tuple[int, int] = (20, 90)
    # Truncation: keypoints outside the image are dropped, or (per clip, with this
    # probability) reported clipped to the border when within truncation_margin of it.
    truncation_guess_prob: float = 0.5
    truncation_margin: float = 0.1
    near_m: float = 0.05                 # points closer than this (or behind) are unobserved
    # Bounding box: box of the visible keypoints, each side padded by s_t (margin + jitter),
    # jitter ~ N(0, bbox_jitter) clipped so the padding stays >= 0.
    bbox_margin: float = 0.08
    bbox_jitter: float = 0.02
    # Confidence model (module docstring).
    conf_max: float = 0.95
    conf_error_scale: float = 0.05
    conf_noise: float = 0.15
    occluded_conf_factor: float = 0.35
    truncated_conf_factor: float = 0.3
    conf_min: float = 0.01               # floor for reported keypoints (0 means unreported)

    @classmethod
    def exact(cls) -> "DetectorNoiseConfig":
        """A perfect detector: exact projections of the visible keypoints, nothing else."""
        return replace(cls(), noise_fraction=0.0, drift_fraction=0.0, outlier_prob=0.0,
                       swap_prob=0.0, miss_prob=0.0, occluder_prob=0.0,
                       truncation_guess_prob=0.0, bbox_jitter=0.0, conf_noise=0.0)


_ARM = ("elbow", "wrist", "pinky", "index", "thumb")
_LEG = ("knee", "ankle", "heel", "foot_index")
# part -> (sides, pieces): its keypoints are named side + piece
BODY_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "left_arm": (("left_",), _ARM), "right_arm": (("right_",), _ARM),
    "left_leg": (("left_",), _LEG), "right_leg": (("right_",), _LEG),
    "left_side": (("left_",), _ARM + _LEG + ("shoulder", "hip")),
    "right_side": (("right_",), _ARM + _LEG + ("shoulder", "hip")),
    "lower_body": (("left_", "right_"), _LEG + ("hip",)),
}


@dataclass
class SimulatedDetections:
    """What a 2D keypoint detector would report for one person over a clip."""

    keypoints: np.ndarray   # (T, K, 3) u, v (pixels) and confidence in [0, 1]; 0 = unreported
    bbox: np.ndarray        # (T, 4) xyxy pixels, NaN where not detected
    detected: np.ndarray    # (T,) bool
    visible: np.ndarray     # (T, K) bool truth: in front, inside the image, not occluded


def simulate_detections(rng: np.random.Generator, keypoints_camera: np.ndarray,
                        K: np.ndarray, image_size: tuple[int, int], fmt: KeypointFormat,
                        config: DetectorNoiseConfig = DetectorNoiseConfig()
                        ) -> SimulatedDetections:
    """Detector output for keypoints (T, K, 3) in metres in the camera frame of a pinhole
    camera K (3, 3) with image_size (width, height); ``fmt`` names the keypoints (per-part
    noise, left/right pairs)."""
    points = np.asarray(keypoints_camera, dtype=np.float64)                  # (T, K, 3)
    K = np.asarray(K, dtype=np.float64)
    T, J = points.shape[:2]
    if len(fmt.names) != J:
        raise ValueError(f"format {fmt.name!r} has {len(fmt.names)} keypoints, got {J}")
    w, h = image_size
    depth = points[..., 2]                                                    # (T, K)
    in_front = depth > config.near_m
    uv = (points @ K.T)[..., :2] / np.maximum(depth, config.near_m)[..., None]  # (T, K, 2)
    size = np.clip(K[1, 1] * np.linalg.norm(points.max(1) - points.min(1), axis=-1)
                   / np.maximum(np.median(depth, axis=1), config.near_m),
                   1.0, 10.0 * max(w, h))                                     # (T,) s_t
    beyond = np.maximum(np.maximum(-uv, uv - np.array([w, h])), 0.0).max(-1)  # (T, K) px
    in_image = (in_front & (uv[..., 0] >= 0) & (uv[..., 0] < w)
                & (uv[..., 1] >= 0) & (uv[..., 1] < h))                      # (T, K)
    occluded = in_image & (_occluder_mask(rng, uv, in_image, size, config)
                           | _part_occlusion_mask(rng, fmt, T, config)
                           | _furniture_mask(rng, fmt, uv, in_image, size, config))
    visible = in_image & ~occluded

    missed = (_bursts(rng, (T,), config.miss_prob, config.miss_burst_frames)
              | _long_miss(rng, T, config))
    detected = ~missed & (visible.sum(1) >= max(config.min_visible_keypoints, 1))
    hallucinated = occluded & (rng.random() < config.hallucinate_occluded_prob)
    guessed = (in_front & ~in_image & (rng.random() < config.truncation_guess_prob)
               & (beyond <= config.truncation_margin * size[:, None]))
    reported = (visible | hallucinated | guessed) & detected[:, None]         # (T, K)
    if config.sparse_format_prob > 0 and rng.random() < config.sparse_format_prob:
        reported &= _in_format(fmt, config.sparse_format)[None, :]

    observed = uv + _pixel_errors(rng, fmt, size, occluded, config)           # (T, K, 2)
    observed = np.where(guessed[..., None], np.clip(observed, 0.0, [w - 1.0, h - 1.0]),
                        observed)
    observed = _swap_left_right(rng, observed, reported, fmt, config)

    error = np.linalg.norm(observed - uv, axis=-1) / size[:, None]            # (T, K)
    factor = np.where(visible, 1.0, np.where(occluded, config.occluded_conf_factor,
                                             config.truncated_conf_factor))
    conf = (config.conf_max * factor / (1.0 + (error / config.conf_error_scale) ** 2)
            * np.exp(rng.normal(0.0, config.conf_noise, (T, J))))
    conf = np.where(reported, np.clip(conf, config.conf_min, 1.0), 0.0)
    keypoints = np.concatenate([np.where(reported[..., None], observed, 0.0), conf[..., None]],
                               axis=-1)
    return SimulatedDetections(keypoints=keypoints,
                               bbox=_bbox(rng, uv, visible, detected, size, image_size, config),
                               detected=detected, visible=visible)


def _in_format(fmt: KeypointFormat, other: str) -> np.ndarray:
    """(K,) bool: which of ``fmt``'s keypoints the format ``other`` has too (by name)."""
    names = set(keypoint_format(other).names)
    return np.array([name in names for name in fmt.names])


def _pixel_errors(rng: np.random.Generator, fmt: KeypointFormat, size: np.ndarray,
                  occluded: np.ndarray, config: DetectorNoiseConfig) -> np.ndarray:
    """Pixel offsets (T, K, 2): s_t c_k (sigma_w e + sigma_d r), plus outlier jumps
    N(0, outlier_fraction s_t) and, for occluded keypoints, hallucination_fraction s_t r'."""
    T, J = occluded.shape
    scale = size[:, None, None]                                               # (T, 1, 1)
    part = part_noise_scales(fmt.names, config.part_noise_scale)[None, :, None]  # (1, K, 1)
    tau = config.drift_time_constant_frames
    offset = scale * part * (config.noise_fraction * rng.standard_normal((T, J, 2))
                             + config.drift_fraction * _ar1(rng, (T, J, 2), tau))
    outlier = rng.random((T, J)) < config.outlier_prob
    offset += outlier[..., None] * scale * rng.normal(0.0, config.outlier_fraction, (T, J, 2))
    offset += (occluded[..., None] * scale * config.hallucination_fraction
               * _ar1(rng, (T, J, 2), tau))
    return offset


def _swap_left_right(rng: np.random.Generator, observed: np.ndarray, reported: np.ndarray,
                     fmt: KeypointFormat, config: DetectorNoiseConfig) -> np.ndarray:
    """Exchange the positions of left/right pairs during swap bursts (both reported)."""
    pairs = _left_right_pairs(fmt.names)                                      # (P, 2)
    if len(pairs) == 0:
        return observed
    left, right = pairs[:, 0], pairs[:, 1]
    swap = (_bursts(rng, (len(observed), len(pairs)), config.swap_prob,
                    config.swap_burst_frames)
            & reported[:, left] & reported[:, right])[..., None]               # (T, P, 1)
    swapped = observed.copy()
    swapped[:, left] = np.where(swap, observed[:, right], observed[:, left])
    swapped[:, right] = np.where(swap, observed[:, left], observed[:, right])
    return swapped


def _occluder_mask(rng: np.random.Generator, uv: np.ndarray, in_image: np.ndarray,
                   size: np.ndarray, config: DetectorNoiseConfig) -> np.ndarray:
    """(T, K) bool: keypoints inside one of the clip's occluder rectangles.

    Rectangles have sides occluder_size_fraction * s (s = median person size), centres
    within occluder_offset_fraction * s of the person's median image centre at mid-clip and
    constant velocities (zero unless moving)."""
    T = len(uv)
    count = in_image.sum(axis=1)                                              # (T,)
    if rng.random() >= config.occluder_prob or not count.any():
        return np.zeros(in_image.shape, dtype=bool)
    seen = count > 0
    person_centre = np.median(((uv * in_image[..., None]).sum(1)[seen]
                               / count[seen, None]), axis=0)                  # (2,)
    s = float(np.median(size[seen]))
    m = int(rng.integers(1, config.max_occluders + 1))
    centre = person_centre + rng.uniform(-1.0, 1.0, (m, 2)) * config.occluder_offset_fraction * s
    half = rng.uniform(*config.occluder_size_fraction, (m, 2)) * s / 2.0      # (M, 2)
    velocity = (rng.normal(0.0, config.occluder_speed_fraction * s, (m, 2))
                * (rng.random((m, 1)) < config.occluder_moving_prob))
    centres = centre + (np.arange(T) - T / 2.0)[:, None, None] * velocity     # (T, M, 2)
    inside = np.abs(uv[:, :, None, :] - centres[:, None]) <= half             # (T, K, M, 2)
    return inside.all(axis=-1).any(axis=-1)


def _part_occlusion_mask(rng: np.random.Generator, fmt: KeypointFormat, T: int,
                         config: DetectorNoiseConfig) -> np.ndarray:
    """(T, K) bool: the keypoints of one random body part (BODY_PARTS) over one stretch of
    the clip, with probability part_occlusion_prob."""
    hidden = np.zeros((T, len(fmt.names)), dtype=bool)
    if config.part_occlusion_prob <= 0 or rng.random() >= config.part_occlusion_prob:
        return hidden
    part = list(BODY_PARTS)[int(rng.integers(len(BODY_PARTS)))]
    length = max(1, int(round(rng.uniform(*config.part_occlusion_share) * T)))
    start = int(rng.integers(0, T - length + 1))
    hidden[start:start + length] = body_part_keypoints(fmt, part)[None]
    return hidden


def _furniture_mask(rng: np.random.Generator, fmt: KeypointFormat, uv: np.ndarray,
                    in_image: np.ndarray, size: np.ndarray, config: DetectorNoiseConfig
                    ) -> np.ndarray:
    """(T, K) bool: keypoints behind a static obstacle from the image bottom up to a top
    edge v_top = v_hip + a (v_ankle − v_hip), a ~ U(furniture_top), at the person's median
    hip and ankle rows, over a width of furniture_width_fraction * s centred on the person."""
    hidden = np.zeros(in_image.shape, dtype=bool)
    if config.furniture_prob <= 0 or rng.random() >= config.furniture_prob:
        return hidden
    hips = [fmt.names.index(n) for n in ("left_hip", "right_hip")]
    ankles = [fmt.names.index(n) for n in ("left_ankle", "right_ankle")]
    seen = in_image.any(axis=1)
    if not seen.any():
        return hidden
    v_hip = float(np.median(uv[:, hips, 1]))
    v_ankle = float(np.median(uv[:, ankles, 1]))
    top = v_hip + rng.uniform(*config.furniture_top) * (v_ankle - v_hip)
    centre = float(np.median(uv[seen][:, hips, 0]))
    half = rng.uniform(*config.furniture_width_fraction) * float(np.median(size[seen])) / 2.0
    return (uv[..., 1] >= top) & (np.abs(uv[..., 0] - centre) <= half)


def _long_miss(rng: np.random.Generator, T: int, config: DetectorNoiseConfig) -> np.ndarray:
    """(T,) bool: one stretch of long_miss_frames where the person is not detected, with
    probability long_miss_prob."""
    missed = np.zeros(T, dtype=bool)
    if config.long_miss_prob <= 0 or rng.random() >= config.long_miss_prob:
        return missed
    length = min(T, int(rng.integers(config.long_miss_frames[0], config.long_miss_frames[1] + 1)))
    start = int(rng.integers(0, T - length + 1))
    missed[start:start + length] = True
    return missed


def body_part_keypoints(fmt: KeypointFormat, part: str) -> np.ndarray:
    """(K,) bool: ``fmt``'s keypoints on a body part of BODY_PARTS (by name)."""
    side, pieces = BODY_PARTS[part]
    names = {s + p for s in side for p in pieces}
    return np.array([name in names for name in fmt.names])


def _bbox(rng: np.random.Generator, uv: np.ndarray, visible: np.ndarray,
          detected: np.ndarray, size: np.ndarray, image_size: tuple[int, int],
          config: DetectorNoiseConfig) -> np.ndarray:
    """(T, 4) xyxy: the visible keypoints' box, each side padded by
    s_t * max(bbox_margin + N(0, bbox_jitter), 0), clipped to the image; NaN if undetected."""
    lo = np.where(visible[..., None], uv, np.inf).min(axis=1)                 # (T, 2)
    hi = np.where(visible[..., None], uv, -np.inf).max(axis=1)
    pad = size[:, None] * np.maximum(
        config.bbox_margin + rng.normal(0.0, config.bbox_jitter, (len(uv), 4)), 0.0)
    w, h = image_size
    box = np.concatenate([np.maximum(lo - pad[:, :2], 0.0),
                          np.minimum(hi + pad[:, 2:], [float(w), float(h)])], axis=-1)
    return np.where(detected[:, None], box, np.nan)


@lru_cache(maxsize=64)
def part_noise_scales(names: tuple[str, ...],
                      table: tuple[tuple[str, float], ...]) -> np.ndarray:
    """(K,) noise scale c_k: the entry of the longest part name contained in the keypoint's
    name, 1 where none matches. Cached: callers must not modify it."""
    by_length = sorted(table, key=lambda item: -len(item[0]))
    return np.array([next((v for part, v in by_length if part in name), 1.0) for name in names])


@lru_cache(maxsize=64)
def _left_right_pairs(names: tuple[str, ...]) -> np.ndarray:
    """(P, 2) indices of keypoints whose names differ only by "left" <-> "right". Cached:
    callers must not modify it."""
    index = {name: k for k, name in enumerate(names)}
    pairs = [(k, index[name.replace("left", "right")]) for k, name in enumerate(names)
             if "left" in name and name.replace("left", "right") in index]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _bursts(rng: np.random.Generator, shape: tuple[int, ...], start_prob: float,
            mean_frames: float) -> np.ndarray:
    """Bool (T, ...) mask of bursts along axis 0: each frame starts one with probability
    start_prob; it lasts a geometric number of frames with mean mean_frames (>= 1)."""
    starts = np.nonzero(rng.random(shape) < start_prob)
    lengths = rng.geometric(1.0 / max(mean_frames, 1.0), size=len(starts[0]))
    count = np.zeros((shape[0] + 1,) + shape[1:], dtype=np.int64)
    np.add.at(count, starts, 1)
    np.add.at(count, (np.minimum(starts[0] + lengths, shape[0]),) + starts[1:], -1)
    return np.cumsum(count[:-1], axis=0) > 0


def _ar1(rng: np.random.Generator, shape: tuple[int, ...], tau_frames: float) -> np.ndarray:
    """Stationary unit-variance AR(1) noise along axis 0:
    r_t = a r_{t-1} + sqrt(1 - a^2) e_t, a = exp(-1 / tau)."""
    a = math.exp(-1.0 / max(tau_frames, 1e-6))
    e = rng.standard_normal(shape)
    e[0] /= math.sqrt(1.0 - a * a)
    return lfilter([math.sqrt(1.0 - a * a)], [1.0, -a], e, axis=0)
