"""Analytic leg inverse kinematics on the SMPL-X rest skeleton, and the pelvis height the
legs can reach.

Leg chain hip -> knee -> ankle with rest bones b1 = J_knee - J_hip, b2 = J_ankle - J_knee
(not collinear in SMPL-X). The knee is a hinge about its local x axis, so with knee
flexion θ the hip-to-ankle vector in the hip frame is v(θ) = b1 + Rx(θ) b2 and
    |v(θ)|² = |b1|² + |b2|² + 2 (b1x b2x + A cos θ + B sin θ),
    A = b1y b2y + b1z b2z,   B = b1z b2y - b1y b2z,
which gives θ = atan2(B, A) + arccos(C / sqrt(A² + B²)) for a target distance d, with
C = (d² - |b1|² - |b2|²) / 2 - b1x b2x. For a swinging leg, targets near or beyond
reach are approached softly,
    d <- d_s + (d_max - d_s) tanh((d - d_s) / (d_max - d_s))   for d > d_s,
(d_s, d_max the distances at SOFT_KNEE and MIN_KNEE flexion), so it straightens without
a jerk and its foot may fall a little short of its guide path; planted feet are solved
exactly (the pelvis is kept low enough, REACH_KNEE). The hip rotation then maps the frame
(v, knee axis x) onto (target direction, desired knee axis), the ankle rotation makes the
foot's world rotation the target: R_ankle = (R_pelvis R_hip Rx(θ))^T F.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .body_geometry import ANKLE, HIP, KNEE, BodyGeometry
from .curves import rotation_x

MIN_KNEE = np.deg2rad(1.0)       # the solver never straightens a knee completely
SOFT_KNEE = np.deg2rad(30.0)     # swinging legs approach full extension softly from here
REACH_KNEE = np.deg2rad(6.0)     # stance legs keep at least this much knee flexion
MAX_KNEE = np.deg2rad(150.0)


@dataclass(frozen=True)
class LegChain:
    """Rest bones of one leg (canonical frame)."""

    b1: np.ndarray   # (3,) knee - hip
    b2: np.ndarray   # (3,) ankle - knee

    def distance(self, knee: float | np.ndarray) -> np.ndarray:
        """Hip-to-ankle distance at knee flexion ``knee`` (rad)."""
        v = self.b1 + np.einsum("...ij,j->...i", rotation_x(np.asarray(knee)), self.b2)
        return np.linalg.norm(v, axis=-1)

    def knee_for_distance(self, d: np.ndarray, soft: np.ndarray | bool = False) -> np.ndarray:
        """Knee flexion (rad) that puts the ankle at distance d (T,) from the hip, within
        [MIN_KNEE, MAX_KNEE]; where ``soft``, long distances are limited softly (see the
        module docstring)."""
        b1, b2 = self.b1, self.b2
        A = b1[1] * b2[1] + b1[2] * b2[2]
        B = b1[2] * b2[1] - b1[1] * b2[2]
        start, full = self.distance(SOFT_KNEE), self.distance(MIN_KNEE)
        limited = start + (full - start) * np.tanh((d - start) / (full - start))
        d = np.where(soft & (d > start), limited, d)
        C = (d * d - b1 @ b1 - b2 @ b2) / 2 - b1[0] * b2[0]
        rho = np.hypot(A, B)
        theta = np.arctan2(B, A) + np.arccos(np.clip(C / rho, -1.0, 1.0))
        return np.clip(theta, MIN_KNEE, MAX_KNEE)


def leg_chain(geo: BodyGeometry, side: int) -> LegChain:
    r = geo.rest
    return LegChain(b1=r[KNEE[side]] - r[HIP[side]], b2=r[ANKLE[side]] - r[KNEE[side]])


def _frame(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Orthonormal frames (T, 3, 3) with columns (first, second ⟂ first, first x second)."""
    e1 = first / np.linalg.norm(first, axis=-1, keepdims=True)
    e2 = second - (second * e1).sum(-1, keepdims=True) * e1
    e2 /= np.linalg.norm(e2, axis=-1, keepdims=True)
    return np.stack([e1, e2, np.cross(e1, e2)], axis=-1)


def solve_leg(chain: LegChain, hip: np.ndarray, pelvis_rot: np.ndarray, ankle: np.ndarray,
              foot_rot: np.ndarray, knee_axis: np.ndarray, soft: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local rotations (hip, knee, ankle), each (T, 3, 3), that put the ankle at ``ankle``
    (T, 3) with world rotation ``foot_rot`` (T, 3, 3), given the hip joint position (T, 3),
    the pelvis world rotation (T, 3, 3), the desired world knee hinge axis (T, 3) and
    where to limit the reach softly (T,) bool."""
    to_pelvis = np.swapaxes(pelvis_rot, -1, -2)
    d = np.einsum("tij,tj->ti", to_pelvis, ankle - hip)                    # (T, 3)
    theta = chain.knee_for_distance(np.linalg.norm(d, axis=-1), soft)
    knee = rotation_x(theta)                                               # (T, 3, 3)
    v = chain.b1 + np.einsum("tij,j->ti", knee, chain.b2)
    src = _frame(v, np.broadcast_to([1.0, 0.0, 0.0], v.shape))
    dst = _frame(d, np.einsum("tij,tj->ti", to_pelvis, knee_axis))
    hip_rot = dst @ np.swapaxes(src, -1, -2)
    ankle_rot = np.swapaxes(pelvis_rot @ hip_rot @ knee, -1, -2) @ foot_rot
    return hip_rot, knee, ankle_rot


def pelvis_height_limit(chain: LegChain, hip_offset: np.ndarray, pelvis_xy: np.ndarray,
                        ankle: np.ndarray, slack: float = 0.0) -> np.ndarray:
    """Highest pelvis height (T,) at which the ankle target stays within reach (with
    REACH_KNEE knee flexion, extended by ``slack`` metres); ``hip_offset`` (T, 3) is the
    world hip-minus-pelvis vector. Solves (z + δz - a_z)² + r² = L² for the horizontal
    hip-ankle distance r, with r capped at 0.95 L."""
    reach = float(chain.distance(REACH_KNEE)) + slack
    r = np.linalg.norm(pelvis_xy + hip_offset[:, :2] - ankle[:, :2], axis=-1)
    r = np.minimum(r, 0.95 * reach)
    return ankle[:, 2] - hip_offset[:, 2] + np.sqrt(reach * reach - r * r)
