"""fhmr-eval: metrics of a checkpoint on the held-out test set.

    fhmr-eval [--checkpoint models/fhmr_lite.pt] [--out artifacts/eval]
              [--modes stage1,two_stage,baseline] [--steps N] [--cfg W] [--hypotheses N]
              [--streaming [--stride 8] [--lag 4] [--window W]] [--part-occlusion P]

With --hypotheses N > 1 (offline) it also reports the hypotheses' spread and how it
correlates with the error (calibration).

Prints a markdown table (millimetres; RTE in %; jitter in 10 m/s³; foot sliding in mm per
frame) and writes it with the settings to OUT/eval.md and OUT/eval.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from ..body.body_model import BodyModel
from ..body.standin_model import ensure_standin_model
from ..data.camera_rigs import CameraRigConfig
from ..data.clip_sets import VALIDATION_SPLITS, DataConfig, clip_set
from ..data.observations import DetectorNoiseConfig
from ..evaluation.evaluate import (COLUMNS, evaluate, held_out_sequences,
                                   per_joint_calibration)
from ..evaluation.metrics import format_table
from ..model.checkpoint import default_checkpoint, load_checkpoint
from ..model.pipeline import MODES
from ..streaming.engine import StreamingConfig
from ..streaming.runtime_builder import floor_config
from ..streaming.settings import settings_from_overrides


# the observation patterns fhmr-eval can switch on: flag -> what happens in a sequence
STRESS_TESTS = {
    "part-occlusion": "one body part (an arm, a leg, one side, the lower body) is hidden for "
                      "a long stretch",
    "furniture": "a table-like obstacle hides the body below a height between hips and ankles",
    "long-dropouts": "the detector loses the person for 20-90 frames",
    "close-range": "the camera is 0.8-2.5 m from the person, aimed at the chest (legs or more "
                   "out of view)",
    "elevated": "a static or panning camera 3-8 m up looks down at the person 4-15 m away"}


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="fhmr-eval", description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--out", type=Path, default=Path("artifacts/eval"))
    ap.add_argument("--modes", default="stage1,two_stage,baseline")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--cfg", type=float, default=None)
    ap.add_argument("--guidance-until", type=float, default=None, metavar="T",
                    help="guide only while the flow time t < T (default: checkpoint)")
    ap.add_argument("--blend-frames", type=int, default=None, metavar="N",
                    help="frames produced again and cross-faded where Stage 2 windows hand "
                         "over (default: checkpoint)")
    ap.add_argument("--solver", choices=("euler", "midpoint"), default=None)
    ap.add_argument("--temperature", type=float, default=None,
                    help="scale of the initial noise (default: checkpoint)")
    ap.add_argument("--hypotheses", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--procedural", type=int, default=DataConfig.procedural_test,
                    help="number of held-out procedural sequences")
    ap.add_argument("--split", choices=("test", *VALIDATION_SPLITS), default="test",
                    help="validation: unseen clips of the training distribution, for tuning; "
                         "validation_unseen: of the test distribution (motion combinations "
                         "training never shows), for tuning what must generalise")
    ap.add_argument("--world-velocity-weight", type=float, default=None,
                    help="override α of the world-position filter")
    ap.add_argument("--world-depth-velocity-weight", type=float, default=None,
                    help="override α_d, the same along the viewing ray")
    ap.add_argument("--mocap-sets", default=",".join(DataConfig.mocap_sets),
                    help="motion sets of the mocap corpus in the split (reactidle, cmu)")
    ap.add_argument("--max-clips", type=int, default=None, help="evaluate only the first N")
    ap.add_argument("--cache", type=Path, default=Path("artifacts/cache"))
    ap.add_argument("--streaming", action="store_true",
                    help="run the node's path (the streaming engine, frame by frame) instead "
                         "of offline windows")
    ap.add_argument("--stride", type=int, default=StreamingConfig.stride,
                    help="streaming: model frames per run")
    ap.add_argument("--lag", type=int, default=StreamingConfig.lag,
                    help="streaming: look-ahead model frames")
    ap.add_argument("--window", type=int, default=None,
                    help="streaming: window length (default: the checkpoint's)")
    ap.add_argument("--known-frames", type=int, default=StreamingConfig.known_frames,
                    metavar="N", help="streaming: published frames a run holds as known, "
                                      "the latest (a window's length or more: all)")
    ap.add_argument("--observed-format", default=None, metavar="FORMAT",
                    help="streaming: observe only the keypoints a detector of this format "
                         "gives (e.g. coco17, as from another node's detector with "
                         "input:=keypoints); the rest are unseen")
    ap.add_argument("--floor", action="store_true",
                    help="streaming: the floor (world z = 0) sets each person's scale "
                         "(floor_constraint)")
    ap.add_argument("--no-pve", action="store_true",
                    help="skip the meshes (no PVE column; about 40 %% faster)")
    for flag, what in STRESS_TESTS.items():
        ap.add_argument(f"--{flag}", type=float, default=0.0, metavar="P",
                        help=f"stress test: in this share of the sequences {what}")
    return ap


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if (args.observed_format is not None or args.floor) and not args.streaming:
        ap.error("--observed-format and --floor need --streaming")
    modes = [m for m in args.modes.split(",") if m]
    if any(m not in MODES for m in modes):
        ap.error(f"modes must be among {MODES}")
    ckpt = args.checkpoint or default_checkpoint("lite")
    try:
        model = load_checkpoint(ckpt)
    except (FileNotFoundError, ValueError) as e:
        print(f"fhmr-eval: error: {e}", file=sys.stderr)
        return 2
    if args.world_velocity_weight is not None:
        model.cfg = replace(model.cfg, world_velocity_weight=args.world_velocity_weight)
    if args.world_depth_velocity_weight is not None:
        model.cfg = replace(model.cfg,
                            world_depth_velocity_weight=args.world_depth_velocity_weight)
    torch.manual_seed(args.seed)
    body = BodyModel(ensure_standin_model())
    data_cfg = DataConfig(procedural_test=args.procedural,
                          mocap_sets=tuple(args.mocap_sets.split(",")),
                          keypoint_format=model.cfg.inputs.keypoint_format)
    clips = clip_set(args.split, data_cfg, body, args.cache)[:args.max_clips]
    seqs = held_out_sequences(
        clips, model.cfg.inputs.keypoint_format,
        noise_cfg=DetectorNoiseConfig(part_occlusion_prob=args.part_occlusion,
                                      furniture_prob=args.furniture,
                                      long_miss_prob=args.long_dropouts),
        rig_cfg=CameraRigConfig(close_range_prob=args.close_range,
                                elevated_prob=args.elevated))
    opts = model.default_sampling(steps=args.steps, guidance=args.cfg, solver=args.solver,
                                  guidance_until=args.guidance_until,
                                  blend_frames=args.blend_frames,
                                  temperature=args.temperature,
                                  hypotheses=args.hypotheses, seed=args.seed)
    streaming = (StreamingConfig(window=args.window, stride=args.stride, lag=args.lag,
                                 steps=opts.steps, guidance=opts.guidance,
                                 guidance_until=opts.guidance_until,
                                 temperature=opts.temperature,
                                 blend_frames=opts.blend_frames, hypotheses=opts.hypotheses,
                                 known_frames=args.known_frames, seed=args.seed,
                                 floor=floor_config(settings_from_overrides(
                                     {"floor_constraint": args.floor}), body))
                 if args.streaming else None)
    tic = time.perf_counter()
    rows = evaluate(model, body, seqs, modes, opts, streaming, args.observed_format,
                    vertices=not args.no_pve)
    frames = sum(s.batch.keypoints.shape[1] for s in seqs)
    settings = {"checkpoint": str(ckpt), "split": args.split, "sequences": len(seqs),
                "frames": frames, "sources": sorted({s.clip.clip.source for s in seqs}),
                "sampling": asdict(opts),
                "streaming": asdict(streaming) if streaming is not None else None,
                "window": (streaming.window if streaming else None) or model.cfg.window,
                "stride": streaming.stride if streaming else model.cfg.window // 2,
                "world_velocity_weight": model.cfg.world_velocity_weight,
                "world_depth_velocity_weight": model.cfg.world_depth_velocity_weight,
                "observed_format": args.observed_format, "floor": args.floor,
                "part_occlusion": args.part_occlusion, "furniture": args.furniture,
                "long_dropouts": args.long_dropouts, "close_range": args.close_range,
                "elevated": args.elevated,
                "seconds": round(time.perf_counter() - tic, 1)}
    table = format_table(rows, {k: v for k, v in COLUMNS.items()     # e.g. Spread: hypotheses > 1
                                if any(k in r for r in rows.values())})
    for mode, row in rows.items():
        calibration = per_joint_calibration(row)
        if calibration:
            table += f"\nPer joint, {mode} ({opts.hypotheses} hypotheses):\n\n" + format_table(
                calibration, {"mpjpe": "MPJPE", "spread": "Spread", "spread_error_r":
                              "Spread–error r"}, precision=2, first_header="joint")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "eval.md").write_text(table + "\nSettings: " + json.dumps(settings) + "\n")
    (args.out / "eval.json").write_text(json.dumps({"rows": rows, "settings": settings},
                                                   indent=1))
    print(table)
    print("settings:", json.dumps(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
