"""Locomotion bouts: walking, jogging and running (forward, backward, side-steps) along a
curved path, and stepping on the spot while turning, from standing to standing.

Path first, feet second. The bout's speed v(t) ramps up from 0, follows the segments'
speeds and ramps down to 0; the travel direction integrates the path curvature,
    θ(t) = θ0 + ∫ κ v dt,   c(t) = c0 + ∫ v (cos θ, sin θ) dt,
and the body faces ψ = θ - (0, π, ±π/2) for forward, backward and side-steps. A gait phase
φ(t) = ∫ f dt (f = stride frequency) times the steps: the left heel strikes at integer φ,
the right at φ + 1/2, and each stance lasts the duty factor β of a cycle (β < 1/2: flight).
A stance becomes a foot plant at the path point of its mid-stance,
    footprint = c(t_mid) + Rψ (x_ankle, ±w/2),
so the feet never slide and the pelvis moves at exactly v. The bout starts and ends in
double support with the feet beside each other (the first stances are the existing plants,
the last ones land at the final path point); the phase rate is rescaled by a few percent so
that the last heel strike falls at the bout's end.

Speed laws for a body of the reference leg length (scale s = leg / 0.8 m; Froude-scaled
frequency f ∝ s^-1/2), blended by the "runness" r in [0, 1]:
    stride frequency  walk 0.55 + 0.30 v,         run 1.18 + 0.08 v          (Hz)
    duty factor       walk 0.64 - 0.035 v in [0.55, 0.64],  run 0.52 - 0.045 v in [0.32, 0.45]
    pelvis height     walk 0.995 - 0.004 v,       run 0.965 - 0.005 v        (x standing)
    vertical bob      walk 0.012 + 0.008 v (high at mid-stance), run 0.02 + 0.005 v (low)
The stride frequency is raised where needed so that a stride turns the body by at most
MAX_TURN_PER_STRIDE and side-steps keep SIDE_FOOT_CLEARANCE between the feet.
Periodic curves (cycle phase φ, β/2 = left mid-stance): bob ∝ (1 - 2r) cos 4π(φ - β/2),
lateral sway ∝ cos 2π(φ - β/2) towards the stance foot, pelvis twist ∝ -cos 2πφ (the
swinging leg's hip forward), obliquity ∝ cos 2π(φ - 0.15) (swing side drops), thorax
counter-rotation, arms in counter-phase to the legs (left arm forward at the right heel
strike), elbows flexing with the arm swing (and ~85° when running).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import gaussian_filter1d

from .body_geometry import ANKLE, BodyGeometry
from .curves import cumulative_integral, ramp, smoothstep
from .joints import ROW, pair
from .noise import smooth_noise
from .plants import Plant
from .spec import TURN_KIND, Segment, Style
from .timeline import State, Timeline, to_world

GRAVITY = 9.81
TRAVEL_OFFSET = {"forward": 0.0, "backward": np.pi, "left": np.pi / 2, "right": -np.pi / 2}
RUN_KINDS = ("jog", "run")
SETTLE_TIME = 0.4        # s between the pelvis stopping and the bout's last heel strike
RUN_BLEND = 0.15         # s, smoothing of walk-run transitions
SIDE_FOOT_CLEARANCE = 0.12  # m kept between the feet when side-stepping
MAX_TURN_PER_STRIDE = np.pi / 3  # rad of heading change per stride (steps speed up)
SPINE_SPLIT = np.array([0.3, 0.3, 0.4])   # spine1, spine2, spine3 shares of a trunk bend
SPINE_ROWS = np.array([ROW["spine1"], ROW["spine2"], ROW["spine3"]])


@dataclass
class GaitParams:
    """Per-frame gait parameters (each (T,)); angles in rad, lengths in m."""

    frequency: np.ndarray     # stride frequency, Hz
    duty: np.ndarray          # stance fraction of a cycle
    width: np.ndarray         # step width (ankle centres)
    height: np.ndarray        # pelvis height, x standing height
    bob: np.ndarray           # vertical pelvis oscillation amplitude
    sway: np.ndarray          # lateral pelvis oscillation amplitude
    twist: np.ndarray         # pelvis twist amplitude
    obliquity: np.ndarray     # pelvis obliquity amplitude
    tilt: np.ndarray          # mean anterior pelvis tilt
    lean: np.ndarray          # mean forward trunk lean (world)
    thorax: np.ndarray        # thorax counter-rotation amplitude (world)
    arm: np.ndarray           # shoulder flexion swing amplitude
    arm_bias: np.ndarray      # mean shoulder flexion
    abduction: np.ndarray     # extra shoulder abduction
    elbow: np.ndarray         # extra elbow flexion
    elbow_swing: np.ndarray   # elbow flexion swing
    strike: np.ndarray        # foot pitch at touchdown (> 0 heel strike)
    toe_off: np.ndarray       # foot pitch at lift-off (< 0 heel raised)
    roll_in: np.ndarray       # s from touchdown to foot flat
    heel_off: np.ndarray      # stance fraction at which the heel lifts
    lift: np.ndarray          # swing apex height
    lift_peak: np.ndarray     # where in the swing the apex is


def gait_parameters(v: np.ndarray, r: np.ndarray, direction: str, style: Style,
                    scale: float) -> GaitParams:
    """Gait parameters at speeds v (T,) and runness r (T,) for a body of leg ``scale``."""
    def mix(walk, run):
        return walk + (run - walk) * r

    deg = np.deg2rad
    slow = np.clip(v / 1.3, 0.0, 1.3)
    froude = scale ** -0.5 * style.cadence
    p = GaitParams(
        frequency=mix(0.55 + 0.30 * v, 1.18 + 0.08 * v) * froude,
        duty=mix(np.clip(0.64 - 0.035 * v, 0.55, 0.64), np.clip(0.52 - 0.045 * v, 0.32, 0.45)),
        width=mix(style.walk_width, style.run_width) * scale,
        height=mix(0.995 - 0.004 * v, 0.965 - 0.005 * v),
        bob=mix(0.012 + 0.008 * v, 0.02 + 0.005 * v) * scale * style.bounce,
        sway=mix(np.maximum(0.03 - 0.01 * v, 0.008), 0.008) * scale * style.sway,
        twist=deg(mix(3 + 3 * v, 5 + 1.5 * v)),
        obliquity=deg(mix(3 + v, 5.0)),
        tilt=deg(mix(4 + v, 7 + 1.5 * v)),
        lean=deg(mix(1 + 1.5 * v, 4 + 2 * v) + style.lean),
        thorax=deg(mix(3 + 2 * v, 6 + 2 * v)),
        arm=deg(mix(4 + 14 * v, 25 + 6 * v)) * style.arm_swing,
        arm_bias=deg(mix(0.0, 10.0)),
        abduction=deg(mix(0.0, 6.0)),
        elbow=deg(mix(0.0, style.run_elbow - style.elbow)),
        elbow_swing=deg(mix(8 * slow, 15.0)),
        strike=deg(mix(style.heel_strike * (0.4 + 0.6 * np.minimum(slow, 1.0)), 6.0)),
        toe_off=-deg(mix(style.toe_off * np.minimum(slow, 1.0), 32.0)),
        roll_in=mix(0.12, 0.04) / np.maximum(mix(0.55 + 0.30 * v, 1.18 + 0.08 * v), 0.5),
        heel_off=mix(0.6, 0.4),
        lift=mix(0.05 + 0.03 * v, 0.08 + 0.05 * v) * scale,
        lift_peak=mix(0.4, 0.3),
    )
    if direction == "backward":
        p.frequency = p.frequency * 1.1
        p.strike, p.toe_off = -0.5 * np.abs(p.toe_off), 0.5 * np.abs(p.strike)
        p.lean = p.lean - deg(4.0)
        p.arm, p.twist, p.thorax = 0.6 * p.arm, 0.6 * p.twist, 0.6 * p.thorax
    elif direction in ("left", "right"):
        p.width = np.full_like(v, style.side_width * scale)
        half_stride = style.side_width * scale - SIDE_FOOT_CLEARANCE * scale
        p.frequency = np.maximum(p.frequency, v / (2 * half_stride))
        p.strike, p.toe_off = 0.0 * v, -deg(5.0) * np.minimum(slow, 1.0)
        p.lift = np.full_like(v, 0.04 * scale)
        for name in ("arm", "twist", "thorax", "sway", "obliquity"):
            setattr(p, name, 0.2 * getattr(p, name))
    return p


def _piecewise(t: np.ndarray, bounds: np.ndarray, values: list[float],
               blend: float) -> np.ndarray:
    """Segment values on the time grid, blended over ±blend around each boundary."""
    out = np.full_like(t, values[0], dtype=float)
    for k in range(1, len(values)):
        h = min(blend, 0.4 * (bounds[k] - bounds[k - 1]), 0.4 * (bounds[k + 1] - bounds[k]))
        out += (values[k] - values[k - 1]) * ramp(t, bounds[k] - h, bounds[k] + h)
    return out


def _speed_profile(t: np.ndarray, bounds: np.ndarray, segments: list[Segment],
                   duration: float) -> np.ndarray:
    """v(t): segment speeds, ramping up from and down to standing (stopped SETTLE_TIME
    before the end) with a mean acceleration of about 1 (walking) to 2.2 m/s² (running).
    A bout too short to reach its speeds that way is run at proportionally lower speeds
    rather than with implausible accelerations."""
    speeds = [s.speed if s.kind != TURN_KIND else 0.0 for s in segments]
    target = _piecewise(t, bounds, speeds, 0.8)
    first_run = segments[0].kind in RUN_KINDS
    last_run = segments[-1].kind in RUN_KINDS
    up = np.clip(speeds[0] / (1.0 + 1.2 * first_run), 0.4, 2.0)
    down = np.clip(speeds[-1] / (1.2 + 1.5 * last_run), 0.4, 1.6)
    stop = duration - SETTLE_TIME
    fit = min(1.0, 0.95 * stop / (up + down))
    up, down = fit * up, fit * down
    return fit * target * ramp(t, 0.0, up) * (1.0 - ramp(t, stop - down, stop))


def _phase(frequency: np.ndarray, duty: np.ndarray, dt: float, lead: int
           ) -> tuple[np.ndarray, float, float]:
    """Gait phase (T,) from the stride frequency, starting just before the ``lead`` foot's
    toe-off and ending in the double support just after a heel strike; returns
    (phase, start, end)."""
    start = duty[0] - 0.02 - (0.5 if lead == 1 else 0.0)
    raw = cumulative_integral(frequency, dt)
    delta = 0.5 * (duty[-1] - 0.5)
    k = np.round(2 * (start + raw[-1] - delta))
    while k / 2 + delta < start + 0.75:
        k += 1
    end = k / 2 + delta
    return start + raw * (end - start) / raw[-1], float(start), float(end)


def locomotion_bout(tl: Timeline, first: int, stop: int, segments: list[Segment],
                    state: State, style: Style, geo: BodyGeometry,
                    rng: np.random.Generator, lead: int) -> State:
    """Write a locomotion bout into frames [first, stop) of ``tl`` and add its foot plants;
    ``lead`` is the foot (0 left, 1 right) that steps first. Returns the end state."""
    n = stop - first
    dt = 1.0 / tl.fps
    t = np.arange(n + 1) * dt                                             # local, incl. end
    duration = n * dt
    t0 = tl.t[first]
    durations = np.array([s.duration for s in segments])
    bounds = np.concatenate([[0.0], np.cumsum(durations)]) * duration / durations.sum()
    direction = segments[0].direction
    scale = geo.scale

    v = _speed_profile(t, bounds, segments, duration)
    runs = [1.0 if s.kind in RUN_KINDS else 0.0 for s in segments]
    r = gaussian_filter1d(_piecewise(t, bounds, runs, 0.5) * smoothstep((v - 0.9) / 0.8),
                          RUN_BLEND * tl.fps, mode="nearest")
    wander = 0.04 if direction == "forward" else 0.01
    kappa = (_piecewise(t, bounds, [s.curvature for s in segments], 0.6)
             + smooth_noise(rng, t, (), wander, band=(0.05, 0.3)))
    turn = sum(s.turn * ramp(t, bounds[k] + 0.1 * durations[k], bounds[k + 1] - 0.1 * durations[k])
               for k, s in enumerate(segments) if s.kind == TURN_KIND)
    offset = TRAVEL_OFFSET[direction]
    theta = state.heading + offset + cumulative_integral(kappa * v, dt) + turn
    heading = theta - offset
    path = state.xy + cumulative_integral(v[:, None] * np.stack(
        [np.cos(theta), np.sin(theta)], -1), dt)                         # (n+1, 2)

    gp = gait_parameters(v, r, direction, style, scale)
    gp.frequency = np.maximum(gp.frequency, np.abs(np.gradient(theta, dt)) / MAX_TURN_PER_STRIDE)
    phase, start, end = _phase(gp.frequency, gp.duty, dt, lead)
    _add_plants(tl, t0, t, phase, start, end, path, heading, gp, geo,
                np.deg2rad(style.toe_out))

    envelope = smoothstep(v / 0.5)[:n]
    _write_curves(tl, slice(first, stop), phase[:n], envelope, path[:n], heading[:n],
                  v[:n], kappa[:n], r[:n], _slice(gp, n), geo)
    return State(xy=path[-1].copy(), heading=float(heading[-1]))


def _slice(gp: GaitParams, n: int) -> GaitParams:
    return GaitParams(**{k: v[:n] for k, v in vars(gp).items()})


def _add_plants(tl: Timeline, t0: float, t: np.ndarray, phase: np.ndarray, start: float,
                end: float, path: np.ndarray, heading: np.ndarray, gp: GaitParams,
                geo: BodyGeometry, toe_out: float) -> None:
    """Turn every stance of the bout into a foot plant (or close the standing plant)."""
    def at(x: np.ndarray, tq: float) -> np.ndarray:
        return np.interp(tq, t, x)

    def time_of(q: float) -> float:
        return float(np.interp(q, phase, t))

    ankle_forward = geo.rest[ANKLE[0], 2] - geo.rest[0, 2]
    duty_at = lambda q: at(gp.duty, time_of(q))  # noqa: E731
    for side, sign in ((0, 1.0), (1, -1.0)):
        track = tl.feet[side]
        n = int(np.floor(start)) - 2
        while True:
            on = n + 0.5 * side
            n += 1
            if on >= end:
                break
            off = on + duty_at(on)
            if off <= start:
                continue
            t_off = time_of(off)
            if on <= start:        # the standing plant: lift it off
                track.close(t0 + t_off, at(gp.toe_off, t_off),
                            (1 - at(gp.heel_off, t_off)) * (t_off - time_of(on)))
                continue
            t_on = time_of(on)
            final = off >= end
            t_ref = t[-1] if final else time_of(on + 0.5 * (off - on))
            psi = at(heading, t_ref)
            local = np.array([ankle_forward, sign * at(gp.width, t_ref) / 2])
            xy = np.array([at(path[:, 0], t_ref), at(path[:, 1], t_ref)]) + to_world(psi, local)
            t_mid_swing = max(t_on - 0.5 * (1 - duty_at(on)) / at(gp.frequency, t_on), 0.0)
            plant = Plant(xy=xy, yaw=psi + sign * toe_out, t_on=t0 + t_on,
                          strike_pitch=at(gp.strike, t_on), roll_in=at(gp.roll_in, t_on),
                          lift=at(gp.lift, t_mid_swing), lift_peak=at(gp.lift_peak, t_mid_swing))
            if not final:
                plant.t_off = t0 + t_off
                plant.toe_off_pitch = at(gp.toe_off, t_off)
                plant.roll_out = (1 - at(gp.heel_off, t_off)) * (t_off - t_on)
            track.place(plant)


def _write_curves(tl: Timeline, frames: slice, phase: np.ndarray, e: np.ndarray,
                  path: np.ndarray, heading: np.ndarray, v: np.ndarray, kappa: np.ndarray,
                  r: np.ndarray, gp: GaitParams, geo: BodyGeometry) -> None:
    """Pelvis, trunk and arm curves of the bout; ``e`` (T,) fades them in and out with
    the speed."""
    tl.ground[frames] = path
    tl.heading[frames] = heading
    stance_mid = 2 * np.pi * (phase - gp.duty / 2)
    cycle = np.cos(2 * np.pi * phase)                   # 1 at the left heel strike
    tl.pelvis_z[frames] = (geo.pelvis_height * (1 - e * (1 - gp.height))
                           + e * gp.bob * (1 - 2 * r) * np.cos(2 * stance_mid))
    tl.sway[frames, 1] = e * gp.sway * np.cos(stance_mid)
    obliquity = e * gp.obliquity * np.cos(2 * np.pi * (phase - 0.15))
    tl.pelvis[frames] = np.stack([e * (gp.tilt + np.deg2rad(1.5) * np.cos(2 * stance_mid)),
                                  obliquity, -e * gp.twist * cycle], -1)
    tl.roll[frames] = -0.8 * np.arctan(v * v * kappa / GRAVITY)

    up = tl.upper[frames]                                               # (T, 21, 3) view
    up[:, SPINE_ROWS, 0] = (e * (gp.lean - gp.tilt))[:, None] * SPINE_SPLIT
    up[:, SPINE_ROWS, 1] = (-0.6 * obliquity)[:, None] * SPINE_SPLIT
    up[:, SPINE_ROWS, 2] = (e * (gp.twist + gp.thorax) * cycle)[:, None] * SPINE_SPLIT
    gaze = -0.45 * e * gp.thorax * cycle
    up[:, ROW["neck"], 2] = gaze
    up[:, ROW["head"], 2] = gaze
    up[:, ROW["neck"], 0] = -0.4 * e * gp.lean
    up[:, ROW["head"], 0] = -0.3 * e * gp.lean
    lag = 0.05
    for side, shift in ((0, 0.5), (1, 0.0)):
        swing = np.cos(2 * np.pi * (phase - shift - lag))
        shoulder, elbow, collar = (pair(j)[side] for j in ("shoulder", "elbow", "collar"))
        up[:, shoulder, 0] = e * (gp.arm_bias + gp.arm * swing)
        up[:, shoulder, 1] = e * gp.abduction
        up[:, elbow, 0] = e * (gp.elbow + gp.elbow_swing * (1 + swing) / 2)
        up[:, collar, 1] = 0.15 * up[:, shoulder, 0]
