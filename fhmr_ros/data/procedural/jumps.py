"""Countermovement jumps, in place and forward.

The pelvis is ballistic in flight, z = z_to + v0 τ - g τ²/2 with v0 = sqrt(2 g h) for an
apex h, and joined to the crouch before and the landing after by cubic Hermite pieces
that match the take-off and landing velocities. The feet push off rolling onto the balls
(heels rising), fly (their swing follows the pelvis' rise) and land on the toes.
"""

from __future__ import annotations

import numpy as np

from .curves import hermite, keyframes, min_jerk, window
from .gait import GRAVITY
from .plants import Plant
from .scene import (Scene, bend_trunk, fit_durations, heel_raise_offset, move_arms,
                    pelvis_for_legs, standing_pelvis, write_root)
from .spec import Segment
from .timeline import State


def jump(sc: Scene, seg: Segment) -> State:
    """Countermovement jump, in place or forward: crouch, push off (heels rising), fly,
    land on the toes, absorb, stand up."""
    t, D, rng, geo = sc.t, sc.duration, sc.rng, sc.geo
    a = seg.amount
    forward = seg.kind == "jump_forward"
    height = ((0.06 + 0.14 * a) if forward else (0.08 + 0.22 * a)) * geo.scale
    distance = (0.3 + 0.7 * a) * geo.scale if forward else 0.0
    flight = 2 * np.sqrt(2 * height / GRAVITY)
    v0 = np.sqrt(2 * GRAVITY * height)
    prep, crouch, push, absorb, recover = fit_durations(
        D - flight - 0.1, rng.uniform(0.1, 0.4), rng.uniform(0.35, 0.6),
        rng.uniform(0.2, 0.28), rng.uniform(0.2, 0.35), rng.uniform(0.4, 0.8))
    t1 = prep
    t2 = t1 + crouch
    t3 = t2 + push
    t4 = t3 + flight
    t5 = t4 + absorb
    t6 = t5 + recover
    feet = sc.feet_local()
    stand = standing_pelvis(geo)
    deep = pelvis_for_legs(geo, np.deg2rad(20 + 8 * a), np.deg2rad(35 + 20 * a),
                           np.deg2rad(20 + 15 * a))
    land = pelvis_for_legs(geo, np.deg2rad(15 + 8 * a), np.deg2rad(25 + 20 * a),
                           np.deg2rad(15 + 12 * a))
    toe_off = np.deg2rad(rng.uniform(25, 40))
    z_to = stand[1] + 0.9 * heel_raise_offset(geo, toe_off)[1]
    z = np.select(
        [t < t1, t < t2, t < t3, t < t4, t < t5],
        [np.full_like(t, stand[1]), stand[1] + (deep[1] - stand[1]) * min_jerk((t - t1) / crouch),
         hermite(t, t2, t3, deep[1], z_to, 0.0, v0),
         z_to + v0 * (t - t3) - 0.5 * GRAVITY * (t - t3) ** 2,
         hermite(t, t4, t5, z_to, land[1], -v0, 0.0)],
        land[1] + (stand[1] - land[1]) * min_jerk((t - t5) / recover))
    x0 = feet[:, 0].mean() + stand[0]
    x_to, x_ld = x0 + 0.12 * distance, x0 + 0.9 * distance
    vx = (x_ld - x_to) / flight
    x = np.select(
        [t < t2, t < t3, t < t4, t < t5],
        [x0 + (deep[0] - stand[0]) * min_jerk((t - t1) / crouch),
         hermite(t, t2, t3, x0 + deep[0] - stand[0], x_to, 0.0, vx),
         x_to + vx * (t - t3), hermite(t, t4, t5, x_ld, x0 + distance + land[0] - stand[0],
                                       vx, 0.0)],
        x0 + distance + (land[0] - stand[0]) * (1 - min_jerk((t - t5) / recover)))
    depth = np.select([t < t2, t < t3, t < t4, t < t5],
                      [min_jerk((t - t1) / crouch), 1 - min_jerk((t - t2) / push), 0 * t,
                       min_jerk((t - t4) / absorb)], 1 - min_jerk((t - t5) / recover))
    tilt_max = np.deg2rad(20 + 15 * a)
    offset = np.stack([x, np.full_like(t, feet[:, 1].mean())], -1)
    write_root(sc, offset, z, np.stack([tilt_max * depth, 0 * t, 0 * t], -1))
    for side in (0, 1):
        track = sc.tl.feet[side]
        track.close(sc.t0 + t3, -toe_off, 0.9 * push)
        prev = track.last
        landing = sc.world(feet[side] + np.array([distance, 0.0]))
        track.place(Plant(xy=landing, yaw=prev.yaw, t_on=sc.t0 + t4,
                          strike_pitch=-np.deg2rad(rng.uniform(10, 25)), roll_in=0.12,
                          lift=rng.uniform(0.03, 0.12) * geo.scale, airborne=True))
    n = len(sc.upper())
    up = sc.upper()
    bend_trunk(up, np.deg2rad(10 + 10 * a) * depth[:n], gaze=0.7)
    back = max(t2 - 0.15, 0.5 * (t1 + t2))          # arms back at the bottom, forward-up
    swing = keyframes(t, np.array([t1, back, t3 + 0.5 * flight, t4, t5, t6]),   # by mid-flight
                      np.deg2rad([0, -rng.uniform(30, 55), rng.uniform(90, 150),
                                  rng.uniform(60, 120), rng.uniform(20, 50), 0]))
    bent = np.deg2rad(rng.uniform(10, 35)) * window(t, t1, t6, crouch, recover)
    move_arms(up, (1.0, 1.0), swing[:n], bent[:n])
    return State(xy=sc.world(offset[-1]), heading=sc.anchor.heading)
