"""Human-motion metrics with the definitions used by WHAM and GVHMR (re-implemented).

Inputs are numpy arrays (or CPU torch tensors) in metres; everything is computed in
float64. Camera-space metrics take (T, J, 3) joints, world metrics take z-up world joints.
Every metric returns an array of per-frame (and per-joint) values, NaN where a value is
undefined; the number a paper reports is its mean, taken by ``masked_mean``/``summarize``
(which ignore NaN), so callers can average over joint subsets or visibility masks.

Alignment (``fit_similarity``) is Umeyama's least-squares fit
    min_{s, R, t} sum_n || y_n - (s R x_n + t) ||^2,   R in SO(3) (never a reflection),
shared by PA-MPJPE (per frame, with scale), W-/WA-MPJPE (per chunk) and RTE (rigid).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..body.skeleton import FOOT_JOINTS, SMPLX_JOINT_NAMES

M_TO_MM = 1000.0
WORLD_CHUNK = 100  # WHAM/GVHMR evaluate world metrics on 100-frame segments


def _bones(*pairs: tuple[str, str]) -> tuple[tuple[int, int], ...]:
    return tuple((SMPLX_JOINT_NAMES.index(a), SMPLX_JOINT_NAMES.index(b)) for a, b in pairs)


# (parent, child) joints of the upper and lower arms and legs, left then right
ARM_BONES = _bones(("left_shoulder", "left_elbow"), ("left_elbow", "left_wrist"),
                   ("right_shoulder", "right_elbow"), ("right_elbow", "right_wrist"))
LEG_BONES = _bones(("left_hip", "left_knee"), ("left_knee", "left_ankle"),
                   ("right_hip", "right_knee"), ("right_knee", "right_ankle"))


def _as_float64(x) -> np.ndarray:
    """numpy or torch input -> float64 numpy array."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _pair(pred, gt, ndim: int) -> tuple[np.ndarray, np.ndarray]:
    """Both inputs as float64, same shape, ``ndim`` dims, last dim 3."""
    p, g = _as_float64(pred), _as_float64(gt)
    if p.shape != g.shape or p.ndim != ndim or p.shape[-1] != 3:
        raise ValueError(f"expected two arrays of one shape with {ndim} dims ending in 3, "
                         f"got {p.shape} and {g.shape}")
    return p, g


# --------------------------------------------------------------------------- alignment

@dataclass(frozen=True)
class Similarity:
    """x -> s R x + t, batched over leading dims."""

    scale: np.ndarray        # (...,)
    rotation: np.ndarray     # (..., 3, 3) proper rotation, det = +1
    translation: np.ndarray  # (..., 3)

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Transform points (..., N, 3)."""
        rotated = points @ np.swapaxes(self.rotation, -1, -2)               # (..., N, 3)
        return self.scale[..., None, None] * rotated + self.translation[..., None, :]


def fit_similarity(source, target, with_scale: bool = True, eps: float = 1e-12) -> Similarity:
    """Least-squares transform taking source (..., N, 3) onto target (..., N, 3) (Umeyama).

    With centred points x'_n = x_n - mu_x, y'_n = y_n - mu_y and the cross-covariance
    Sigma = (1/N) sum_n y'_n x'_n^T = U D V^T:
        R = U diag(1, 1, sign(det(U V^T))) V^T      (the sign keeps R a rotation),
        s = tr(D diag(1, 1, sign)) / ((1/N) sum_n |x'_n|^2)   (1 when not ``with_scale``
            or when the source has no spread),
        t = mu_y - s R mu_x.
    """
    x, y = _as_float64(source), _as_float64(target)
    mu_x, mu_y = x.mean(axis=-2), y.mean(axis=-2)                            # (..., 3)
    xc, yc = x - mu_x[..., None, :], y - mu_y[..., None, :]                  # (..., N, 3)
    cov = np.swapaxes(yc, -1, -2) @ xc / x.shape[-2]                         # (..., 3, 3)
    U, D, Vt = np.linalg.svd(cov)
    signs = np.ones_like(D)                                                  # (..., 3)
    signs[..., 2] = np.sign(np.linalg.det(U @ Vt))
    R = (U * signs[..., None, :]) @ Vt                                       # (..., 3, 3)
    scale = np.ones(x.shape[:-2])
    if with_scale:
        var_x = (xc ** 2).sum(axis=-1).mean(axis=-1)                         # (...,)
        spread = var_x > eps
        scale = np.where(spread, (D * signs).sum(axis=-1) / np.where(spread, var_x, 1.0), 1.0)
    t = mu_y - scale[..., None] * (R @ mu_x[..., None])[..., 0]
    return Similarity(scale=scale, rotation=R, translation=t)


def align(source, target, with_scale: bool = True) -> np.ndarray:
    """source (..., N, 3) after the least-squares similarity (or rigid) fit onto target."""
    return fit_similarity(source, target, with_scale).apply(_as_float64(source))


def _point_error_mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance (...) in mm between points (..., 3) in metres."""
    return np.linalg.norm(a - b, axis=-1) * M_TO_MM


