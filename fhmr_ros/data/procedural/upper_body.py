"""Upper-body posture: the neutral standing posture of a person, and actions layered over
any segment (waving, pointing, reaching, carrying, arms crossed, phone at the ear,
gesturing while talking, looking around).

A layer drives some channels towards its own targets with a smooth envelope w(t),
    c <- (1 - w) c + w c_layer,
and leaves the others alone (the free arm keeps swinging while walking). Targets are
drawn per layer from the ranges below (degrees), found by forward kinematics on the
stand-in body: e.g. "phone" puts the wrist below and in front of the ear, "arms crossed"
each wrist in front of the other elbow.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .curves import keyframes, window
from .joints import NUM_POSE_JOINTS, ROW, pair
from .noise import smooth_noise
from .spec import Layer, Style

ArmPose = dict[str, tuple[float, float]]   # channel name -> (low, high) degrees
CHANNEL = {"flex": 0, "abd": 1, "rot": 2}

# Arm poses: shoulder flex / abd / rot (external > 0), elbow flexion, wrist flexion.
WAVE: ArmPose = {"flex": (0, 35), "abd": (85, 125), "rot": (55, 90), "elbow": (60, 110),
                 "wrist": (-10, 10)}
POINT: ArmPose = {"elev": (65, 105), "azimuth": (-10, 70), "rot": (0, 20), "elbow": (0, 15),
                  "wrist": (-10, 5)}
REACH: ArmPose = {"flex": (40, 150), "abd": (0, 35), "rot": (-10, 20), "elbow": (0, 40),
                  "wrist": (-20, 20)}
CARRY: ArmPose = {"flex": (20, 45), "abd": (0, 15), "rot": (-30, -5), "elbow": (70, 100),
                  "wrist": (-10, 20)}
CROSSED: ArmPose = {"flex": (20, 40), "abd": (-20, -8), "rot": (-90, -60), "elbow": (60, 85),
                    "wrist": (-5, 15)}
PHONE: ArmPose = {"flex": (55, 75), "abd": (0, 12), "rot": (-50, -30), "elbow": (135, 148),
                  "wrist": (10, 30)}
GESTURE: ArmPose = {"flex": (15, 40), "abd": (8, 25), "rot": (-15, 20), "elbow": (60, 100),
                    "wrist": (-10, 20)}
LOOK_YAW, LOOK_PITCH = 75.0, (-25.0, 20.0)   # degrees, head + neck (+ a little spine)


def neutral_posture(style: Style) -> np.ndarray:
    """(21, 3) channels (rad) of a person standing relaxed, arms hanging."""
    ch = np.zeros((NUM_POSE_JOINTS, 3))
    for side in (0, 1):
        ch[pair("shoulder")[side]] = np.deg2rad([style.shoulder_flex, style.shoulder_abd,
                                                 style.shoulder_rot])
        ch[pair("elbow")[side], 0] = np.deg2rad(style.elbow)
    for name, share in (("spine1", 0.3), ("spine2", 0.3), ("spine3", 0.4)):
        ch[ROW[name], 0] = np.deg2rad(style.spine_flex) * share
    ch[ROW["neck"], 0] = 0.5 * np.deg2rad(style.head_pitch)
    ch[ROW["head"], 0] = 0.5 * np.deg2rad(style.head_pitch)
    return ch


class LayerTarget:
    """Channel targets (n, 21, 3) of one layer and which channels it drives."""

    def __init__(self, n: int) -> None:
        self.values = np.zeros((n, NUM_POSE_JOINTS, 3))
        self.mask = np.zeros((NUM_POSE_JOINTS, 3), dtype=bool)

    def set(self, row: int, channel: int, value: np.ndarray | float) -> None:
        self.values[:, row, channel] = value
        self.mask[row, channel] = True

    def arm(self, side: int, rng: np.random.Generator, pose: ArmPose) -> dict[str, float]:
        """Drive one arm towards a pose drawn from ``pose``; returns the drawn degrees."""
        drawn = {k: rng.uniform(*v) for k, v in pose.items()}
        if "elev" in drawn:         # pointing: elevation and azimuth from the front
            az = np.deg2rad(drawn["azimuth"])
            drawn["flex"], drawn["abd"] = drawn["elev"] * np.cos(az), drawn["elev"] * np.sin(az)
        shoulder = pair("shoulder")[side]
        for name, c in CHANNEL.items():
            self.set(shoulder, c, np.deg2rad(drawn[name]))
        self.set(pair("elbow")[side], 0, np.deg2rad(drawn["elbow"]))
        self.set(pair("wrist")[side], 0, np.deg2rad(drawn["wrist"]))
        return drawn


def _head(target: LayerTarget, yaw: np.ndarray | float, pitch: np.ndarray | float,
          spine_share: float = 0.0) -> None:
    """Turn the head by yaw/pitch (rad), split over neck and head (and spine3)."""
    target.set(ROW["neck"], 2, 0.5 * (1 - spine_share) * yaw)
    target.set(ROW["head"], 2, 0.5 * (1 - spine_share) * yaw)
    if spine_share:
        target.set(ROW["spine3"], 2, spine_share * yaw)
    target.set(ROW["neck"], 0, 0.4 * pitch)
    target.set(ROW["head"], 0, 0.6 * pitch)


def _wave(t, layer, rng, target):
    target.arm(layer.side, rng, WAVE)
    shoulder = pair("shoulder")[layer.side]
    freq = rng.uniform(1.3, 2.8)
    amp = np.deg2rad(12 + 16 * layer.amount)
    target.values[:, shoulder, 2] += amp * np.sin(2 * np.pi * freq * t)


def _point(t, layer, rng, target):
    drawn = target.arm(layer.side, rng, POINT)
    sign = 1.0 if layer.side == 0 else -1.0
    _head(target, sign * 0.5 * np.deg2rad(drawn["azimuth"]), np.deg2rad(rng.uniform(-10, 5)))


def _reach(t, layer, rng, target):
    low, high = REACH["flex"]
    flex = low + (high - low) * layer.amount
    target.arm(layer.side, rng, {**REACH, "flex": (flex - 10, flex + 10)})
    target.set(ROW["spine2"], 0, np.deg2rad(rng.uniform(0, 10)))
    sign = 1.0 if layer.side == 0 else -1.0
    target.set(ROW["spine3"], 2, -sign * np.deg2rad(rng.uniform(0, 12)))


def _carry(t, layer, rng, target):
    drawn = target.arm(0, rng, CARRY)
    right = {k: (v + rng.uniform(-4, 4),) * 2 for k, v in drawn.items()}
    target.arm(1, rng, right)
    target.set(ROW["spine2"], 0, -np.deg2rad(rng.uniform(0, 6)))


def _arms_crossed(t, layer, rng, target):
    drawn = target.arm(0, rng, CROSSED)
    top = layer.side                  # this forearm lies on top: a little higher
    right = {k: (v + rng.uniform(-3, 3),) * 2 for k, v in drawn.items()}
    target.arm(1, rng, right)
    target.values[:, pair("shoulder")[top], 0] += np.deg2rad(6)


def _phone(t, layer, rng, target):
    target.arm(layer.side, rng, PHONE)
    sign = 1.0 if layer.side == 0 else -1.0
    target.set(ROW["head"], 1, -sign * np.deg2rad(rng.uniform(0, 10)))   # lean into it


def _gesture(t, layer, rng, target):
    for side in (0, 1):
        target.arm(side, rng, GESTURE)
        rows = [pair(j)[side] for j in ("shoulder", "elbow", "wrist")]
        amp = np.deg2rad(np.array([[12, 8, 10], [15, 0, 0], [12, 0, 0]]) * (0.5 + layer.amount))
        target.values[:, rows] += smooth_noise(rng, t, (3, 3), amp, band=(0.4, 1.6))
        target.set(pair("elbow")[side], 2, np.deg2rad(rng.uniform(30, 80)))   # palms up-ish
    nod = smooth_noise(rng, t, (2,), np.deg2rad(np.array([6.0, 4.0])), band=(0.3, 1.2))
    _head(target, nod[:, 0], nod[:, 1])


def _look_around(t, layer, rng, target):
    """Fixations held 0.4-2 s, joined by quick min-jerk head turns."""
    times, yaw, pitch = [0.0], [0.0], [0.0]
    while times[-1] < t[-1]:
        turn = rng.uniform(0.25, 0.6)
        hold = rng.uniform(0.4, 2.0)
        times += [times[-1] + turn, times[-1] + turn + hold]
        reach = 0.4 + 0.6 * layer.amount
        y, p = rng.uniform(-LOOK_YAW, LOOK_YAW) * reach, rng.uniform(*LOOK_PITCH) * reach
        yaw += [y, y]
        pitch += [p, p]
    angles = np.deg2rad(keyframes(t, np.array(times), np.stack([yaw, pitch], -1)))
    _head(target, angles[:, 0], angles[:, 1], spine_share=0.2)


LAYERS: dict[str, Callable] = {
    "wave": _wave, "point": _point, "reach": _reach, "carry": _carry,
    "arms_crossed": _arms_crossed, "phone": _phone, "gesture": _gesture,
    "look_around": _look_around}


def apply_layers(channels: np.ndarray, t: np.ndarray, layers: list[Layer],
                 rng: np.random.Generator) -> None:
    """Blend every layer into ``channels`` (T, 21, 3) in place; t (T,) in s."""
    for layer in layers:
        inside = (t >= layer.start) & (t <= layer.start + layer.duration)
        if not inside.any():
            continue
        idx = np.flatnonzero(inside)
        local = t[idx] - layer.start
        target = LayerTarget(len(idx))
        LAYERS[layer.action](local, layer, rng, target)
        edge = min(rng.uniform(0.35, 0.7), 0.4 * layer.duration)
        w = window(local, 0.0, layer.duration, edge, edge)[:, None, None] * target.mask
        channels[idx] = (1 - w) * channels[idx] + w * target.values

