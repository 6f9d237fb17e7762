"""Random MotionSpecs for the train and the held-out test split, body shapes and styles.

Held-out test set. Test sequences differ from training sequences in two ways:
  1. seeds: clip i of ``procedural_clips(count, seed, split)`` uses the generator seed
     clip_seed(seed, i, split), which lies in [0, 2^31) for "train" and in
     [2^31, 2^32) for "test", so no test sequence ever reappears in training;
  2. reserved combinations, which the train sampler never produces and every test spec
     contains at least one of:
       HELD_OUT_GAIT_ACTIONS    (locomotion kind, upper-body action) pairs: the action
                                layered over a segment of that kind;
       HELD_OUT_SPEED_CURVATURE (locomotion kind, speed band, |curvature| band): fast
                                walking on tight curves.
``held_out_elements(spec)`` lists the reserved combinations a spec contains.
"""

from __future__ import annotations

import numpy as np

from .spec import GAIT_KINDS, TURN_KIND, Layer, MotionSpec, Segment, Style

TEST_SEED_BASE = 2 ** 31
HELD_OUT_GAIT_ACTIONS: frozenset[tuple[str, str]] = frozenset(
    {("walk", "phone"), ("jog", "wave"), ("run", "carry")})
HELD_OUT_SPEED_CURVATURE: tuple[tuple[str, tuple[float, float], tuple[float, float]], ...] = (
    ("walk", (1.6, 2.0), (0.35, 0.6)),)

SPEEDS = {"walk": (0.5, 2.0), "jog": (1.8, 3.0), "run": (2.8, 4.0),
          "backward": (0.5, 1.2), "side": (0.5, 0.7)}
MAX_LATERAL_ACCELERATION = 2.5     # m/s², bounds the path curvature: |κ| v² <= this
MAX_CURVATURE = 0.6                # 1/m
TURN_RATE = (45.0, 75.0)           # deg/s, mean heading rate of a turn on the spot
DURATIONS = {  # kind: (min, max) seconds
    "walk": (2.0, 5.0), "jog": (2.5, 4.5), "run": (3.0, 5.0), TURN_KIND: (1.5, 3.5),
    "idle": (0.8, 4.0), "crouch": (2.5, 5.0), "squat": (3.0, 5.0), "pickup": (2.4, 4.0),
    "kneel": (4.5, 7.0), "sit": (4.5, 8.0), "jump": (1.8, 2.8), "jump_forward": (2.0, 3.0)}
KIND_WEIGHTS = {
    "walk": 0.30, "jog": 0.08, "run": 0.07, TURN_KIND: 0.06, "idle": 0.12, "crouch": 0.05,
    "squat": 0.05, "pickup": 0.06, "kneel": 0.05, "sit": 0.07, "jump": 0.05,
    "jump_forward": 0.04}
CONTINUE_BOUT = 0.4                # chance that a locomotion segment flows into another
LAYER_CHANCE, LOOK_CHANCE = 0.45, 0.25
LAYER_SEGMENTS: dict[str, tuple[str, ...]] = {   # action: segment kinds it may overlay
    "wave": ("walk", "jog", "idle", TURN_KIND, "sit", "kneel", "crouch"),
    "point": ("walk", "jog", "idle", TURN_KIND, "sit", "kneel"),
    "reach": ("walk", "idle", "crouch", "sit", "kneel"),
    "carry": ("walk", "jog", "run", "idle", TURN_KIND, "crouch"),
    "arms_crossed": ("walk", "idle", TURN_KIND, "sit"),
    "phone": ("walk", "jog", "idle", TURN_KIND, "sit"),
    "gesture": ("walk", "idle", TURN_KIND, "sit", "kneel"),
}
LOOK_SEGMENTS = ("walk", "jog", "run", TURN_KIND, "idle", "crouch", "squat", "kneel", "sit")


def clip_seed(seed: int, index: int, split: str) -> int:
    """Generator seed of clip ``index``: [0, 2^31) for train, [2^31, 2^32) for test."""
    offset = (int(seed) * 1_000_003 + int(index)) % TEST_SEED_BASE
    return offset + (TEST_SEED_BASE if split == "test" else 0)


def sample_betas(rng: np.random.Generator) -> np.ndarray:
    """(10,) body shape: N(0, 1) clipped to ±2.5 on the first 3, N(0, 0.5) clipped to
    ±1.5 on the rest."""
    return np.concatenate([np.clip(rng.normal(0, 1.0, 3), -2.5, 2.5),
                           np.clip(rng.normal(0, 0.5, 7), -1.5, 1.5)])