def _root_relative(x: np.ndarray, root: int | None) -> np.ndarray:
    """(..., J, 3) joints minus joint ``root`` (unchanged for None)."""
    return x if root is None else x - x[..., root:root + 1, :]


# --------------------------------------------------------------------- camera space

def mpjpe(pred, gt, root: int | None = 0) -> np.ndarray:
    """Mean per-joint position error terms (T, J), mm.

    e_{t,j} = || (p_{t,j} - p_{t,root}) - (g_{t,j} - g_{t,root}) ||  for camera-space joints
    pred, gt (T, J, 3) in metres; ``root=None`` skips root alignment (raw position error).
    """
    p, g = _pair(pred, gt, 3)
    return _point_error_mm(_root_relative(p, root), _root_relative(g, root))


def pa_mpjpe(pred, gt) -> np.ndarray:
    """Procrustes-aligned MPJPE terms (T, J), mm.

    e_{t,j} = || s_t R_t p_{t,j} + t_t - g_{t,j} ||, (s_t, R_t, t_t) the similarity fit of
    frame t's pred joints onto its gt joints (``fit_similarity``, proper rotation).
    """
    p, g = _pair(pred, gt, 3)
    return _point_error_mm(align(p, g, with_scale=True), g)


def bone_direction_error(pred, gt, bones: Sequence[tuple[int, int]]) -> np.ndarray:
    """Angle between predicted and true bone directions (T, len(bones)), degrees.

    e_{t,b} = ∠(p_{t,c} − p_{t,a}, g_{t,c} − g_{t,a}) for each bone (a, c) of camera-space
    joints pred, gt (T, J, 3): the limb's pointing error, free of the body's position and
    of bone-length errors.
    """
    p, g = _pair(pred, gt, 3)
    a, c = (list(i) for i in zip(*bones))
    u, v = p[:, c] - p[:, a], g[:, c] - g[:, a]                              # (T, B, 3)
    cos = (u * v).sum(-1) / np.maximum(
        np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1), 1e-12)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def hypothesis_spread(samples, root: int | None = 0) -> np.ndarray:
    """Spread of N hypotheses (T, J), mm: the mean distance of each hypothesis's
    (root-relative) joint from the hypotheses' mean, s_{t,j} = mean_n ‖x^n_{t,j} − x̄_{t,j}‖,
    for samples (N, T, J, 3) in metres."""
    x = _root_relative(_as_float64(samples), root)
    return _point_error_mm(x, x.mean(axis=0, keepdims=True)).mean(axis=0)


