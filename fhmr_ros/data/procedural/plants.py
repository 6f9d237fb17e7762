"""Foot plants and the world trajectory of each foot that follows from them.

A foot's motion is a list of *plants*: intervals [t_on, t_off] during which the foot sits
at a fixed footprint (ankle ground position ``xy`` with the foot flat, heading ``yaw``),
joined by swings. During a plant the foot may roll: its pitch p (> 0 toes up) rolls from
``strike_pitch`` to flat over ``roll_in`` seconds and from flat to ``toe_off_pitch`` over the
last ``roll_out`` seconds,
    p(t) = p_strike (1 - u_in)²  +  p_toe_off u_out²  -  heel_raise(t),
and it pivots on the ground point that carries it, so nothing slides:
    p >= 0: the heel contact H is fixed,          ankle = H - F h,
    p <  0: the ball (foot) joint B is fixed,      ankle = B - F f,
with F = Rz(yaw) U Rx(-p) the world rotation of the ankle frame (U = upright, facing +x),
h, f the heel point and the foot joint relative to the ankle at rest. The toes stay flat
on the ground while the heel is raised (toe extension = max(-p, 0)).
A swing from plant i to plant i+1 moves the ankle along
    A(u) = A_off + (A_on - A_off) m(u) + lift bump(u) ẑ,     u in [0, 1],  m = min-jerk,
and, for a flight (``airborne``), also by the pelvis' rise above the straight line between
its take-off and landing heights.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...geometry.gravity_view import UPRIGHT_FACING_X
from .body_geometry import BodyGeometry
from .curves import bump, min_jerk, rotation_x, rotation_z, smoothstep, wrap_angle

UPRIGHT = UPRIGHT_FACING_X.double().numpy()


@dataclass
class Plant:
    """One planted foot: where, when, and how it rolls on and off the ground."""

    xy: np.ndarray                 # (2,) world ankle ground position, foot flat
    yaw: float                     # world heading of the foot, rad
    t_on: float                    # touchdown, s
    t_off: float = np.inf          # lift-off, s
    strike_pitch: float = 0.0      # pitch at touchdown (> 0 heel strike, < 0 toe strike)
    roll_in: float = 0.1           # s to roll from the strike pitch to flat
    toe_off_pitch: float = 0.0     # pitch at lift-off (< 0: heel raised)
    roll_out: float = 0.15         # s to roll from flat to the toe-off pitch
    lift: float = 0.05             # apex height of the swing into this plant, m
    lift_peak: float = 0.5         # where in that swing the apex is, in [0, 1]
    airborne: bool = False         # the swing into this plant is a flight (jump)


@dataclass
class FootTrack:
    """The plants of one foot, in time order, not overlapping."""

    plants: list[Plant] = field(default_factory=list)

    @property
    def last(self) -> Plant:
        return self.plants[-1]

    def close(self, t_off: float, toe_off_pitch: float = 0.0, roll_out: float = 0.15) -> None:
        """End the current plant at ``t_off``, rolling to ``toe_off_pitch``."""
        self.last.t_off = t_off
        self.last.toe_off_pitch = toe_off_pitch
        self.last.roll_out = max(min(roll_out, t_off - self.last.t_on), 1e-3)

    def place(self, plant: Plant) -> None:
        """Append a plant that starts after the current one ends."""
        if self.plants and plant.t_on <= self.last.t_off:
            raise ValueError("a foot plant must start after the previous one lifts off")
        self.plants.append(plant)

    def step(self, t_lift: float, t_land: float, xy: np.ndarray, yaw: float,
             lift: float) -> None:
        """A flat step: lift off at t_lift and land flat at (xy, yaw) at t_land."""
        self.close(t_lift)
        self.place(Plant(xy=np.asarray(xy, dtype=float), yaw=float(yaw), t_on=t_land,
                         lift=lift))


@dataclass
class FootTargets:
    """World targets of one foot over a clip."""

    ankle: np.ndarray      # (T, 3) ankle joint position
    rotation: np.ndarray   # (T, 3, 3) world rotation of the ankle frame
    toe: np.ndarray        # (T,) toe extension, rad
    yaw: np.ndarray        # (T,) foot heading, rad
    contact: np.ndarray    # (T,) bool, the foot is planted
    flight: np.ndarray     # (T,) bool, the foot is in a flight (jump) swing
    swing: np.ndarray      # (T,) progress in [0, 1] through the current swing, 0 planted


def planted_foot(xy: np.ndarray, yaw: np.ndarray, pitch: np.ndarray, geo: BodyGeometry,
                 side: int) -> tuple[np.ndarray, np.ndarray]:
    """Ankle position (N, 3) and rotation (N, 3, 3) of a foot planted at (xy (N, 2), yaw)
    with pitch (N,), pivoting on its heel (pitch >= 0) or on its ball joint (pitch < 0)."""
    flat = rotation_z(yaw) @ UPRIGHT                                     # (N, 3, 3)
    rot = flat @ rotation_x(-pitch)
    ankle_flat = np.concatenate([xy, np.full((len(xy), 1), geo.ankle_height[side])], -1)
    pivot_local = np.where((pitch >= 0)[:, None], geo.heel[side], geo.foot[side])  # (N, 3)
    pivot = ankle_flat + np.einsum("nij,nj->ni", flat, pivot_local)
    return pivot - np.einsum("nij,nj->ni", rot, pivot_local), rot


def _stance_pitch(t: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    u_in = np.clip((t - p["t_on"]) / p["roll_in"], 0.0, 1.0)
    u_out = np.clip((t - (p["t_off"] - p["roll_out"])) / p["roll_out"], 0.0, 1.0)
    return p["strike_pitch"] * (1 - u_in) ** 2 + p["toe_off_pitch"] * u_out ** 2


def foot_targets(track: FootTrack, t: np.ndarray, geo: BodyGeometry, side: int,
                 heel_raise: np.ndarray, pelvis_z: np.ndarray | None = None) -> FootTargets:
    """Evaluate a foot track at times t (T,). ``heel_raise`` (T,) lifts the heel of a planted
    foot (rad); ``pelvis_z`` (T,) shapes flights (without it they are ordinary swings)."""
    names = ("t_on", "t_off", "strike_pitch", "roll_in", "toe_off_pitch", "roll_out",
             "lift", "lift_peak")
    arr = {n: np.array([getattr(p, n) for p in track.plants], dtype=float) for n in names}
    arr["xy"] = np.array([p.xy for p in track.plants], dtype=float)            # (P, 2)
    arr["yaw"] = np.array([p.yaw for p in track.plants], dtype=float)
    airborne = np.array([p.airborne for p in track.plants])
    last = len(track.plants) - 1
    i = np.clip(np.searchsorted(arr["t_on"], t, side="right") - 1, 0, last)
    j = np.minimum(i + 1, last)
    stance = (t <= arr["t_off"][i]) | (i == last)
    cur = {n: v[i] for n, v in arr.items()}
    nxt = {n: v[j] for n, v in arr.items()}

    pitch = _stance_pitch(t, cur) - heel_raise
    ankle, rot = planted_foot(cur["xy"], cur["yaw"], pitch, geo, side)
    toe = np.maximum(-pitch, 0.0)
    yaw = cur["yaw"].copy()

    # swing from plant i (lift-off) to plant j (touchdown)
    t_off = np.where(np.isfinite(cur["t_off"]), cur["t_off"], t)
    dur = np.maximum(nxt["t_on"] - t_off, 1e-6)
    u = np.clip((t - t_off) / dur, 0.0, 1.0)
    a_off, _ = planted_foot(cur["xy"], cur["yaw"], cur["toe_off_pitch"], geo, side)
    a_on, _ = planted_foot(nxt["xy"], nxt["yaw"], nxt["strike_pitch"], geo, side)
    m = min_jerk(u)[:, None]
    s_ankle = a_off + (a_on - a_off) * m
    s_ankle[:, 2] += nxt["lift"] * bump(u, nxt["lift_peak"], sharpness=2.0)
    fly = airborne[j] & ~stance
    if pelvis_z is not None:
        z_off = np.interp(t_off, t, pelvis_z)
        z_on = np.interp(nxt["t_on"], t, pelvis_z)
        rise = pelvis_z - (z_off + (z_on - z_off) * u)
        s_ankle[:, 2] += np.where(fly, np.maximum(rise, 0.0), 0.0)
    s_pitch = cur["toe_off_pitch"] + (nxt["strike_pitch"] - cur["toe_off_pitch"]) * smoothstep(u)
    s_yaw = cur["yaw"] + wrap_angle(nxt["yaw"] - cur["yaw"]) * m[:, 0]
    s_rot = rotation_z(s_yaw) @ UPRIGHT @ rotation_x(-s_pitch)
    s_toe = np.maximum(-cur["toe_off_pitch"], 0.0) * (1 - smoothstep(u / 0.4))

    return FootTargets(ankle=np.where(stance[:, None], ankle, s_ankle),
                       rotation=np.where(stance[:, None, None], rot, s_rot),
                       toe=np.where(stance, toe, s_toe), yaw=np.where(stance, yaw, s_yaw),
                       contact=stance, flight=fly, swing=np.where(stance, 0.0, u))
