"""Calibrated per-joint uncertainty: how far a published camera-frame joint may lie from the
true one.

The hypotheses of Stage 2 spread far less than the error (docs/evaluation.md), so the
published uncertainty is a table fitted on validation (evaluation/uncertainty_fit.py) and
stored in the checkpoint, one per mode and way of running (PATHS). For joint j in a frame
whose detector confidence of that joint falls in bin b (unreported, doubtful, seen:
CONFIDENCE_EDGES) and whose pelvis lies at depth z in the camera,

    sigma_j = c * sqrt(a_{b,j}^2 + (rho * z)^2)

a_{b,j}: quantile q of the root-relative error of joint j in bin b (never below that of a
more confident bin: an unseen joint is never more certain than a seen one), rho: quantile q
of |pelvis error| / z (monocular depth error grows with distance), c: the conformal factor
that makes the share of validation joints within sigma of the truth exactly q. So sigma is a
radius (m) that holds the true joint with probability q (COVERAGE, like one standard
deviation's 68 %).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..body.skeleton import NUM_BODY_JOINTS

COVERAGE = 0.68
CONFIDENCE_EDGES = (0.0, 0.5)      # bins: c == 0 unreported, 0 < c < 0.5 doubtful, c >= 0.5 seen
CONFIDENCE_BINS = ("unreported", "doubtful", "seen")
PATHS = ("streaming", "offline")   # the node's engine (root alignment, floor), offline windows


def confidence_bin(confidence: np.ndarray) -> np.ndarray:
    """(..., J) joint confidences in [0, 1] -> (..., J) bin index into CONFIDENCE_BINS."""
    c = np.asarray(confidence)
    return np.where(c <= CONFIDENCE_EDGES[0], 0, np.where(c < CONFIDENCE_EDGES[1], 1, 2))


@dataclass(frozen=True)
class JointUncertainty:
    """The fitted table (module docstring); ``relative`` (3, 22) metres by confidence bin."""

    relative: np.ndarray      # (3, 22) a_{b,j}, m
    depth_ratio: float        # rho
    scale: float              # c
    coverage: float = COVERAGE

    def sigma(self, confidence: np.ndarray, pelvis_depth: np.ndarray) -> np.ndarray:
        """(T, 22) joint confidences and (T,) pelvis depths (m) -> (T, 22) radii (m)."""
        a = self.relative[confidence_bin(confidence), np.arange(NUM_BODY_JOINTS)]  # (T, 22)
        depth = self.depth_ratio * np.maximum(np.asarray(pelvis_depth, np.float64), 0.0)
        return (self.scale * np.sqrt(a ** 2 + depth[..., None] ** 2)).astype(np.float32)

    def to_dict(self) -> dict:
        return {"relative": self.relative.tolist(), "depth_ratio": self.depth_ratio,
                "scale": self.scale, "coverage": self.coverage}

    @classmethod
    def from_dict(cls, d: dict) -> JointUncertainty:
        relative = np.asarray(d["relative"], np.float64)
        if relative.shape != (len(CONFIDENCE_BINS), NUM_BODY_JOINTS):
            raise ValueError(f"uncertainty table of shape {relative.shape}, expected "
                             f"({len(CONFIDENCE_BINS)}, {NUM_BODY_JOINTS})")
        return cls(relative, float(d["depth_ratio"]), float(d["scale"]), float(d["coverage"]))


def model_uncertainty(meta: dict, mode: str, path: str = "streaming"
                      ) -> JointUncertainty | None:
    """The checkpoint's table for ``mode`` run on ``path`` (one of PATHS: their pelvis
    errors differ) (meta["uncertainty"][path][mode]); None when the checkpoint was never
    calibrated (tools/calibrate.py)."""
    table = meta.get("uncertainty", {}).get(path, {}).get(mode)
    return None if table is None else JointUncertainty.from_dict(table)


def published_uncertainty(table: JointUncertainty | None, confidence: np.ndarray,
                          joints_camera: np.ndarray, samples: np.ndarray | None = None
                          ) -> np.ndarray | None:
    """(T, 22) m, what the node and fhmr-infer publish as ``joint_uncertainty``: the
    checkpoint's calibrated radius for the joints' detector confidences (T, 22) and the
    pelvis depth of ``joints_camera`` (T, 22, 3), combined in quadrature with the spread of
    the Stage-2 hypotheses ``samples`` (N, T, 22, 3) when there are several,
    sqrt(sigma^2 + s^2) with s = || std_n x_n ||; None for an uncalibrated checkpoint
    sampling one hypothesis."""
    out = None if table is None else table.sigma(confidence, joints_camera[:, 0, 2])
    if samples is not None:
        spread = np.linalg.norm(samples.std(0), axis=-1).astype(np.float32)    # (T, 22)
        out = spread if out is None else np.sqrt(out ** 2 + spread ** 2)
    return out


def fit_joint_uncertainty(relative_error: np.ndarray, absolute_error: np.ndarray,
                          confidence: np.ndarray, pelvis_depth: np.ndarray,
                          coverage: float = COVERAGE, min_count: int = 30
                          ) -> JointUncertainty:
    """Fit the table on validation frames: root-relative and absolute camera-frame errors
    (N, 22) m, the joints' detector confidences (N, 22) and the predicted pelvis depths
    (N,) m. A (bin, joint) cell with fewer than ``min_count`` frames takes the value of the
    next less confident bin (or the joint's overall quantile when there is none)."""
    rel = np.asarray(relative_error, np.float64)
    bins = confidence_bin(confidence)
    overall = np.quantile(rel, coverage, axis=0)                                # (22,)
    table = np.empty((len(CONFIDENCE_BINS), NUM_BODY_JOINTS))
    for b in range(len(CONFIDENCE_BINS)):
        for j in range(NUM_BODY_JOINTS):
            chosen = rel[bins[:, j] == b, j]
            table[b, j] = (np.quantile(chosen, coverage) if len(chosen) >= min_count
                           else table[b - 1, j] if b > 0 else overall[j])
    table = _less_confident_is_larger(table)
    depth = np.maximum(np.asarray(pelvis_depth, np.float64), 1e-3)
    pelvis_error = np.asarray(absolute_error, np.float64)[:, 0]
    rho = float(np.quantile(pelvis_error / depth, coverage))
    unscaled = JointUncertainty(table, rho, 1.0, coverage).sigma(confidence, depth)
    ratio = np.asarray(absolute_error, np.float64) / np.maximum(unscaled, 1e-6)
    return JointUncertainty(table, rho, float(np.quantile(ratio, coverage)), coverage)


def _less_confident_is_larger(table: np.ndarray) -> np.ndarray:
    """(3, 22) by bin from least to most confident -> each entry at least the one of the
    bin after it (a running maximum from the most confident bin down)."""
    return np.maximum.accumulate(table[::-1], axis=0)[::-1]
