"""MotionSpec -> MotionClip, and batches of random clips.

Per sequence: measure the body (betas), stand at the start with the feet planted, lay the
segments out on the nominal timeline (consecutive locomotion segments with one direction
form one bout, from standing to standing), blend in the upper-body layers, add smooth
noise to the root and to every upper-body channel, solve the legs for the foot plants and
convert to SMPL-X parameters.
"""

from __future__ import annotations

import numpy as np

from ...body.body_model import BodyModel
from ..motion import MotionClip
from .body_geometry import ANKLE, body_geometry
from .gait import locomotion_bout
from .joints import ROW
from .noise import smooth_noise
from .plants import Plant
from .posing import pose_sequence
from .postures import posture_segment
from .sampling import clip_seed, sample_betas, sample_motion_spec
from .spec import GAIT_KINDS, TURN_KIND, MotionSpec, Segment, Style
from .timeline import State, Timeline, to_world
from .upper_body import apply_layers, neutral_posture

# RMS of the smooth per-channel noise, degrees (x Style.noise)
CHANNEL_NOISE = {"spine1": 1.0, "spine2": 1.0, "spine3": 1.2, "neck": 2.5, "head": 2.5,
                 "left_collar": 1.5, "right_collar": 1.5, "left_shoulder": 3.5,
                 "right_shoulder": 3.5, "left_elbow": 4.0, "right_elbow": 4.0,
                 "left_wrist": 5.0, "right_wrist": 5.0}
PELVIS_NOISE = 1.2       # degrees, tilt / obliquity / twist
HEADING_NOISE = 2.0      # degrees, body yaw about the path
SWAY_NOISE = 0.008       # m, horizontal pelvis wander
HEIGHT_NOISE = 0.004     # m


def _same_bout(a: Segment, b: Segment) -> bool:
    return a.kind in GAIT_KINDS and b.kind in GAIT_KINDS and a.direction == b.direction


def _plant_start(tl: Timeline, state: State, style: Style, scale: float,
                 ankle_forward: float) -> None:
    """Both feet flat beside each other under the start pose."""
    for side, sign in ((0, 1.0), (1, -1.0)):
        local = np.array([ankle_forward, sign * style.stance_width * scale / 2])
        tl.feet[side].place(Plant(xy=state.xy + to_world(state.heading, local),
                                  yaw=state.heading + sign * np.deg2rad(style.toe_out),
                                  t_on=0.0))


def _add_noise(tl: Timeline, channels: np.ndarray, style: Style,
               rng: np.random.Generator) -> None:
    """Smooth low-frequency noise on the root and the upper-body channels, in place."""
    amp = np.zeros(channels.shape[1:])
    for name, deg in CHANNEL_NOISE.items():
        amp[ROW[name]] = np.deg2rad(deg)
    amp[:, 1:] *= 0.6                              # less on the secondary channels
    channels += smooth_noise(rng, tl.t, amp.shape, amp * style.noise, band=(0.1, 1.0))
    k = style.noise
    tl.pelvis += smooth_noise(rng, tl.t, (3,), np.deg2rad(PELVIS_NOISE) * k, band=(0.1, 0.8))
    tl.heading += smooth_noise(rng, tl.t, (), np.deg2rad(HEADING_NOISE) * k, band=(0.05, 0.5))
    tl.sway += smooth_noise(rng, tl.t, (2,), SWAY_NOISE * k, band=(0.05, 0.5))
    tl.pelvis_z += smooth_noise(rng, tl.t, (), HEIGHT_NOISE * k, band=(0.1, 0.8))


def generate_motion(spec: MotionSpec, body_model: BodyModel,
                    rng: np.random.Generator) -> MotionClip:
    """The clip a spec describes; ``rng`` draws what the spec leaves open (betas when not
    given, timings and amplitudes inside segments, noise)."""
    betas = np.asarray(spec.betas if spec.betas is not None else sample_betas(rng), float)
    geo = body_geometry(body_model, betas)
    bounds = np.round(spec.segment_times() * spec.fps).astype(int)
    tl = Timeline.empty(int(bounds[-1]), spec.fps)
    state = State(xy=np.asarray(spec.start_xy, dtype=float), heading=spec.start_heading)
    _plant_start(tl, state, spec.style, geo.scale, geo.rest[ANKLE[0], 2] - geo.rest[0, 2])
    segments = spec.segments
    k = 0
    while k < len(segments):
        seg = segments[k]
        if seg.is_gait:
            j = k + 1
            while j < len(segments) and _same_bout(seg, segments[j]):
                j += 1
            lead = seg.side if seg.kind != TURN_KIND else int(seg.turn < 0)
            if bounds[j] > bounds[k]:
                state = locomotion_bout(tl, bounds[k], bounds[j], segments[k:j], state,
                                        spec.style, geo, rng, lead)
            k = j
        else:
            if bounds[k + 1] > bounds[k]:
                state = posture_segment(tl, bounds[k], bounds[k + 1], seg, state,
                                        spec.style, geo, rng)
            k += 1
    tl.knee_out += np.deg2rad(spec.style.knee_out)
    channels = neutral_posture(spec.style) + tl.upper                  # (T, 21, 3)
    apply_layers(channels, tl.t, spec.layers, rng)
    _add_noise(tl, channels, spec.style, rng)
    posed = pose_sequence(tl, channels, geo)
    return MotionClip(name=spec.name, fps=spec.fps, global_orient=posed.global_orient,
                      body_pose=posed.body_pose, transl=posed.transl, betas=betas,
                      source="procedural")


def procedural_clips(count: int, seed: int, split: str, body_model: BodyModel,
                     fps: float = 30.0, duration_s: tuple[float, float] = (6.0, 12.0)
                     ) -> list[MotionClip]:
    """``count`` random clips of the split; clip i is generated from seed
    clip_seed(seed, i, split), so it does not depend on ``count``."""
    clips = []
    for i in range(count):
        s = clip_seed(seed, i, split)
        rng = np.random.default_rng(s)
        spec = sample_motion_spec(rng, split, duration_s=duration_s, fps=fps)
        spec.name = f"procedural_{split}_{s}"
        clips.append(generate_motion(spec, body_model, rng))
    return clips