def sample_style(rng: np.random.Generator) -> Style:
    u = rng.uniform
    return Style(cadence=u(0.92, 1.08), walk_width=u(0.10, 0.20), run_width=u(0.05, 0.12),
                 side_width=u(0.28, 0.38), toe_out=u(2, 12), knee_out=u(-3, 8),
                 heel_strike=u(10, 22), toe_off=u(20, 35), bounce=u(0.7, 1.3),
                 sway=u(0.6, 1.4), arm_swing=u(0.6, 1.4), run_elbow=u(70, 100),
                 lean=u(-2, 4), noise=u(0.5, 1.5), stance_width=u(0.15, 0.30),
                 shoulder_abd=u(5, 14), shoulder_flex=u(-5, 8), shoulder_rot=u(-10, 25),
                 elbow=u(5, 25), head_pitch=u(-6, 8), spine_flex=u(-4, 6))


def _in_band(x: float, band: tuple[float, float]) -> bool:
    return band[0] <= x <= band[1]


def _curvature(rng: np.random.Generator, kind: str, speed: float, direction: str,
               split: str) -> float:
    if rng.random() < 0.5:
        return float(rng.normal(0, 0.03))
    high = min(MAX_CURVATURE, MAX_LATERAL_ACCELERATION / speed ** 2)
    if direction != "forward":
        high = min(high, 0.15)
    k = rng.uniform(0.05, max(high, 0.05))
    if split == "train":
        for gait, speeds, curvatures in HELD_OUT_SPEED_CURVATURE:
            if kind == gait and _in_band(speed, speeds) and _in_band(k, curvatures):
                k = rng.uniform(0.05, curvatures[0])
    return float(k * rng.choice([-1.0, 1.0]))


def _gait_segment(rng: np.random.Generator, kind: str, duration: float, direction: str,
                  split: str) -> Segment:
    band = SPEEDS[kind] if direction == "forward" else SPEEDS[
        "backward" if direction == "backward" else "side"]
    speed = float(rng.uniform(*band))
    return Segment(kind, duration, speed=speed, direction=direction,
                   curvature=_curvature(rng, kind, speed, direction, split),
                   side=int(rng.integers(2)))


def _sample_segment(rng: np.random.Generator, kind: str, duration: float,
                    previous: Segment | None, split: str) -> Segment:
    if kind in GAIT_KINDS:
        continuing = previous is not None and previous.kind in GAIT_KINDS
        if continuing:
            direction = previous.direction
            if direction != "forward":
                kind = "walk"
        elif kind == "walk":
            direction = rng.choice(["forward", "backward", "left", "right"],
                                   p=[0.8, 0.1, 0.05, 0.05])
        else:
            direction = "forward"
        return _gait_segment(rng, kind, duration, str(direction), split)
    if kind == TURN_KIND:
        rate = np.deg2rad(rng.uniform(*TURN_RATE))
        turn = min(rng.uniform(np.pi / 4, np.pi), rate * duration) * rng.choice([-1.0, 1.0])
        return Segment(kind, duration, turn=float(turn), side=int(turn < 0))
    return Segment(kind, duration, amount=float(rng.uniform()), side=int(rng.integers(2)))


def _sample_segments(rng: np.random.Generator, total: float, split: str) -> list[Segment]:
    segments: list[Segment] = []
    t = 0.0
    while total - t >= DURATIONS["idle"][0]:
        remaining = total - t
        previous = segments[-1] if segments else None
        if previous is not None and previous.kind in GAIT_KINDS and rng.random() < CONTINUE_BOUT:
            kind = str(rng.choice(GAIT_KINDS))
            low, high = 1.5, DURATIONS[kind][1]
        else:
            kinds = [k for k in KIND_WEIGHTS if DURATIONS[k][0] <= remaining]
            p = np.array([KIND_WEIGHTS[k] for k in kinds])
            kind = str(rng.choice(kinds, p=p / p.sum()))
            low, high = DURATIONS[kind]
        duration = rng.uniform(low, min(high, remaining)) if remaining > low else remaining
        if remaining - duration < DURATIONS["idle"][0]:
            duration = remaining
        segments.append(_sample_segment(rng, kind, float(duration), previous, split))
        t += duration
    if t < total:
        segments[-1].duration += total - t
    return segments


def _layer_for(rng: np.random.Generator, action: str, start: float, segment: Segment) -> Layer:
    duration = rng.uniform(min(1.0, segment.duration), min(segment.duration, 5.0))
    offset = rng.uniform(0.0, segment.duration - duration)
    return Layer(action, float(start + offset), float(duration), side=int(rng.integers(2)),
                 amount=float(rng.uniform()))


