"""What the stationary segments share: the Scene they write into, and the sagittal
two-link leg model their postures are designed with.

With the shank inclined forward by a_s and the thigh by a_t (hip behind the knee) over a
flat foot, the hip sits at
    fwd = l_s sin a_s - l_t sin a_t,     up = h_ankle + l_s cos a_s + l_t cos a_t
above the ankle (thigh l_t, shank l_s), and the pelvis joint at hip + R(tilt) (J0 - J_hip).
The inverse kinematics then reproduces the posture from the pelvis pose and the planted
feet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .body_geometry import ANKLE, BodyGeometry
from .curves import ramp
from .gait import SPINE_ROWS, SPINE_SPLIT
from .joints import ROW, pair
from .plants import planted_foot
from .spec import Style
from .timeline import State, Timeline, heading_frame, to_world

STEP_TIME = 0.45        # s, one adjustment step
STEP_LIFT = 0.06        # m


@dataclass
class Scene:
    """What a posture segment works with: its frames, local times and anchor."""

    tl: Timeline
    frames: slice
    t: np.ndarray           # (n + 1,) local time, the last sample is the segment's end
    anchor: State
    geo: BodyGeometry
    style: Style
    rng: np.random.Generator

    @property
    def duration(self) -> float:
        return float(self.t[-1])

    @property
    def t0(self) -> float:
        return float(self.tl.t[self.frames.start])

    def feet_local(self) -> np.ndarray:
        """(2, 2) current plants' (forward, left) positions relative to the anchor."""
        fwd, left = heading_frame(self.anchor.heading)
        d = np.array([p.last.xy for p in self.tl.feet]) - self.anchor.xy
        return np.stack([d @ fwd, d @ left], -1)

    def world(self, local: np.ndarray) -> np.ndarray:
        """Anchor-relative (forward, left) offsets (..., 2) to world points."""
        return self.anchor.xy + to_world(self.anchor.heading, local)

    def upper(self) -> np.ndarray:
        """(n, 21, 3) view of the segment's channel offsets."""
        return self.tl.upper[self.frames]


def leg_lengths(geo: BodyGeometry) -> tuple[float, float]:
    """Mean (thigh, shank) lengths."""
    return float(geo.thigh.mean()), float(geo.shank.mean())


def hip_over_ankle(geo: BodyGeometry, shank: float, thigh: float) -> np.ndarray:
    """(forward, up) of the hip above a flat foot's ankle, for shank and thigh
    inclinations (rad, forward positive; the hip is behind the knee for thigh > 0)."""
    lt, ls = leg_lengths(geo)
    return np.array([ls * np.sin(shank) - lt * np.sin(thigh),
                     geo.ankle_height.mean() + ls * np.cos(shank) + lt * np.cos(thigh)])


def pelvis_over_hip(geo: BodyGeometry, tilt: float) -> np.ndarray:
    """(forward, up) of the pelvis joint relative to the hips for a pelvis tilt (rad)."""
    d = geo.rest[0] - 0.5 * (geo.rest[1] + geo.rest[2])          # canonical (x, y, z)
    c, s = np.cos(tilt), np.sin(tilt)
    return np.array([d[1] * s + d[2] * c, d[1] * c - d[2] * s])


def pelvis_for_legs(geo: BodyGeometry, shank: float, thigh: float, tilt: float) -> np.ndarray:
    """(forward, up) of the pelvis joint relative to the ankles for a symmetric posture."""
    return hip_over_ankle(geo, shank, thigh) + pelvis_over_hip(geo, tilt)


def bend_trunk(up: np.ndarray, flexion: np.ndarray, gaze: float = 0.5) -> None:
    """Bend the spine by ``flexion`` (n,) and lift the head back by ``gaze`` of it."""
    up[:, SPINE_ROWS, 0] += flexion[:, None] * SPINE_SPLIT
    up[:, ROW["neck"], 0] -= 0.5 * gaze * flexion
    up[:, ROW["head"], 0] -= 0.5 * gaze * flexion


def move_arms(up: np.ndarray, side_weights: tuple[float, float], flexion: np.ndarray,
              elbow: np.ndarray, abduction: np.ndarray | float = 0.0) -> None:
    """Add shoulder flexion/abduction and elbow flexion (n,) to the (left, right) arms,
    weighted per side."""
    for side, w in enumerate(side_weights):
        shoulder, el = pair("shoulder")[side], pair("elbow")[side]
        up[:, shoulder, 0] += w * flexion
        up[:, shoulder, 1] += w * abduction
        up[:, el, 0] += w * elbow


def write_root(sc: Scene, offset: np.ndarray, z: np.ndarray, pelvis: np.ndarray) -> None:
    """Pelvis ground path (anchor-relative offsets (n+1, 2)), height and channels. Any gap
    between the anchor and the posture's own start point is closed over the first 0.4 s
    (in place, so the caller's end state follows)."""
    n = sc.frames.stop - sc.frames.start
    offset -= offset[0] * (1 - ramp(sc.t, 0.0, 0.4))[:, None]
    sc.tl.ground[sc.frames] = sc.world(offset[:n])
    sc.tl.heading[sc.frames] = sc.anchor.heading
    sc.tl.pelvis_z[sc.frames] = z[:n]
    sc.tl.pelvis[sc.frames] = pelvis[:n]


def adjust_feet(sc: Scene, targets: np.ndarray, start: float, yaw_out: float = 0.0) -> float:
    """Step each foot that is more than 4 cm from its target (2, 2) (anchor frame), one
    after the other from local time ``start``; returns when the last step lands."""
    current = sc.feet_local()
    t = start
    for side in (0, 1):
        if np.linalg.norm(current[side] - targets[side]) > 0.04:
            sign = 1.0 if side == 0 else -1.0
            yaw = sc.anchor.heading + sign * (np.deg2rad(sc.style.toe_out) + yaw_out)
            sc.tl.feet[side].step(sc.t0 + t, sc.t0 + t + STEP_TIME, sc.world(targets[side]),
                                  yaw, STEP_LIFT * sc.geo.scale)
            t += STEP_TIME + 0.05
    return t


def standing_pelvis(geo: BodyGeometry) -> np.ndarray:
    """(forward, up) of the pelvis joint relative to the ankles when standing upright."""
    return np.array([geo.rest[0, 2] - geo.rest[ANKLE[0], 2], geo.pelvis_height])


def hold_pose(t: np.ndarray, t_down: float, down: float, t_up: float,
              up: float) -> np.ndarray:
    """Posture weight: 0 -> 1 over [t_down, t_down + down], held, 1 -> 0 over
    [t_up, t_up + up]."""
    return ramp(t, t_down, t_down + down) * (1 - ramp(t, t_up, t_up + up))


def fit_durations(budget: float, *durations: float) -> tuple[float, ...]:
    """Scale durations down so that they fit in ``budget`` seconds."""
    total = sum(durations)
    k = min(1.0, max(budget, 0.1) / total)
    return tuple(d * k for d in durations)


def heel_raise_offset(geo: BodyGeometry, heel: float) -> np.ndarray:
    """(forward, up) ankle displacement when the heel of a flat foot is raised by ``heel``."""
    flat, _ = planted_foot(np.zeros((1, 2)), np.zeros(1), np.zeros(1), geo, 0)
    raised, _ = planted_foot(np.zeros((1, 2)), np.zeros(1), np.array([-heel]), geo, 0)
    return (raised - flat)[0, [0, 2]]
