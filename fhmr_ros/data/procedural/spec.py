"""What a procedural sequence contains: the MotionSpec and its parts.

A MotionSpec is a nominal timeline of segments (each starts when the previous one ends),
upper-body layers placed inside single segments, and a per-sequence Style. The generator
follows the nominal timing exactly, so the spec alone tells which locomotion kind a layer
overlaps (the held-out combinations in sampling.py are defined on specs).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

GAIT_KINDS = ("walk", "jog", "run")
TURN_KIND = "turn"                       # stepping on the spot while turning
POSTURE_KINDS = ("idle", "crouch", "squat", "pickup", "kneel", "sit", "jump", "jump_forward")
SEGMENT_KINDS = GAIT_KINDS + (TURN_KIND,) + POSTURE_KINDS
DIRECTIONS = ("forward", "backward", "left", "right")   # travel relative to the facing
ARM_ACTIONS = ("wave", "point", "reach", "carry", "arms_crossed", "phone", "gesture")
LAYER_ACTIONS = ARM_ACTIONS + ("look_around",)


@dataclass
class Segment:
    """One piece of the nominal timeline."""

    kind: str                     # one of SEGMENT_KINDS
    duration: float               # s
    speed: float = 0.0            # m/s (gait kinds)
    curvature: float = 0.0        # 1/m of the path, > 0 turns left (gait kinds)
    direction: str = "forward"    # gait kinds: one of DIRECTIONS
    turn: float = 0.0             # rad, heading change of a "turn" segment (> 0 left)
    amount: float = 0.5           # intensity in [0, 1]: depth, height, distance, ...
    side: int = 0                 # 0 left / 1 right: kneeling knee, hand, leading foot

    @property
    def is_gait(self) -> bool:
        return self.kind in GAIT_KINDS or self.kind == TURN_KIND


@dataclass
class Layer:
    """An upper-body action layered over the segment it lies in."""

    action: str                   # one of LAYER_ACTIONS
    start: float                  # s on the nominal timeline
    duration: float               # s
    side: int = 1                 # arm: 0 left / 1 right
    amount: float = 0.5           # intensity in [0, 1]: how vivid a wave or a gesture is,
                                  #   how high a reach, how far one looks around


@dataclass
class Style:
    """Per-sequence traits: how this person moves. Angles in degrees, lengths in metres
    (for a body with the reference leg length; the generator scales them)."""

    cadence: float = 1.0          # x the stride frequency law
    walk_width: float = 0.14      # walking step width (ankle centres)
    run_width: float = 0.08       # running step width
    side_width: float = 0.32      # side-stepping stance width
    toe_out: float = 7.0          # foot turned outwards
    knee_out: float = 2.0         # knee hinge turned outwards
    heel_strike: float = 16.0     # walking heel-strike pitch
    toe_off: float = 28.0         # walking toe-off pitch
    bounce: float = 1.0           # x pelvis bob
    sway: float = 1.0             # x pelvis lateral sway
    arm_swing: float = 1.0        # x arm swing amplitude
    run_elbow: float = 85.0       # elbow flexion when running
    lean: float = 0.0             # extra forward trunk lean
    noise: float = 1.0            # x smooth per-joint noise
    stance_width: float = 0.20    # standing foot spacing (ankle centres)
    shoulder_abd: float = 9.0     # neutral posture (arms hanging)
    shoulder_flex: float = 2.0
    shoulder_rot: float = 8.0
    elbow: float = 14.0
    head_pitch: float = 2.0
    spine_flex: float = 1.0


@dataclass
class MotionSpec:
    """Everything that determines one procedural sequence (with the generator's rng)."""

    segments: list[Segment]
    layers: list[Layer] = field(default_factory=list)
    style: Style = field(default_factory=Style)
    start_xy: tuple[float, float] = (0.0, 0.0)
    start_heading: float = 0.0    # rad
    betas: np.ndarray | None = None   # (10,); None: drawn by the generator
    fps: float = 30.0
    name: str = "procedural"

    @property
    def duration(self) -> float:
        return float(sum(s.duration for s in self.segments))

    def segment_times(self) -> np.ndarray:
        """(S + 1,) nominal start times of the segments, then the end time."""
        return np.concatenate([[0.0], np.cumsum([s.duration for s in self.segments])])
