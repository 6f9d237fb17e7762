"""Stationary segments: standing idle with weight shifts, crouching, squatting, bending to
pick something up, kneeling on one knee, sitting down on and standing up from a virtual
seat (jumps: jumps.py). Each starts and ends standing still; leg postures come from the
sagittal leg model of scene.py.
"""

from __future__ import annotations

import numpy as np

from .body_geometry import BodyGeometry
from .curves import bump, keyframes, min_jerk, ramp
from .gait import SPINE_ROWS, SPINE_SPLIT
from .jumps import jump
from .scene import (STEP_LIFT, STEP_TIME, Scene, adjust_feet, bend_trunk, fit_durations,
                    heel_raise_offset, hold_pose, leg_lengths, move_arms, pelvis_for_legs,
                    pelvis_over_hip, standing_pelvis, write_root)
from .spec import Segment, Style
from .timeline import State, Timeline


def idle(sc: Scene, seg: Segment) -> State:
    """Standing: slow weight shifts between the feet with a hip drop on the unloaded side."""
    t, D, rng = sc.t, sc.duration, sc.rng
    feet = sc.feet_local()
    centre = feet.mean(0) + np.array([standing_pelvis(sc.geo)[0], 0.0])
    half = 0.5 * abs(feet[0, 1] - feet[1, 1])
    times, values = [0.0, min(0.4, D / 4)], [0.0, 0.0]
    while times[-1] < D - 1.5:
        move = rng.uniform(0.6, 1.2)
        times += [times[-1] + move, times[-1] + move + rng.uniform(1.0, 3.5)]
        shift = rng.choice([-1.0, 0.0, 1.0]) * rng.uniform(0.3, 0.7) * half
        values += [shift, shift]
    keep = np.array(times) < D - 0.6
    times = list(np.array(times)[keep]) + [D - 0.5, D]
    values = list(np.array(values)[keep]) + [0.0, 0.0]
    lateral = keyframes(t, np.array(times), np.array(values))             # (n+1,)
    load = lateral / max(half, 1e-3)
    offset = centre + np.stack([0 * t, lateral], -1)
    pelvis = np.stack([0 * t, np.deg2rad(4.0) * load, np.deg2rad(3.0) * load], -1)
    write_root(sc, offset, sc.geo.pelvis_height - 0.01 * np.abs(load), pelvis)
    up = sc.upper()
    n = len(up)
    up[:, SPINE_ROWS, 1] -= (0.5 * pelvis[:n, 1])[:, None] * SPINE_SPLIT
    return State(xy=sc.world(offset[-1]), heading=sc.anchor.heading)


def lower_body(sc: Scene, seg: Segment) -> State:
    """Crouch or squat: lower the hips with the feet planted (wider for a squat), hold,
    stand up again."""
    t, D, rng, geo = sc.t, sc.duration, sc.rng, sc.geo
    a = seg.amount
    squat = seg.kind == "squat"
    width = (rng.uniform(0.30, 0.42) if squat else rng.uniform(0.22, 0.32)) * geo.scale
    toe_out = np.deg2rad(rng.uniform(8, 20)) if squat else 0.0
    feet = sc.feet_local()
    centre = feet.mean(0)
    targets = centre + np.array([[0.0, width / 2], [0.0, -width / 2]])
    ready = adjust_feet(sc, targets, 0.05, toe_out)
    feet = sc.feet_local()
    heel = np.deg2rad(rng.uniform(10, 25)) if squat and rng.random() < 0.3 else 0.0
    if squat:
        shank, thigh = np.deg2rad(25 + 10 * a) + 0.5 * heel, np.deg2rad(70 + 25 * a)
        tilt, spine = np.deg2rad(8 + 12 * a), np.deg2rad(10 + 15 * a)
    else:
        shank, thigh = np.deg2rad(12 + 18 * a), np.deg2rad(25 + 45 * a)
        tilt, spine = np.deg2rad(8 + 17 * a), np.deg2rad(5 + 15 * a)
    ankle_lift = heel_raise_offset(geo, heel)
    deep = pelvis_for_legs(geo, shank, thigh, tilt) + ankle_lift
    stand = standing_pelvis(geo)
    down = rng.uniform(0.7, 1.3) * (1.2 if squat else 1.0)
    rise = rng.uniform(0.7, 1.3) * (1.2 if squat else 1.0)
    t_down = min(ready, max(D - down - rise - 0.3, 0.0))
    down, rise = fit_durations(D - t_down - 0.2, down, rise)
    w = hold_pose(t, t_down, down, D - 0.1 - rise, rise)                # (n+1,)
    fwd = feet[:, 0].mean() + stand[0] + (deep[0] - stand[0]) * w
    offset = np.stack([fwd, np.full_like(t, feet[:, 1].mean())], -1)
    z = stand[1] + (deep[1] - stand[1]) * w
    write_root(sc, offset, z, np.stack([tilt * w, 0 * w, 0 * w], -1))
    n = len(sc.upper())
    sc.tl.heel_raise[:, sc.frames] = heel * w[:n]
    knees = np.deg2rad(rng.uniform(5, 15) if squat else rng.uniform(2, 8))
    sc.tl.knee_out[:, sc.frames] = knees * w[:n]
    up = sc.upper()
    bend_trunk(up, spine * w[:n], gaze=rng.uniform(0.4, 0.9))
    reach = np.deg2rad(rng.uniform(30, 80) if squat else rng.uniform(5, 30))
    move_arms(up, (1.0, 1.0), reach * w[:n], np.deg2rad(rng.uniform(10, 50)) * w[:n])
    return State(xy=sc.world(offset[-1]), heading=sc.anchor.heading)


