"""fhmr-bench: latency benchmarks.

    fhmr-bench model [--presets lite,full] [--device cpu] [--repeats 5] [--threads N]
    fhmr-bench detector [--frames 20] [--stride 10] [--threads N] [--no-sweep]
    fhmr-bench node [--preset lite] [--device cpu] [--rate 15] [--seconds 20]
                    [--stride 8] [--lag 8]

`model`: Stage 1 and Stage 2 latency per window on random inputs, sweeping one setting at
a time around each preset's default (window length, ODE steps, classifier-free guidance
on/off, people batched), with p50/p95 per window, per frame offline (window / W) and per
new frame when streaming (window / stride, stride = W/2), and peak memory. Weights are
random: latency does not depend on their values.

`detector`: the MediaPipe keypoint detector (fhmr_ros.perception.mediapipe_detector) on
real footage. First its latency on vtest.avi frames (p50/p95 of each stage, people found).
Then how small a person may be: the standing man of basketball2.png and the pedestrians of
vtest.avi frame 50 are rescaled to a range of person heights and pasted on a grey 768 x 576
canvas; for each height it prints the fraction of them found by the full-frame pass alone,
by the default detector (full frame + HOG proposal crops) and when the true boxes are given
as ``regions`` (what a tracker provides). The reference people are those the default
detector finds in the original images (only those fully on the canvas count); a person
counts as found when a detection's keypoints lie within a median 0.1 x the person height of
the rescaled reference keypoints. Height is the stature, estimated as the reference's
eye-to-heel keypoint extent / 0.93.

`node`: fhmr_node end to end in this process (fhmr_ros/ros/node_bench.py): latency from an
image's stamp to its HumanStateArray and the sustained output rate, for 1 and 4 people,
with the detector and with its answers cached (detector excluded).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, replace

import cv2
import numpy as np
import torch

from ..body.body_model import BodyModel
from ..body.standin_model import ensure_standin_model
from ..model.config import preset
from ..model.inputs import FrameInputs
from ..model.losses import BodyGeometry
from ..model.pipeline import FactorizedHMR


@dataclass(frozen=True)
class Setting:
    window: int
    steps: int
    guidance: float
    people: int


def random_inputs(B: int, T: int, K: int = 33, device: torch.device | str = "cpu",
                  generator: torch.Generator | None = None) -> FrameInputs:
    """Plausibly scaled random model inputs (B, T) for K keypoints."""
    g = generator
    return FrameInputs(rays=torch.randn(B, T, K, 2, generator=g) * 0.2,
                       confidence=torch.rand(B, T, K, generator=g),
                       bbox=torch.randn(B, T, 3, generator=g) * 0.1,
                       bbox_valid=torch.ones(B, T, dtype=torch.bool),
                       camera_motion=torch.randn(B, T, 12, generator=g) * 0.01).to(device)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def time_ms(fn, repeats: int, device: torch.device) -> list[float]:
    fn()                                                   # warm-up
    out = []
    for _ in range(repeats):
        _sync(device)
        tic = time.perf_counter()
        fn()
        _sync(device)
        out.append((time.perf_counter() - tic) * 1e3)
    return out


def peak_memory_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    with open("/proc/self/status") as f:                   # process high-water mark
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def sweep(default: Setting) -> list[Setting]:
    out = [default]
    for w in (32, 64, 120):
        out.append(replace(default, window=w))
    for s in (1, 4, 8, 20):
        out.append(replace(default, steps=s))
    out.append(replace(default, guidance=1.0))
    for p in (2, 4, 8):
        out.append(replace(default, people=p))
    seen, uniq = set(), []
    for s in out:
        if s not in seen:
            seen.add(s)
            uniq.append(s)
    return uniq


def bench_model(name: str, device: torch.device, repeats: int) -> None:
    """Print the sweep table of one preset (markdown)."""
    cfg = preset(name)
    body = BodyModel(ensure_standin_model())
    model = FactorizedHMR(cfg, BodyGeometry(body.J_template, body.J_shapedirs),
                          with_baseline=False).to(device).eval()
    K = 33
    default = Setting(cfg.window, cfg.flow.sample_steps, cfg.flow.guidance, 1)
    count = lambda net: sum(p.numel() for p in net.parameters()) / 1e6  # noqa: E731
    header = [f"\n## preset {name}: stage1 {count(model.stage1):.2f} M "
             f"params, stage2 {count(model.stage2):.2f} M; "
             f"solver {cfg.flow.solver}",
             "| window | steps | CFG w | people | stage1 p50/p95 ms | stage2 p50/p95 ms | "
             "per frame offline ms | per new frame streaming ms |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    print("\n".join(header), flush=True)
    for s in sweep(default):
        inputs = random_inputs(s.people, s.window, K, device)
        opts = model.default_sampling(steps=s.steps, guidance=s.guidance, seed=0)
        with torch.no_grad():
            anchor = model.anchor(inputs)
            t1 = time_ms(lambda: model.anchor(inputs), repeats, device)
            t2 = time_ms(lambda: model.complete(inputs, anchor, opts), repeats, device)
        p50 = statistics.median(t1) + statistics.median(t2)
        print(
            f"| {s.window} | {s.steps} | {'off' if s.guidance == 1.0 else s.guidance} | "
            f"{s.people} | {np.percentile(t1, 50):.1f} / {np.percentile(t1, 95):.1f} | "
            f"{np.percentile(t2, 50):.1f} / {np.percentile(t2, 95):.1f} | "
            f"{p50 / s.window:.2f} | {p50 / max(s.window // 2, 1):.2f} |", flush=True)
    kind = "CUDA allocated" if device.type == "cuda" else "process RSS high-water mark"
    print(f"peak memory after preset {name}: {peak_memory_mb(device):.0f} MB ({kind})")


SWEEP_HEIGHTS = (400, 300, 200, 150, 120, 100, 80, 64, 48, 40, 32, 24)
SWEEP_CANVAS = (576, 768)                                  # (H, W)


def vtest_frames(indices: list[int]) -> list[np.ndarray]:
    """(576, 768, 3) uint8 BGR frames of vtest.avi."""
    from ..data.footage import footage_path

    cap = cv2.VideoCapture(str(footage_path("vtest.avi")))
    frames = []
    for i in indices:
        cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, frame = cap.read()
        if not ok:
            raise ValueError(f"vtest.avi has no frame {i}")
        frames.append(frame)
    cap.release()
    return frames


def stature(person) -> float:
    """A person's height in pixels: eye-to-heel extent of the confident keypoints / 0.93."""
    v = person.keypoints[person.keypoints[:, 2] >= 0.5, 1]
    return float(v.max() - v.min()) / 0.93


