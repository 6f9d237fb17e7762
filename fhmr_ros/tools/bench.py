"""fhmr-bench: latency benchmarks.

    fhmr-bench model [--presets lite,medium,full] [--device cpu] [--repeats 5] [--stride 8]
                     [--threads N]
    fhmr-bench detector [--labels FILE] [--threads N] [--no-mediapipe]
    fhmr-bench node [--preset lite] [--device cpu] [--transport compressed|raw]
                    [--seconds 30] [--scenes one crowd] [-p name:=value ...]
    fhmr-bench soak [--minutes 30] [-p name:=value ...]
    fhmr-bench account [--seconds 40] [--queues 2 100] [-p name:=value ...]
    fhmr-bench odom-bursts [--rate 3] [--seconds 15] [--scenes crowd] [-p name:=value ...]
    fhmr-bench g1 [--iterations 3 6 12]

`model`: Stage 1 and Stage 2 latency per window on random inputs, sweeping one setting at
a time around each preset's default (window length, ODE steps, classifier-free guidance
on/off, people batched), with p50/p95 per window, per frame offline (window / W) and per
new frame when streaming (window / stride, as a track runs every ``--stride`` frames), and
peak memory. Weights are random: latency does not depend on their values.

`detector`: the 2D front-end candidates on hand-labelled real footage
(test/data/person_boxes.json, fhmr_ros.evaluation.detection_recall): recall and precision
on 25 vtest.avi frames, people found in the stills, and milliseconds per image. Rows:
MoveNet MultiPose alone at several input sizes (boxes only), the default movenet_blazepose
detector searching every image, the same behind the tracker with its search schedule (every
vtest frame up to the last label is processed; only the labelled ones are scored), and
MediaPipe with HOG proposals.

`node`: fhmr_node end to end in its own process, fed over DDS by the benchmark's process
(fhmr_ros/tools/node_bench.py): sustained output rate, latency from an image's stamp to its
HumanStateArray, images dropped and the node's per-stage times, for one person at 20 Hz and
the vtest.avi crowd at 10 Hz.

`account`: the node as a black box, once per queue size: the crowd at 10 Hz from a turning
robot with bad images mixed in; every good image must be answered exactly once or counted
as dropped under a reason, every bad one counted, and each person's world joints must be
their camera joints mapped through odometry and the camera mount (the worst gap in mm).

`odom-bursts`: a robot's traffic (issue 30's client): raw images sent reliably, the
odometry (12 Hz, reliable) sent in a burst right before each image; how many images are
answered, with the node's defaults and with the odometry subscribed best effort and no gap
bridging (the node before odom_reliability and odom_extrapolate_s).

`g1`: the live G1 retargeting (the node's publish_g1) on a held-out procedural walk (4 s at
30 fps, cleaned up as fhmr-export does), frame by frame, warm-started: milliseconds per
person and frame (p50, p95) and the share of frames with the feet and the hands within 5 cm
of their stature-scaled targets, per number of IK steps a frame.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..body.body_model import BodyModel
from ..body.standin_model import ensure_standin_model
from ..evaluation.detection_recall import LABELS
from ..model.config import preset
from ..model.inputs import random_inputs
from ..model.kinematics import BodyGeometry
from ..model.pipeline import FactorizedHMR
from ..streaming.engine import StreamingConfig
from ..streaming.settings import NodeSettings


@dataclass(frozen=True)
class Setting:
    window: int
    steps: int
    guidance: float
    people: int


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


def bench_model(name: str, device: torch.device, repeats: int, stride: int) -> None:
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
             f"per frame offline ms | per new frame streaming (stride {stride}) ms |",
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
            f"{p50 / s.window:.2f} | {p50 / stride:.2f} |", flush=True)
    kind = "CUDA allocated" if device.type == "cuda" else "process RSS high-water mark"
    print(f"peak memory after preset {name}: {peak_memory_mb(device):.0f} MB ({kind})")


def _tracked_counts(detector, images, frames, search_every: int) -> tuple[dict, list, int]:
    """The detector behind a tracker over vtest.avi frames 0..last label (10 fps)."""
    from ..evaluation.detection_recall import MatchCounts, match
    from ..perception.tracked_front_end import TrackedFrontEnd
    from ..perception.tracker import MultiPersonTracker

    labelled = {i.video_frame: i for i in images if i.video_frame is not None}
    front = TrackedFrontEnd(detector, MultiPersonTracker(), search_every)
    counts, times, searches = MatchCounts(), [], 0
    for index in range(max(labelled) + 1):
        t = time.perf_counter()
        out = front.process(frames[index], index / 10.0, None)
        times.append(1000 * (time.perf_counter() - t))
        searches += out.searched
        if index in labelled:
            counts.add(match([p.bbox for p in out.detections], labelled[index]))
    return {"vtest": counts}, times, searches


def bench_detector(args) -> int:
    """Recall, precision and time of the detector candidates on the labelled footage."""
    from ..data.footage import vtest_frames
    from ..evaluation.detection_recall import load_labels, score_each_image
    from ..perception.blazepose_landmarks import NETWORKS
    from ..perception.detection import make_detector
    from ..perception.movenet_multipose import MultiPoseConfig, MultiPoseSearch

    images = load_labels(args.labels)
    last = max(i.video_frame for i in images if i.video_frame is not None)
    frames = vtest_frames(list(range(last + 1)))
    people = sum(len(i.people) for i in images)
    print(f"# fhmr-bench detector: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, {args.threads or 'auto'} threads; {len(images)} labelled "
          f"images ({people} people): vtest.avi every 30th frame 0..{last} and 4 stills; "
          f"a person is found at box IoU >= 0.5")
    print("| candidate | keypoints | vtest recall | vtest precision | stills found "
          "| ms/image p50 | p95 | mean |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")

    def row(name, fmt, counts, times):
        v, st = counts["vtest"], counts.get("stills")
        stills = f"{st.matched}/{st.people}" if st else "-"
        print(f"| {name} | {fmt} | {v.recall:.3f} ({v.matched}/{v.people}) | "
              f"{v.precision:.3f} | {stills} | {np.percentile(times, 50):.0f} | "
              f"{np.percentile(times, 95):.0f} | {np.mean(times):.0f} |", flush=True)

    for sizes in ((256,), (512,), (256, 512), (256, 640)):
        searcher = MultiPoseSearch(MultiPoseConfig(input_sizes=sizes), threads=args.threads)
        counts, times = score_each_image(lambda im: searcher.search(im).boxes, images, frames)
        row(f"MoveNet MultiPose alone, inputs {sizes}", "COCO-17", counts, times)
    for network in NETWORKS:         # the default (full) with every search schedule
        detector = make_detector("movenet_blazepose", threads=args.threads,
                                 landmarks={"network": network})
        name = f"movenet_blazepose, {network} landmarks"
        counts, times = score_each_image(lambda im: [p.bbox for p in detector.detect(im)],
                                         images, frames)
        row(f"{name}, whole-image search on every image", "MediaPipe-33", counts, times)
        for every in (2, 4, 8) if network == "full" else (4,):
            counts, times, searches = _tracked_counts(detector, images, frames, every)
            row(f"{name} behind the tracker, search every {every} "
                f"({searches} searches in {len(times)} frames)", "MediaPipe-33", counts, times)
    if not args.no_mediapipe:
        mediapipe = make_detector("mediapipe")
        counts, times = score_each_image(lambda im: [p.bbox for p in mediapipe.detect(im)],
                                         images, frames)
        row("mediapipe (full frame + HOG proposal crops)", "MediaPipe-33", counts, times)
    return 0


def bench_g1(args) -> int:
    """Live G1 retargeting cost and reach per IK steps a frame (module doc)."""
    from ..body.body_model import BodyModel
    from ..body.rest_measures import stature
    from ..body.standin_model import ensure_standin_model
    from ..data.procedural import procedural_clips
    from ..export.clean_up import clean_up
    from ..export.humanoid_retarget import G1_STATURE_M, REACH_M, G1Solver, human_targets
    from ..export.person_track import PersonTrack

    body = BodyModel(ensure_standin_model())
    fps = 30.0
    clip = procedural_clips(1, seed=3, split="test", body_model=body)[0].resample(fps)
    clip = clip.slice(0, 120)
    T = clip.num_frames
    track = PersonTrack(1, np.arange(T) / fps, np.tile(clip.betas, (T, 1)),
                        clip.global_orient, clip.body_pose.reshape(T, 63), clip.transl)
    (segment,) = clean_up(track, body)
    joints, rotations = human_targets(segment.track, body,
                                      G1_STATURE_M / stature(body, clip.betas))
    print(f"# fhmr-bench g1: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores; held-out procedural walk, {T} frames at {fps:g} fps")
    print("| IK steps a frame | ms p50 | p95 | feet within 5 cm | hands within 5 cm |")
    print("|---:|---:|---:|---:|---:|")
    for iterations in args.iterations:
        solver = G1Solver(iterations)
        times, errors = [], []
        for t in range(T):
            tic = time.perf_counter()
            errors.append(solver.solve(joints[t], rotations[t], segment.contacts[t],
                                       1.0 / fps)[1])
            times.append(1000 * (time.perf_counter() - tic))
        reached = np.array(errors) < REACH_M                      # (T, 4): feet, hands
        p50, p95 = np.percentile(times[1:], [50, 95])             # the first starts cold
        print(f"| {iterations} | {p50:.1f} | {p95:.1f} | {reached[:, :2].mean():.0%} | "
              f"{reached[:, 2:].mean():.0%} |", flush=True)
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="fhmr-bench", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    m = sub.add_parser("model", help="Stage 1 / Stage 2 latency sweeps")
    m.add_argument("--presets", default="lite,medium,full")
    m.add_argument("--device", default="cpu")
    m.add_argument("--repeats", type=int, default=5)
    m.add_argument("--stride", type=int, default=StreamingConfig.stride,
                   help="model frames between a track's runs when streaming (the node's "
                        "default)")
    m.add_argument("--threads", type=int, default=None)
    d = sub.add_parser("detector", help="detector candidates: recall, precision, time on "
                       "hand-labelled real footage")
    d.add_argument("--labels", default=str(LABELS), help="labelled person boxes (JSON)")
    d.add_argument("--threads", type=int, default=0, help="onnxruntime threads (0: auto)")
    d.add_argument("--no-mediapipe", action="store_true", help="skip the MediaPipe row")
    n = sub.add_parser("node", help="fhmr_node end to end over DDS: sustained rate, latency, "
                       "per-stage times (needs the ROS environment: source scripts/ros_env.sh)")
    n.add_argument("--preset", default=NodeSettings.preset)
    n.add_argument("--device", default=NodeSettings.device)
    n.add_argument("--transport", choices=("compressed", "raw"), default="compressed",
                   help="JPEG images (image_transport:=compressed) or raw bgr8 sent reliably")
    n.add_argument("--warmup", type=float, default=5.0, help="seconds sent before measuring")
    n.add_argument("--seconds", type=float, default=30.0, help="seconds measured per scene")
    n.add_argument("--scenes", nargs="*", default=None, help="'one' and/or 'crowd'")
    n.add_argument("--crowd-hz", type=float, default=10.0,
                   help="the crowd's input rate (the target is set at 10 Hz)")
    n.add_argument("-p", "--param", action="append", default=[],
                   help="a node parameter, name:=value (repeatable)")
    k = sub.add_parser("soak", help="fhmr_node for a long time on a looping recording: "
                       "memory growth, liveness, counters (ROS environment)")
    k.add_argument("--minutes", type=float, default=30.0)
    k.add_argument("--warmup-minutes", type=float, default=3.0,
                   help="memory growth is measured from here on")
    k.add_argument("--preset", default="lite")
    k.add_argument("--device", default="cpu")
    k.add_argument("-p", "--param", action="append", default=[],
                   help="a node parameter, name:=value (repeatable)")
    a = sub.add_parser("account", help="fhmr_node as a black box: every image answered "
                       "once or counted with a reason, world/camera agreement, per queue "
                       "size (ROS environment)")
    a.add_argument("--seconds", type=float, default=40.0, help="seconds sent per queue size")
    a.add_argument("--queues", type=int, nargs="+", default=[2, 100],
                   help="queue_size values to run (default: the default 2, and 100)")
    a.add_argument("--preset", default="lite")
    a.add_argument("--device", default="cpu")
    a.add_argument("-p", "--param", action="append", default=[],
                   help="a node parameter, name:=value (repeatable)")
    o = sub.add_parser("odom-bursts", help="fhmr_node on a robot's traffic: raw images with "
                       "the odometry sent in bursts before each; every image answered? "
                       "(ROS environment)")
    o.add_argument("--rate", type=float, default=3.0, help="images per second")
    o.add_argument("--seconds", type=float, default=15.0, help="seconds sent per run")
    o.add_argument("--scenes", nargs="*", default=["crowd"], help="'one' and/or 'crowd'")
    o.add_argument("--preset", default=NodeSettings.preset)
    o.add_argument("--device", default=NodeSettings.device)
    o.add_argument("-p", "--param", action="append", default=[],
                   help="a node parameter, name:=value (repeatable)")
    g = sub.add_parser("g1", help="live G1 retargeting: ms per person and frame, reach")
    g.add_argument("--iterations", type=int, nargs="+", default=[3, 6, 12],
                   help="IK steps a frame to compare (the node uses 6)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.what == "detector":
        return bench_detector(args)
    if args.what == "g1":
        return bench_g1(args)
    if args.what == "node":
        from .node_bench import bench_node   # rclpy: only for this subcommand
        return bench_node(args)
    if args.what == "soak":
        from .node_bench import soak_node
        return soak_node(args)
    if args.what == "account":
        from .node_bench import account_node
        return account_node(args)
    if args.what == "odom-bursts":
        from .node_bench import odom_bursts_node
        return odom_bursts_node(args)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    print(f"# fhmr-bench model: device {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else
             f" ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)")
          + f", torch {torch.__version__}, float32, repeats {args.repeats} after 1 warm-up")
    for name in args.presets.split(","):
        bench_model(name, device, args.repeats, args.stride)
    return 0


if __name__ == "__main__":
    sys.exit(main())