def pickup(sc: Scene, seg: Segment) -> State:
    """Bend down (hips back, trunk forward, knees a little) to reach the floor with one or
    both hands, then straighten up."""
    t, D, rng, geo = sc.t, sc.duration, sc.rng, sc.geo
    a = seg.amount
    shank, thigh = np.deg2rad(5 + 15 * a), np.deg2rad(10 + 45 * a)
    trunk = np.deg2rad(95 - 40 * a)                    # total trunk flexion
    tilt = 0.5 * trunk
    feet = sc.feet_local()
    deep = pelvis_for_legs(geo, shank, thigh, tilt)
    stand = standing_pelvis(geo)
    down, hold, rise = fit_durations(D - 0.4, rng.uniform(0.8, 1.4), rng.uniform(0.3, 0.8),
                                     rng.uniform(0.8, 1.4))
    t_down = rng.uniform(0.1, max(D - down - hold - rise - 0.2, 0.15))
    w = hold_pose(t, t_down, down, t_down + down + hold, rise)
    offset = np.stack([feet[:, 0].mean() + stand[0] + (deep[0] - stand[0]) * w,
                       np.full_like(t, feet[:, 1].mean())], -1)
    z = stand[1] + (deep[1] - stand[1]) * w
    write_root(sc, offset, z, np.stack([tilt * w, 0 * w, 0 * w], -1))
    n = len(sc.upper())
    up = sc.upper()
    bend_trunk(up, (trunk - tilt) * w[:n], gaze=rng.uniform(0.0, 0.4))
    hands = (1.0, 1.0) if rng.random() < 0.4 else ((1.0, 0.2) if seg.side == 0 else (0.2, 1.0))
    move_arms(up, hands, (0.9 * trunk + np.deg2rad(rng.uniform(0, 20))) * w[:n],
              np.deg2rad(rng.uniform(5, 25)) * w[:n])
    return State(xy=sc.world(offset[-1]), heading=sc.anchor.heading)


def kneel(sc: Scene, seg: Segment) -> State:
    """Step forward with one foot and go down on the other knee (toes tucked), hold,
    get up and bring the front foot back."""
    t, D, rng, geo = sc.t, sc.duration, sc.rng, sc.geo
    back, front = seg.side, 1 - seg.side
    lt, ls = leg_lengths(geo)
    feet = sc.feet_local()
    toes = np.deg2rad(rng.uniform(55, 70))
    lift = heel_raise_offset(geo, toes)                         # back ankle (fwd, up) shift
    ankle = np.array([feet[back, 0], geo.ankle_height.mean()]) + lift
    knee_z = 0.05 * geo.scale
    knee = np.array([ankle[0] + np.sqrt(max(ls ** 2 - (ankle[1] - knee_z) ** 2, 1e-4)), knee_z])
    lean = np.deg2rad(rng.uniform(0, 15))
    hip = knee + lt * np.array([np.sin(lean), np.cos(lean)])
    tilt = np.deg2rad(rng.uniform(0, 10))
    pelvis = hip + pelvis_over_hip(geo, tilt)
    shin = np.deg2rad(rng.uniform(0, 15))
    drop = np.clip((hip[1] - geo.ankle_height.mean() - ls * np.cos(shin)) / lt, -0.5, 0.5)
    front_fwd = hip[0] + lt * np.cos(np.arcsin(drop)) + ls * np.sin(shin)
    kneel_feet = feet.copy()
    kneel_feet[front] = [front_fwd, feet[front, 1]]
    step_end = adjust_feet(sc, kneel_feet, 0.05)
    step_back = D - STEP_TIME - 0.2          # the front foot comes back while rising
    down, rise = fit_durations(D - 0.8, rng.uniform(1.0, 1.5), rng.uniform(1.0, 1.5))
    t_up = D - 0.2 - rise
    w = hold_pose(t, 0.05, down, t_up, rise)        # going down starts with the step
    stand = standing_pelvis(geo)
    mid = feet[:, 0].mean() + stand[0]
    centre = kneel_feet[:, 0].mean() + stand[0]           # between the feet of the lunge
    lunge = ramp(t, 0.05, step_end) * (1 - ramp(t, step_back, D - 0.2))
    fwd = mid + (centre - mid) * lunge + (pelvis[0] - centre) * w
    offset = np.stack([fwd, np.full_like(t, feet[:, 1].mean())], -1)
    z = stand[1] + (pelvis[1] - stand[1]) * w
    lean = np.deg2rad(12.0) * lunge * (1 - w)      # pelvis forward in the lunge: less
    write_root(sc, offset, z, np.stack([tilt * w + lean, 0 * w, 0 * w], -1))   # hip extension
    n = len(sc.upper())
    bend_trunk(sc.upper(), np.deg2rad(rng.uniform(0, 12)) * w[:n] - 0.7 * lean[:n])
    sc.tl.heel_raise[back, sc.frames] = toes * w[:n] ** 2   # toes tuck as the knee nears the floor
    sc.tl.knee_out[front, sc.frames] = np.deg2rad(rng.uniform(0, 10)) * w[:n]
    sc.tl.feet[front].step(sc.t0 + step_back, sc.t0 + D - 0.2,
                           sc.world(feet[front]), sc.tl.feet[front].last.yaw,
                           STEP_LIFT * geo.scale)
    return State(xy=sc.world(offset[-1]), heading=sc.anchor.heading)


