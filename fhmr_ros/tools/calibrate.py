"""Calibrate a checkpoint's per-joint uncertainty on validation and store it in the checkpoint.

    python -m fhmr_ros.tools.calibrate CHECKPOINT [--out FILE.pt]
        [--modes two_stage,stage1,baseline]
        [--paths streaming,offline] [--split validation] [--mocap-sets reactidle,cmu]
        [--max-clips N]

Each mode is run as the node runs it (the streaming engine with the node's default
settings, the floor scale included) and as fhmr-infer runs it (offline windows) over the
validation split; the two fitted tables (model/joint_uncertainty.py) go into the
checkpoint's meta, and from then on the node, fhmr-video and fhmr-infer publish
``joint_uncertainty``: a radius (m) that holds the true joint with probability 0.68.
Prints the table's summary; ``fhmr-eval`` then reports how well it holds on the test set.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from ..body.body_model import BodyModel
from ..body.skeleton import BODY_JOINT_NAMES
from ..body.standin_model import ensure_standin_model
from ..data.clip_sets import VALIDATION_SPLITS, DataConfig, clip_set
from ..evaluation.evaluate import held_out_sequences
from ..evaluation.uncertainty_fit import fit_uncertainty
from ..model.checkpoint import load_checkpoint, save_checkpoint
from ..model.joint_uncertainty import CONFIDENCE_BINS, PATHS, JointUncertainty
from ..model.pipeline import MODES
from ..streaming.engine import StreamingConfig
from ..streaming.runtime_builder import floor_config
from ..streaming.settings import NodeSettings


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m fhmr_ros.tools.calibrate",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("--out", type=Path, default=None,
                    help="write the calibrated checkpoint here (default: in place)")
    ap.add_argument("--modes", default="two_stage,stage1,baseline",
                    help="modes to calibrate (those the checkpoint has networks for)")
    ap.add_argument("--paths", default=",".join(PATHS),
                    help="which ways of running to calibrate: streaming (the node, "
                    "fhmr-video), offline (fhmr-infer)")
    ap.add_argument("--split", choices=VALIDATION_SPLITS, default="validation")
    ap.add_argument("--mocap-sets", default="reactidle,cmu",
                    help="motion-capture sets whose validation subjects take part")
    ap.add_argument("--max-clips", type=int, default=None, help="use only the first N")
    ap.add_argument("--cache", type=Path, default=Path("artifacts/cache"))
    return ap


def describe(mode: str, table: JointUncertainty) -> str:
    """One line per confidence bin: the limbs' mean radius at 4 m, and the depth term."""
    limbs = [j for j, name in enumerate(BODY_JOINT_NAMES)
             if any(k in name for k in ("elbow", "wrist", "knee", "ankle"))]
    lines = [f"{mode}: rho {table.depth_ratio:.4f} (pelvis error per metre of depth), "
             f"conformal factor {table.scale:.3f}"]
    for b, name in enumerate(CONFIDENCE_BINS):
        confidence = np.full((1, len(BODY_JOINT_NAMES)), (0.0, 0.25, 1.0)[b])
        radius = table.sigma(confidence, np.array([4.0]))[0, limbs].mean()
        lines.append(f"  {name:10s} elbows/wrists/knees/ankles: relative "
                     f"{1000 * table.relative[b, limbs].mean():.0f} mm, at 4 m "
                     f"{1000 * radius:.0f} mm")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    try:
        model = load_checkpoint(args.checkpoint)
    except (FileNotFoundError, ValueError) as e:
        print(f"calibrate: error: {e}", file=sys.stderr)
        return 2
    modes = [m for m in args.modes.split(",") if m]
    if any(m not in MODES for m in modes):
        ap.error(f"modes must be among {MODES}")
    modes = [m for m in modes if model.baseline is not None or not m.startswith("baseline")]
    body = BodyModel(ensure_standin_model())
    data_cfg = DataConfig(mocap_sets=tuple(args.mocap_sets.split(",")),
                          keypoint_format=model.cfg.inputs.keypoint_format)
    clips = clip_set(args.split, data_cfg, body, args.cache)[:args.max_clips]
    seqs = held_out_sequences(clips, model.cfg.inputs.keypoint_format)
    settings = NodeSettings()
    streaming = StreamingConfig(floor=floor_config(settings, body))
    tables = {path: dict(t) for path, t in model.meta.get("uncertainty", {}).items()}
    paths = [p for p in args.paths.split(",") if p]
    if any(p not in PATHS for p in paths):
        ap.error(f"paths must be among {PATHS}")
    for path, how in zip(PATHS, (streaming, None)):
        for mode in modes if path in paths else ():
            table = fit_uncertainty(model, seqs, mode, model.default_sampling(), how)
            tables.setdefault(path, {})[mode] = table.to_dict()
            print(describe(f"{mode}, {path}", table))
    out = args.out or args.checkpoint
    save_checkpoint(model, out, {**model.meta, "uncertainty": tables,
                                 "uncertainty_fit": {"split": args.split,
                                                     "sequences": len(seqs)}})
    print(f"calibrated {', '.join(modes)} ({', '.join(paths)}) on {len(seqs)} {args.split} "
          f"sequences -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
