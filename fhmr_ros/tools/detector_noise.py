"""How BlazePose (the default front-end) errs on our real footage, beside what the detector
simulation (data/observations.py) draws: landmark jitter on still images and the left/right
swap rate along tracks.

    python -m fhmr_ros.tools.detector_noise [--repeats 30] [--frames 200] [--out report.md]

Jitter: each still photo is seen ``--repeats`` times as a camera sees a still scene (sensor
noise σ = 2 grey levels, a sub-pixel shift of up to ±0.5 px, JPEG quality 90), and each
landmark's position spread (standard deviation over the repeats, both axes pooled) is
divided by the person's size in pixels (the detection box's diagonal, close to the
simulation's s_t). Swaps: along the tracks of the vtest.avi crowd, a left/right pair
(both confident, at least 5 % of the size apart) whose two landmarks are each nearer to the
other's previous position than to their own, by half, has swapped; a swap burst has two such
transitions, so the burst rate is half the transition rate per pair and frame.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from tqdm import tqdm

from ..body.keypoints import keypoint_format
from ..data.footage import astronaut_bgr, read_image, vtest_frames
from ..data.observations import DetectorNoiseConfig, part_noise_scales
from ..perception.detection import make_stream_detector
from ..perception.tracked_front_end import TrackedFrontEnd
from ..perception.tracker import MultiPersonTracker
from .reports import emit_report

MIN_CONFIDENCE = 0.5
PART_GROUPS = {"face": ("nose", "eye", "ear", "mouth"), "shoulders, hips": ("shoulder", "hip"),
               "elbows, knees": ("elbow", "knee"),
               "wrists, ankles, hands, feet": ("wrist", "ankle", "pinky", "index", "thumb",
                                               "heel", "foot_index")}


@dataclass
class Jitter:
    per_keypoint: np.ndarray     # (K,) spread / size, NaN where never confident
    names: tuple[str, ...]


def still_scenes() -> dict[str, np.ndarray]:
    """Real photos of people standing still: one close, one full body, two players."""
    return {"astronaut (close, upper body)": astronaut_bgr(),
            "messi5 (full body)": read_image("messi5.jpg"),
            "basketball1": read_image("basketball1.png")}


def _as_camera_sees(rng: np.random.Generator, image: np.ndarray) -> np.ndarray:
    """Sensor noise, a sub-pixel shift and JPEG compression of a still image."""
    shift = np.float32([[1, 0, rng.uniform(-0.5, 0.5)], [0, 1, rng.uniform(-0.5, 0.5)]])
    moved = cv2.warpAffine(image, shift, image.shape[1::-1], flags=cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REFLECT)
    noisy = np.clip(moved + rng.normal(0.0, 2.0, moved.shape), 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return cv2.imdecode(jpeg, cv2.IMREAD_COLOR)


def still_jitter(detector, image: np.ndarray, repeats: int, seed: int = 0) -> Jitter:
    """Spread of every landmark of the largest person over ``repeats`` views (module doc)."""
    rng = np.random.default_rng(seed)
    runs, sizes = [], []
    for _ in range(repeats):
        people = detector.detect(_as_camera_sees(rng, image))
        if not people:
            continue
        p = max(people, key=lambda d: (d.bbox[2] - d.bbox[0]) * (d.bbox[3] - d.bbox[1]))
        runs.append(p.keypoints)
        sizes.append(float(np.hypot(p.bbox[2] - p.bbox[0], p.bbox[3] - p.bbox[1])))
    kp = np.stack(runs)                                                  # (R, K, 3)
    confident = kp[..., 2] >= MIN_CONFIDENCE
    spread = np.full(kp.shape[1], np.nan)
    for k in range(kp.shape[1]):
        uv = kp[confident[:, k], k, :2]
        if len(uv) >= max(5, repeats // 2):
            spread[k] = float(np.sqrt(uv.var(axis=0).mean())) / np.median(sizes)
    return Jitter(spread, tuple(keypoint_format(detector.keypoint_format).names))


def swap_rate(frames: list[np.ndarray], detector) -> tuple[float, int]:
    """(swap bursts per left/right pair and frame, pair-frames looked at) along the tracks
    of a video (module doc)."""
    front = TrackedFrontEnd(detector, MultiPersonTracker(), search_every=1)
    fmt = keypoint_format(detector.keypoint_format)
    pairs = [(k, fmt.names.index(n.replace("left", "right"))) for k, n in enumerate(fmt.names)
             if "left" in n and n.replace("left", "right") in fmt.names]
    K = np.array([[700.0, 0, 384.0], [0, 700.0, 288.0], [0, 0, 1]])
    previous: dict[int, np.ndarray] = {}
    transitions = looked = 0
    for i, frame in enumerate(tqdm(frames, desc="swaps", unit="frame",
                                   disable=not sys.stderr.isatty())):
        out = front.process(frame, 0.1 * (i + 1), K)
        current = {t.track_id: t.detection for t in out.tracks if t.detection is not None}
        for tid, det in current.items():
            if tid not in previous:
                continue
            a, b = previous[tid], det.keypoints
            size = float(np.hypot(*(det.bbox[2:] - det.bbox[:2])))
            for left, right in pairs:
                if min(a[left, 2], a[right, 2], b[left, 2], b[right, 2]) < MIN_CONFIDENCE:
                    continue
                if np.linalg.norm(b[left, :2] - b[right, :2]) < 0.05 * size:
                    continue
                looked += 1
                same = (np.linalg.norm(b[left, :2] - a[left, :2])
                        + np.linalg.norm(b[right, :2] - a[right, :2]))
                swapped = (np.linalg.norm(b[left, :2] - a[right, :2])
                           + np.linalg.norm(b[right, :2] - a[left, :2]))
                transitions += swapped < 0.5 * same
        previous = {tid: det.keypoints for tid, det in current.items()}
    return (transitions / 2.0 / looked if looked else float("nan")), looked


def report(repeats: int, frames: int) -> str:
    detector = make_stream_detector("movenet_blazepose", threads=0)
    sim = DetectorNoiseConfig()
    fmt = keypoint_format(detector.keypoint_format)
    scale = part_noise_scales(fmt.names, sim.part_noise_scale)
    groups = {g: np.array([any(p in n for p in parts) for n in fmt.names])
              for g, parts in PART_GROUPS.items()}
    lines = ["| still photo | " + " | ".join(groups) + " |", "|---|" + "---:|" * len(groups)]
    for name, image in tqdm(still_scenes().items(), desc="stills", unit="photo",
                            disable=not sys.stderr.isatty()):
        j = still_jitter(detector, image, repeats)
        lines.append(f"| {name} | " + " | ".join(
            f"{100 * np.nanmedian(j.per_keypoint[m]):.2f} %" if np.isfinite(
                j.per_keypoint[m]).any() else "–" for m in groups.values()) + " |")
    white = np.hypot(sim.noise_fraction, sim.drift_fraction)
    lines.append("| simulation (white + drift, per part) | " + " | ".join(
        f"{100 * white * np.median(scale[m]):.2f} %" for m in groups.values()) + " |")
    rate, looked = swap_rate(list(vtest_frames(list(range(frames))).values()), detector)
    lines += ["", f"Left/right swap bursts along the vtest.avi tracks ({frames} frames, "
              f"{looked} confident pair-frames): {rate:.4f} per pair and frame; the simulation "
              f"starts one with probability {sim.swap_prob} (mean {sim.swap_burst_frames:g} "
              "frames)."]
    return ("Landmark spread on still photos, as a fraction of the person's size (median "
            "over the group's landmarks):\n\n" + "\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fhmr_ros.tools.detector_noise",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=30, help="views of each still photo")
    ap.add_argument("--frames", type=int, default=200, help="vtest.avi frames for the swaps")
    ap.add_argument("--out", type=Path, default=None, help="also write the report here")
    args = ap.parse_args(argv)
    text = report(args.repeats, args.frames)
    return emit_report(text, args.out)


if __name__ == "__main__":
    sys.exit(main())