def sit(sc: Scene, seg: Segment) -> State:
    """Sit down on a virtual seat behind the feet (trunk leaning forward on the way),
    stay seated, stand up again."""
    t, D, rng, geo = sc.t, sc.duration, sc.rng, sc.geo
    feet = sc.feet_local()
    shank, thigh = np.deg2rad(rng.uniform(-5, 10)), np.deg2rad(rng.uniform(80, 95))
    tilt = -np.deg2rad(rng.uniform(5, 15))
    seat = pelvis_for_legs(geo, shank, thigh, tilt)
    stand = standing_pelvis(geo)
    down, rise = fit_durations(D - 0.6, rng.uniform(1.0, 1.6), rng.uniform(1.0, 1.6))
    t_down = 0.1
    t_up = D - 0.1 - rise
    u_down = np.clip((t - t_down) / down, 0, 1)
    u_up = np.clip((t - t_up) / rise, 0, 1)
    x = min_jerk(u_down ** 0.8) * (1 - min_jerk(u_up))
    h = min_jerk(u_down ** 1.2) * (1 - min_jerk((u_up - 0.15) / 0.85))
    lean = (np.deg2rad(rng.uniform(25, 40)) * bump(u_down)
            + np.deg2rad(rng.uniform(35, 50)) * bump(u_up, peak=0.35))
    offset = np.stack([feet[:, 0].mean() + stand[0] + (seat[0] - stand[0]) * x,
                       np.full_like(t, feet[:, 1].mean())], -1)
    z = stand[1] + (seat[1] - stand[1]) * h
    write_root(sc, offset, z, np.stack([tilt * h + 0.5 * lean, 0 * t, 0 * t], -1))
    n = len(sc.upper())
    sc.tl.knee_out[:, sc.frames] = np.deg2rad(rng.uniform(0, 12)) * h[:n]
    up = sc.upper()
    slouch = np.deg2rad(rng.uniform(5, 20))
    bend_trunk(up, slouch * h[:n] + 0.5 * lean[:n], gaze=0.6)
    move_arms(up, (1.0, 1.0), np.deg2rad(rng.uniform(15, 40)) * h[:n],
              np.deg2rad(rng.uniform(30, 70)) * h[:n])
    return State(xy=sc.world(offset[-1]), heading=sc.anchor.heading)


POSTURES = {"idle": idle, "crouch": lower_body, "squat": lower_body, "pickup": pickup,
            "kneel": kneel, "sit": sit, "jump": jump, "jump_forward": jump}


def posture_segment(tl: Timeline, first: int, stop: int, seg: Segment, state: State,
                    style: Style, geo: BodyGeometry, rng: np.random.Generator) -> State:
    """Write a stationary segment into frames [first, stop) of ``tl``; returns the end
    state."""
    sc = Scene(tl=tl, frames=slice(first, stop), t=np.arange(stop - first + 1) / tl.fps,
               anchor=state, geo=geo, style=style, rng=rng)
    return POSTURES[seg.kind](sc, seg)
