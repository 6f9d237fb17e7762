"""From a filled Timeline to SMPL-X parameters: root, legs by inverse kinematics, limits.

    R_root = Rz(ψ) U Rz(roll) R_pelvis(tilt, obliquity, twist)      (U: upright, facing +x)
    pelvis = (path + Rψ sway, z),   z = min(requested z, what the legs can reach)
    transl = pelvis - J0(betas)
Planted feet must be within reach (REACH_KNEE of knee flexion), feet in the second half
of a swing (except in a jump's flight) within reach + SWING_SLACK, so a leg reaching
forward lowers the pelvis a little in time; the rest of the overshoot is absorbed by the
swinging leg's soft inverse kinematics instead of snapping it straight. The limit is
eroded and blurred in time so the pelvis never kinks, then applied again so that it holds
exactly. Legs are solved analytically (ik.py) so every planted foot sits exactly on its
plant; all joints are then clipped to their limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d, minimum_filter1d
from scipy.spatial.transform import Rotation

from .body_geometry import BodyGeometry
from .curves import rotation_z
from .ik import leg_chain, pelvis_height_limit, solve_leg
from .joints import (LEG_ROWS, ROW, UPPER, channels_to_matrix, clamp_channels,
                     joint_channels, matrix_to_channels)
from .plants import UPRIGHT, FootTargets, foot_targets
from .timeline import Timeline, to_world

REACH_SMOOTHING = 0.05     # s, time scale of the pelvis height limit's smoothing
SWING_SLACK = 0.06         # m (x leg scale) a swinging foot may fall short of its path
HEEL_RAISE_PASSES = 3      # leg solves, raising heels where the ankle is at its limit
DORSI_MARGIN = np.deg2rad(2.0)


@dataclass
class PosedSequence:
    """SMPL-X parameters of a sequence, plus the foot targets they realise."""

    global_orient: np.ndarray   # (T, 3) axis-angle
    body_pose: np.ndarray       # (T, 21, 3) axis-angle
    transl: np.ndarray          # (T, 3)
    feet: list[FootTargets]     # left, right


def root_rotation(heading: np.ndarray, roll: np.ndarray, pelvis: np.ndarray) -> np.ndarray:
    """World pelvis rotations (T, 3, 3) from heading, lean and pelvis channels (T, 3)."""
    local = Rotation.from_euler("XZY", pelvis).as_matrix()
    lean = Rotation.from_euler("z", roll[:, None]).as_matrix()
    return rotation_z(heading) @ UPRIGHT @ lean @ local


def _limited_height(requested: np.ndarray, limit: np.ndarray, fps: float) -> np.ndarray:
    """min(requested, limit), smoothed so that it stays below the limit."""
    z = np.minimum(requested, limit)
    width = max(int(round(2 * REACH_SMOOTHING * fps)) | 1, 1)
    z = gaussian_filter1d(minimum_filter1d(z, width, mode="nearest"),
                          REACH_SMOOTHING * fps / 2, mode="nearest")
    return np.minimum(z, limit)


def _solve_legs(tl: Timeline, geo: BodyGeometry, R0: np.ndarray, pelvis_xy: np.ndarray,
                heel_raise: np.ndarray) -> tuple[np.ndarray, list[FootTargets], list[tuple]]:
    """Pelvis positions (T, 3), foot targets and (hip, knee, ankle) local rotations of
    both legs for the given heel raise (2, T)."""
    chains = [leg_chain(geo, s) for s in (0, 1)]
    hip_offsets = [R0 @ geo.hip_offset(s) for s in (0, 1)]               # (T, 3) each
    limit = np.full(tl.frames, np.inf)
    for side in (0, 1):
        target = foot_targets(tl.feet[side], tl.t, geo, side, heel_raise[side])
        planted = pelvis_height_limit(chains[side], hip_offsets[side], pelvis_xy, target.ankle)
        swing = pelvis_height_limit(chains[side], hip_offsets[side], pelvis_xy, target.ankle,
                                    slack=SWING_SLACK * geo.scale)
        reaching = (target.swing > 0.5) & ~target.flight
        limit = np.minimum(limit, np.where(target.contact, planted,
                                           np.where(reaching, swing, np.inf)))
    z = _limited_height(tl.pelvis_z, limit, tl.fps)
    pelvis = np.concatenate([pelvis_xy, z[:, None]], -1)                 # (T, 3)
    feet, legs = [], []
    for side, sign in ((0, 1.0), (1, -1.0)):
        target = foot_targets(tl.feet[side], tl.t, geo, side, heel_raise[side], z)
        hinge_yaw = target.yaw + sign * tl.knee_out[side]
        hinge = np.stack([-np.sin(hinge_yaw), np.cos(hinge_yaw), 0 * hinge_yaw], -1)
        legs.append(solve_leg(chains[side], pelvis + hip_offsets[side], R0, target.ankle,
                              target.rotation, hinge, soft=~target.contact))
        feet.append(target)
    return pelvis, feet, legs


def pose_sequence(tl: Timeline, channels: np.ndarray, geo: BodyGeometry) -> PosedSequence:
    """SMPL-X parameters for a timeline and its upper-body ``channels`` (T, 21, 3).

    A planted foot whose ankle would need more dorsiflexion than its limit (deep squats,
    lunges, kneeling) lifts its heel by the excess and the legs are solved again, so the
    foot stays on the ground instead of being clipped into it."""
    R0 = root_rotation(tl.heading, tl.roll, tl.pelvis)                   # (T, 3, 3)
    pelvis_xy = tl.ground + to_world(tl.heading, tl.sway)
    heel_raise = tl.heel_raise.copy()
    for _ in range(HEEL_RAISE_PASSES):
        pelvis, feet, legs = _solve_legs(tl, geo, R0, pelvis_xy, heel_raise)
        done = True
        for side, row in ((0, ROW["left_ankle"]), (1, ROW["right_ankle"])):
            dorsi = joint_channels(legs[side][2], row)[:, 0]
            excess = np.where(feet[side].contact, dorsi - (UPPER[row, 0] - DORSI_MARGIN), 0.0)
            if excess.max() > 1e-3:
                heel_raise[side] += 1.2 * np.maximum(excess, 0.0)
                done = False
        if done:
            break

    local = channels_to_matrix(clamp_channels(channels))                 # (T, 21, 3, 3)
    for side, prefix in ((0, "left_"), (1, "right_")):
        for joint, rot in zip(("hip", "knee", "ankle"), legs[side]):
            local[:, ROW[prefix + joint]] = rot
    rows = list(LEG_ROWS)
    leg_channels = matrix_to_channels(local)[:, rows]
    for side, name in ((0, "left_foot"), (1, "right_foot")):
        leg_channels[:, rows.index(ROW[name]), 0] = feet[side].toe + channels[:, ROW[name], 0]
    full = np.zeros_like(channels)
    full[:, rows] = leg_channels
    local[:, rows] = channels_to_matrix(clamp_channels(full))[:, rows]

    body_pose = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_rotvec().reshape(-1, 21, 3)
    return PosedSequence(global_orient=Rotation.from_matrix(R0).as_rotvec(),
                         body_pose=body_pose, transl=pelvis - geo.rest[0], feet=feet)
