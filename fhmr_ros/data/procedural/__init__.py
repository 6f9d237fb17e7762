"""Procedural SMPL-X motion: the main source of training sequences.

What it produces (z-up world, metres, ground at z = 0, MotionClip at any fps, default 30):
  * locomotion at 0.5-4 m/s: walking, jogging and running (flight phases when running),
    along straight and curved paths (the body leans into turns), with starts, stops,
    speed changes and walk-run transitions inside a bout, backward walking and
    side-stepping, and stepping on the spot while turning;
  * standing idle with weight shifts and sway, and looking around (head/neck yaw-pitch
    fixations);
  * crouching, squatting (optionally on the toes), bending to pick something up,
    kneeling on one knee, sitting down on / standing up from a virtual seat, jumping in
    place and forward;
  * upper-body actions layered over those: waving, pointing, reaching, carrying with
    both arms, arms crossed, phone at the ear, gesturing while talking;
  * per sequence: random body shape (betas), style (cadence, step width, arm swing,
    posture, ...), timings and amplitudes, and smooth low-frequency noise on every
    channel, clipped to per-joint limits.
Feet are planted by construction: every stance is a foot plant solved by analytic leg IK
(heel-to-toe roll pivots on the heel or the ball, so the contact point never moves), and
the pelvis is lowered where the legs could not reach; sequences start near the origin
facing a random direction, with continuous positions and orientations.

What it cannot produce: contact with objects or other people (the seat and carried
objects are virtual, hands touch nothing), lying down, crawling, climbing, stairs or
slopes (the ground is flat), sports-specific or dance motion, falls, turning while
running on the spot, hand articulation, facial motion, and physically simulated
dynamics (balance and momentum are approximated kinematically, so e.g. the
centre of mass is not checked over the support). Self-intersection (arms vs torso)
is not prevented. Poses are anatomically plausible by design, not learned from mocap.

API: MotionSpec (what a sequence contains), sample_motion_spec(rng, split),
generate_motion(spec, body_model, rng), procedural_clips(count, seed, split, body_model).
Held-out test set: see sampling.py (reserved seed range + reserved combinations).
"""

from .generator import generate_motion, procedural_clips
from .sampling import (HELD_OUT_GAIT_ACTIONS, HELD_OUT_SPEED_CURVATURE, TEST_SEED_BASE,
                       clip_seed, held_out_elements, sample_betas, sample_motion_spec,
                       sample_style)
from .spec import (ARM_ACTIONS, DIRECTIONS, GAIT_KINDS, LAYER_ACTIONS, POSTURE_KINDS,
                   SEGMENT_KINDS, TURN_KIND, Layer, MotionSpec, Segment, Style)

__all__ = [
    "ARM_ACTIONS", "DIRECTIONS", "GAIT_KINDS", "HELD_OUT_GAIT_ACTIONS",
    "HELD_OUT_SPEED_CURVATURE", "LAYER_ACTIONS", "POSTURE_KINDS", "SEGMENT_KINDS",
    "TEST_SEED_BASE", "TURN_KIND", "Layer", "MotionSpec", "Segment", "Style", "clip_seed",
    "generate_motion", "held_out_elements", "procedural_clips", "sample_betas",
    "sample_motion_spec", "sample_style",
]