def paste_scaled(image: np.ndarray, points: np.ndarray, scale: float,
                 fill: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """The image resized by ``scale`` and centred on a grey SWEEP_CANVAS canvas (cut where it
    is larger), and (..., 2) pixel points moved with it."""
    small = cv2.resize(image, None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    canvas = np.full(SWEEP_CANVAS + (3,), fill, np.uint8)
    H, W = SWEEP_CANVAS
    h, w = small.shape[:2]
    dy, dx = (H - h) // 2, (W - w) // 2                    # image origin on the canvas
    sy, sx = max(-dy, 0), max(-dx, 0)
    ty, tx = max(dy, 0), max(dx, 0)
    ch, cw = min(h - sy, H - ty), min(w - sx, W - tx)
    canvas[ty:ty + ch, tx:tx + cw] = small[sy:sy + ch, sx:sx + cw]
    return canvas, (points + 0.5) * scale - 0.5 + [dx, dy]


def found(people, truth: np.ndarray, height: float) -> int:
    """How many of the true people (N, K, 3) some detection matches: median distance over
    the true confident keypoints <= 0.1 x the person height."""
    if not people or len(truth) == 0:
        return 0
    n = 0
    for kp in truth:
        seen = kp[:, 2] >= 0.5
        err = [np.median(np.linalg.norm(p.keypoints[seen, :2] - kp[seen, :2], axis=1))
               for p in people]
        n += min(err) <= 0.1 * height
    return n


def size_sweep(detector, full_only, sources) -> None:
    """Print, per person height, how many of each source's people are found: by the full
    frame pass only / by the default detector / with the true boxes given as regions."""
    print("\n## smallest person found, per person height: found by full frame only / "
          "full frame + HOG proposal crops / true boxes given as regions")
    print("| height px | " + " | ".join(name for name, *_ in sources) + " |")
    print("|---:|" + "---:|" * len(sources))
    for height in SWEEP_HEIGHTS:
        cells = []
        for _, image, truth, ref_height in sources:
            scale = height / ref_height
            canvas, uv = paste_scaled(image, truth[..., :2], scale)
            kp = np.concatenate([uv, truth[..., 2:]], axis=-1)          # (N, K, 3)
            seen = truth[..., 2:] >= 0.5                                # (N, K, 1)
            lo = np.where(seen, uv, np.inf).min(axis=1)                 # (N, 2)
            hi = np.where(seen, uv, -np.inf).max(axis=1)
            inside = (lo >= 0).all(1) & (hi <= [SWEEP_CANVAS[1] - 1, SWEEP_CANVAS[0] - 1]).all(1)
            if not inside.any():
                cells.append("–")
                continue
            kp = kp[inside]
            pad = 0.08 * height
            regions = np.concatenate([lo[inside] - pad, hi[inside] + pad], axis=1)
            n = [found(full_only.detect(canvas), kp, height),
                 found(detector.detect(canvas), kp, height),
                 found(full_only.detect(canvas, regions=regions), kp, height)]
            cells.append(" / ".join(f"{k}/{len(kp)}" for k in n))
        print(f"| {height} | " + " | ".join(cells) + " |", flush=True)


def bench_detector(args) -> int:
    """Latency on vtest.avi, then the person-size sweep (markdown)."""
    from ..data.footage import read_image
    from ..perception.mediapipe_detector import MediaPipePoseDetector

    if args.threads:
        cv2.setNumThreads(args.threads)
    detector = MediaPipePoseDetector()
    frames = vtest_frames(list(range(0, args.frames * args.stride, args.stride)))
    detector.detect(frames[0])                                         # warm-up
    stages = ("total", "full_frame", "proposals", "crops")
    times = {k: [] for k in stages}
    per_crop, counts = [], []
    for frame in frames:
        counts.append(len(detector.detect(frame)))
        for k in stages:
            times[k].append(detector.last_timings[k])
        if detector.last_timings["n_crops"]:
            per_crop.append(detector.last_timings["crops"] / detector.last_timings["n_crops"])
    cfg = detector.config
    print(f"# fhmr-bench detector: MediaPipe pose full + HOG proposals "
          f"(upscales {cfg.proposals.upscales}), {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, OpenCV {cv2.__version__} with {cv2.getNumThreads()} threads")
    print(f"settings: {cfg}")
    print(f"\n## vtest.avi 768x576, {len(frames)} frames (every {args.stride}th)")
    print("| stage | p50 ms | p95 ms |\n|---|---:|---:|")
    for k in stages:
        print(f"| {k} | {np.percentile(times[k], 50):.0f} | {np.percentile(times[k], 95):.0f} |")
    if per_crop:
        print(f"| one crop (mean per frame) | {np.percentile(per_crop, 50):.0f} | "
              f"{np.percentile(per_crop, 95):.0f} |")
    print(f"people per frame: mean {np.mean(counts):.1f}, min {min(counts)}, "
          f"max {max(counts)}", flush=True)
    if args.no_sweep:
        return 0

    full_only = MediaPipePoseDetector(use_proposals=False)
    sources = []
    for name, image in (("basketball2 man", read_image("basketball2.png")),
                        ("vtest frame 50", vtest_frames([50])[0])):
        people = detector.detect(image)
        if name.startswith("basketball"):
            people = [min(people, key=lambda p: p.bbox[0])]        # the standing man, left
        truth = np.stack([p.keypoints for p in people])            # (N, 33, 3)
        sources.append((name, image, truth, float(np.median([stature(p) for p in people]))))
        print(f"{name}: {len(people)} reference people, median height "
              f"{sources[-1][3]:.0f} px")
    size_sweep(detector, full_only, sources)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fhmr-bench", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    m = sub.add_parser("model", help="Stage 1 / Stage 2 latency sweeps")
    m.add_argument("--presets", default="lite,full")
    m.add_argument("--device", default="cpu")
    m.add_argument("--repeats", type=int, default=5)
    m.add_argument("--threads", type=int, default=None)
    d = sub.add_parser("detector", help="keypoint detector latency and smallest person found")
    d.add_argument("--frames", type=int, default=20, help="vtest.avi frames timed")
    d.add_argument("--stride", type=int, default=10, help="frame step in vtest.avi")
    d.add_argument("--threads", type=int, default=None, help="OpenCV threads (HOG, resizing)")
    d.add_argument("--no-sweep", action="store_true", help="skip the person-size sweep")
    n = sub.add_parser("node", help="fhmr_node end to end: latency, sustained rate "
                       "(needs the ROS environment: source scripts/ros_env.sh)")
    n.add_argument("--preset", default="lite")
    n.add_argument("--device", default="cpu")
    n.add_argument("--rate", type=float, default=15.0, help="input images per second")
    n.add_argument("--seconds", type=float, default=20.0, help="duration of each case")
    n.add_argument("--stride", type=int, default=8)
    n.add_argument("--lag", type=int, default=8)
    args = ap.parse_args(argv)
    if args.what == "detector":
        return bench_detector(args)
    if args.what == "node":
        from ..ros.node_bench import bench_node   # rclpy: only for this subcommand
        return bench_node(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    print(f"# fhmr-bench model: device {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else
             f" ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)")
          + f", torch {torch.__version__}, float32, repeats {args.repeats} after 1 warm-up")
    for name in args.presets.split(","):
        bench_model(name, device, args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
