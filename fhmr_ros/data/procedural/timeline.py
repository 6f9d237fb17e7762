"""The per-frame curves that the segments of a sequence write, before the legs are solved.

Segments (locomotion bouts, postures) fill consecutive frame ranges of one Timeline; the
generator then adds noise and upper-body layers, solves the legs for the foot plants and
converts everything to SMPL-X parameters. World frame: z up, metres, radians.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .joints import NUM_POSE_JOINTS
from .plants import FootTrack


@dataclass
class State:
    """Where a segment hands over to the next: the pelvis ground point and heading."""

    xy: np.ndarray          # (2,) world
    heading: float          # rad, yaw of the body's forward axis


@dataclass
class Timeline:
    """Curves of a whole sequence, T frames at ``fps``."""

    fps: float
    t: np.ndarray                       # (T,) s
    ground: np.ndarray                  # (T, 2) pelvis ground point (the path)
    heading: np.ndarray                 # (T,) body heading, rad (continuous, not wrapped)
    sway: np.ndarray                    # (T, 2) pelvis offset from the path, heading frame
    pelvis_z: np.ndarray                # (T,) requested pelvis height (lowered later if the
                                        #   legs cannot reach the planted feet)
    pelvis: np.ndarray                  # (T, 3) pelvis channels: tilt, obliquity, twist
    roll: np.ndarray                    # (T,) whole-body lean (+ = to the right), rad
    upper: np.ndarray                   # (T, 21, 3) channel offsets from the neutral posture
    heel_raise: np.ndarray              # (2, T) extra heel lift of planted feet, rad
    knee_out: np.ndarray                # (2, T) knee hinge turned outwards, rad
    feet: list[FootTrack] = field(default_factory=lambda: [FootTrack(), FootTrack()])

    @classmethod
    def empty(cls, frames: int, fps: float) -> "Timeline":
        return cls(fps=fps, t=np.arange(frames) / fps, ground=np.zeros((frames, 2)),
                   heading=np.zeros(frames), sway=np.zeros((frames, 2)),
                   pelvis_z=np.zeros(frames), pelvis=np.zeros((frames, 3)),
                   roll=np.zeros(frames), upper=np.zeros((frames, NUM_POSE_JOINTS, 3)),
                   heel_raise=np.zeros((2, frames)), knee_out=np.zeros((2, frames)))

    @property
    def frames(self) -> int:
        return len(self.t)


def heading_frame(heading: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """World forward and left unit vectors (..., 2) of a heading."""
    c, s = np.cos(heading), np.sin(heading)
    return np.stack([c, s], -1), np.stack([-s, c], -1)


def to_world(heading: np.ndarray | float, local: np.ndarray) -> np.ndarray:
    """Heading-frame offsets (..., 2) = (forward, left) to world offsets (..., 2)."""
    fwd, left = heading_frame(heading)
    return local[..., :1] * fwd + local[..., 1:2] * left