def _sample_layers(rng: np.random.Generator, segments: list[Segment], split: str
                   ) -> list[Layer]:
    layers = []
    starts = np.concatenate([[0.0], np.cumsum([s.duration for s in segments])])
    for seg, start in zip(segments, starts):
        actions = [a for a, kinds in LAYER_SEGMENTS.items() if seg.kind in kinds
                   and (split == "test" or (seg.kind, a) not in HELD_OUT_GAIT_ACTIONS)]
        if actions and rng.random() < LAYER_CHANCE:
            layers.append(_layer_for(rng, str(rng.choice(actions)), start, seg))
        if seg.kind in LOOK_SEGMENTS and rng.random() < LOOK_CHANCE:
            layers.append(_layer_for(rng, "look_around", start, seg))
    return layers


def held_out_elements(spec: MotionSpec) -> list[str]:
    """The reserved (test-only) combinations that ``spec`` contains, e.g. "walk+phone"."""
    found = []
    starts = spec.segment_times()
    for seg in spec.segments:
        for gait, speeds, curvatures in HELD_OUT_SPEED_CURVATURE:
            if (seg.kind == gait and _in_band(seg.speed, speeds)
                    and _in_band(abs(seg.curvature), curvatures)):
                found.append(f"{gait}@{seg.speed:.2f}m/s,k={seg.curvature:+.2f}")
    for layer in spec.layers:
        mid = layer.start + 0.5 * layer.duration
        k = int(np.clip(np.searchsorted(starts, mid, side="right") - 1, 0,
                        len(spec.segments) - 1))
        pair = (spec.segments[k].kind, layer.action)
        if pair in HELD_OUT_GAIT_ACTIONS:
            found.append("+".join(pair))
    return found


def _force_held_out(rng: np.random.Generator, total: float) -> tuple[Segment, Layer | None]:
    """A segment (and layer) carrying one reserved combination, drawn at random."""
    pairs = sorted(HELD_OUT_GAIT_ACTIONS)
    choice = int(rng.integers(len(pairs) + len(HELD_OUT_SPEED_CURVATURE)))
    duration = float(min(rng.uniform(3.0, 5.0), total))
    if choice < len(pairs):
        kind, action = pairs[choice]
        seg = _gait_segment(rng, kind, duration, "forward", "test")
        layer = Layer(action, 0.0, float(rng.uniform(0.6, 0.9) * duration),
                      side=int(rng.integers(2)), amount=float(rng.uniform()))
        layer.start = float(rng.uniform(0.0, duration - layer.duration))
        return seg, layer
    kind, speeds, curvatures = HELD_OUT_SPEED_CURVATURE[choice - len(pairs)]
    speed = float(rng.uniform(*speeds))
    curvature = float(rng.uniform(*curvatures) * rng.choice([-1.0, 1.0]))
    return Segment(kind, duration, speed=speed, curvature=curvature), None


def sample_motion_spec(rng: np.random.Generator, split: str = "train",
                       duration_s: tuple[float, float] = (6.0, 12.0),
                       fps: float = 30.0) -> MotionSpec:
    """A random sequence description. "train" never contains a reserved combination;
    "test" always contains at least one (see the module docstring)."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    total = float(rng.uniform(*duration_s))
    if split == "test":
        forced, layer = _force_held_out(rng, total)
        before = float(rng.uniform(0.0, total - forced.duration))
        after = total - forced.duration - before
        head = _sample_segments(rng, before, split) if before >= 0.8 else []
        tail = _sample_segments(rng, after, split) if after >= 0.8 else []
        forced.duration += (before if not head else 0.0) + (after if not tail else 0.0)
        segments = head + [forced] + tail
        layers = _sample_layers(rng, segments, split)
        if layer is not None:
            layer.start += float(sum(s.duration for s in head))
            layers = [a for a in layers if not _overlaps(a, layer)] + [layer]
    else:
        segments = _sample_segments(rng, total, split)
        layers = _sample_layers(rng, segments, split)
    xy = np.clip(rng.normal(0.0, 0.5, 2), -1.0, 1.0)
    return MotionSpec(segments=segments, layers=layers, style=sample_style(rng),
                      start_xy=(float(xy[0]), float(xy[1])),
                      start_heading=float(rng.uniform(-np.pi, np.pi)), fps=fps)


def _overlaps(a: Layer, b: Layer) -> bool:
    return a.start < b.start + b.duration and b.start < a.start + a.duration