def spread_error_correlation(spread, error, min_frames: int = 10) -> np.ndarray:
    """Calibration of the uncertainty (1, J): per joint, Pearson's r over the frames between
    the hypotheses' spread and the actual error (both (T, J)). r > 0: the model is less sure
    where it is more wrong; NaN for joints that never vary (e.g. the root) or short clips."""
    s, e = _as_float64(spread), _as_float64(error)
    if s.shape[0] < min_frames:
        return np.full((1, s.shape[1]), np.nan)
    s, e = s - s.mean(axis=0), e - e.mean(axis=0)
    denom = np.sqrt((s ** 2).sum(axis=0) * (e ** 2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 1e-12, (s * e).sum(axis=0) / denom, np.nan)[None]


def pve(pred_verts, gt_verts, root_pred, root_gt) -> np.ndarray:
    """Per-vertex error terms (T, V), mm; PVE is their mean.

    e_{t,v} = || (v^pred_{t,v} - r^pred_t) - (v^gt_{t,v} - r^gt_t) ||, vertices (T, V, 3) and
    pelvis joints r (T, 3) in metres.
    """
    p, g = _pair(pred_verts, gt_verts, 3)
    rp, rg = _pair(root_pred, root_gt, 2)
    return _point_error_mm(p - rp[:, None], g - rg[:, None])


def _second_difference(x: np.ndarray) -> np.ndarray:
    """a_t = x_{t-1} - 2 x_t + x_{t+1} along axis 0: (T, ...) -> (T-2, ...)."""
    return x[:-2] - 2.0 * x[1:-1] + x[2:]


def accel_error(pred, gt, root: int | None = 0) -> np.ndarray:
    """Acceleration error terms (T-2, J), mm/frame^2 (WHAM).

    e_{t,j} = || a^pred_{t,j} - a^gt_{t,j} ||, a_t = x_{t-1} - 2 x_t + x_{t+1} on
    root-aligned joints (T, J, 3) in metres; row t is frame t+1.
    """
    p, g = _pair(pred, gt, 3)
    return _point_error_mm(_second_difference(_root_relative(p, root)),
                           _second_difference(_root_relative(g, root)))


# -------------------------------------------------------------------------- world

def _chunked_aligned_error(pred: np.ndarray, gt: np.ndarray, chunk: int,
                           fit_frames: int | None, with_scale: bool) -> np.ndarray:
    """(T, J) mm error after aligning each ``chunk``-frame segment of pred onto gt with a
    transform fitted on its first ``fit_frames`` frames (all when None). Segments shorter
    than 2 frames (only ever the last) are NaN."""
    if chunk < 2:
        raise ValueError(f"chunk must be >= 2 frames, got {chunk}")
    err = np.full(pred.shape[:2], np.nan)                                   # (T, J)
    for start in range(0, pred.shape[0], chunk):
        p, g = pred[start:start + chunk], gt[start:start + chunk]            # (C, J, 3)
        if p.shape[0] < 2:
            continue
        fit = slice(0, fit_frames)
        transform = fit_similarity(p[fit].reshape(-1, 3), g[fit].reshape(-1, 3), with_scale)
        err[start:start + p.shape[0]] = _point_error_mm(transform.apply(p), g)
    return err


def w_mpjpe(pred_world, gt_world, chunk: int = WORLD_CHUNK) -> np.ndarray:
    """World MPJPE terms (T, J), mm (WHAM's first-two-frames alignment).

    World joints (T, J, 3), metres, split into consecutive ``chunk``-frame segments; in each,
    e_{t,j} = || R p_{t,j} + t - g_{t,j} || with (R, t) the rigid fit of the segment's first
    two frames of pred joints onto gt. A trailing segment of one frame is NaN.
    """
    p, g = _pair(pred_world, gt_world, 3)
    return _chunked_aligned_error(p, g, chunk, fit_frames=2, with_scale=False)


def wa_mpjpe(pred_world, gt_world, chunk: int = WORLD_CHUNK) -> np.ndarray:
    """World-aligned MPJPE terms (T, J), mm.

    As ``w_mpjpe`` but e_{t,j} = || s R p_{t,j} + t - g_{t,j} || with (s, R, t) the
    similarity fit of the whole segment. A trailing segment of one frame is NaN.
    """
    p, g = _pair(pred_world, gt_world, 3)
    return _chunked_aligned_error(p, g, chunk, fit_frames=None, with_scale=True)


def rte(pred_root_world, gt_root_world, min_length: float = 1e-6) -> np.ndarray:
    """Root translation error terms (T,), % of the gt trajectory length (GVHMR).

    e_t = 100 || R p_t + t - g_t || / L,  L = sum_t || g_{t+1} - g_t ||,
    with (R, t) the rigid fit (no scale) of the whole pred root trajectory (T, 3) onto gt,
    metres. All NaN when L < ``min_length`` metres (a standing person has no length).
    """
    p, g = _pair(pred_root_world, gt_root_world, 2)
    length = np.linalg.norm(np.diff(g, axis=0), axis=-1).sum()
    if length < min_length:
        return np.full(p.shape[0], np.nan)
    return np.linalg.norm(align(p, g, with_scale=False) - g, axis=-1) / length * 100.0


def jitter(pred_world, fps: float) -> np.ndarray:
    """Jitter terms (T-3, J) in units of 10 m/s^3 (GVHMR reports jerk / 10).

    j_{t,j} = || x_{t+3} - 3 x_{t+2} + 3 x_{t+1} - x_t || fps^3 / 10 for world joints
    (T, J, 3) in metres.
    """
    x = _as_float64(pred_world)                                              # (T, J, 3)
    jerk = x[3:] - 3.0 * x[2:-1] + 3.0 * x[1:-2] - x[:-3]                    # (T-3, J, 3)
    return np.linalg.norm(jerk, axis=-1) * fps ** 3 / 10.0


def contact_labels(gt_world, up_axis: int = 2, height_threshold: float = 0.05,
                   velocity_threshold: float = 0.3, fps: float = 30.0,
                   joints: Sequence[int] = FOOT_JOINTS) -> np.ndarray:
    """Foot contact (T, F) bool from gt world joints (T, J, 3), metres: low and slow.

    c_{t,f} = (h_{t,f} < height_threshold) and (|v_{t,f}| < velocity_threshold), where
    h_{t,f} = x_{t,f}[up] - min_t x_{t,f}[up] is the height above that joint's lowest point in
    the clip (metres; assumes a flat floor) and v the central-difference velocity (m/s,
    one-sided at the ends). The default 0.3 m/s is GVHMR's 1 cm/frame at 30 fps.
    """
    feet = _as_float64(gt_world)[:, list(joints)]                            # (T, F, 3)
    height = feet[..., up_axis] - feet[..., up_axis].min(axis=0)             # (T, F)
    speed = np.linalg.norm(np.gradient(feet, 1.0 / fps, axis=0), axis=-1)    # (T, F)
    return (height < height_threshold) & (speed < velocity_threshold)


def foot_sliding(pred_world, gt_contact, joints: Sequence[int] = FOOT_JOINTS,
                 up_axis: int | None = None) -> np.ndarray:
    """Foot sliding terms (T-1, F), mm per frame; NaN where the foot is not in contact.

    d_{t,f} = || x_{t+1,f} - x_{t,f} || for pred world joints (T, J, 3), metres, kept where
    gt_contact (T, F) holds at both t and t+1. 3D displacement by default (GVHMR);
    with ``up_axis`` the vertical component is dropped (horizontal sliding).
    """
    feet = _as_float64(pred_world)[:, list(joints)]                          # (T, F, 3)
    contact = np.asarray(gt_contact, dtype=bool)                             # (T, F)
    if contact.shape != feet.shape[:2]:
        raise ValueError(f"gt_contact must be {feet.shape[:2]}, got {contact.shape}")
    step = np.diff(feet, axis=0)                                             # (T-1, F, 3)
    if up_axis is not None:
        step[..., up_axis] = 0.0
    slide = np.linalg.norm(step, axis=-1) * M_TO_MM                          # (T-1, F)
    return np.where(contact[1:] & contact[:-1], slide, np.nan)


# ---------------------------------------------------------------- aggregation, tables

def joint_mask(joints: Sequence[int], num_joints: int) -> np.ndarray:
    """(1, J) bool mask selecting ``joints``: broadcasts over the frames of (T, J) errors."""
    return np.isin(np.arange(num_joints), list(joints))[None]


def masked_mean(error, mask=None) -> float:
    """Mean of error over mask (broadcast to error's shape), ignoring NaN; NaN if empty."""
    e = _as_float64(error)
    if mask is not None:
        e = e[np.broadcast_to(np.asarray(mask, dtype=bool), e.shape)]
    e = e[~np.isnan(e)]
    return float(e.mean()) if e.size else float("nan")


def _mask_applies(mask: np.ndarray, error: np.ndarray) -> bool:
    if mask.ndim != error.ndim:
        return False
    try:
        return np.broadcast_shapes(mask.shape, error.shape) == error.shape
    except ValueError:
        return False


def summarize(errors: Mapping[str, np.ndarray],
              masks: Mapping[str, np.ndarray] | None = None) -> dict[str, float]:
    """Means of metric terms: ``name`` over everything and ``name/mask`` over each mask.

    A mask applies to an error of the same number of dims whose shape it broadcasts to,
    e.g. a (1, J) joint subset (``joint_mask``) to any (T', J) error, a (T, J) visibility
    mask only to (T, J) errors; other pairs are left out. NaN terms are ignored and an
    empty selection gives NaN.
    """
    out: dict[str, float] = {}
    for name, err in errors.items():
        e = _as_float64(err)
        out[name] = masked_mean(e)
        for mask_name, mask in (masks or {}).items():
            m = np.asarray(mask, dtype=bool)
            if _mask_applies(m, e):
                out[f"{name}/{mask_name}"] = masked_mean(e, m)
    return out


def format_table(rows: Mapping[str, Mapping[str, float]],
                 columns: Sequence[str] | Mapping[str, str], precision: int = 1,
                 first_header: str = "method") -> str:
    """Markdown table: one row per entry of ``rows``, one column per key of ``columns``
    (a mapping gives key -> header text). Missing or NaN values show as "n/a"."""
    headers = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}

    def cell(value: float | None) -> str:
        return "n/a" if value is None or np.isnan(value) else f"{value:.{precision}f}"

    lines = ["| " + " | ".join([first_header, *headers.values()]) + " |",
             "|" + "---|" + "---:|" * len(headers)]
    for name, values in rows.items():
        lines.append("| " + " | ".join([name, *(cell(values.get(k)) for k in headers)]) + " |")
    return "\n".join(lines) + "\n"
