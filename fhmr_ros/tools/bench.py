"""fhmr-bench: latency benchmarks.

    fhmr-bench model [--presets lite,full] [--device cpu] [--repeats 5] [--threads N]

`model`: Stage 1 and Stage 2 latency per window on random inputs, sweeping one setting at
a time around each preset's default (window length, ODE steps, classifier-free guidance
on/off, people batched), with p50/p95 per window, per frame offline (window / W) and per
new frame when streaming (window / stride, stride = W/2), and peak memory. Weights are
random: latency does not depend on their values.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from dataclasses import dataclass, replace

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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fhmr-bench", description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    m = sub.add_parser("model", help="Stage 1 / Stage 2 latency sweeps")
    m.add_argument("--presets", default="lite,full")
    m.add_argument("--device", default="cpu")
    m.add_argument("--repeats", type=int, default=5)
    m.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
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
