"""Learning curves of a training run: each network snapshot that ``fhmr-train
--snapshot-every N`` kept (RUN/snapshots/<stage>_<step>.pt), put into the run's checkpoint
and scored on a validation split.

    python -m fhmr_ros.tools.learning_curve artifacts/train/lite [--split validation]
        [--stages stage1,stage2,baseline] [--max-clips N] [--out FILE.md]

Each stage is scored in the mode it serves (stage1: Stage 1 alone; stage2: the two-stage
model, with the run's Stage 1; baseline: the baseline): MPJPE, PA-MPJPE, occluded-joint
MPJPE, W-MPJPE100 (mm) and the arm and leg bone-direction errors (degrees), one row per
snapshot. A curve still falling at the last step says more training would help; a flat
one, that more (or other) data is what is left.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import torch
from tqdm import tqdm

from ..body.body_model import BodyModel
from ..body.standin_model import ensure_standin_model
from ..data.clip_sets import VALIDATION_SPLITS, DataConfig, clip_set
from ..evaluation.evaluate import evaluate, held_out_sequences
from ..evaluation.metrics import format_table
from ..model.checkpoint import load_checkpoint
from ..training.trainer import STAGES, snapshot_path
from .reports import emit_report

MODE_OF_STAGE = {"stage1": "stage1", "stage2": "two_stage", "baseline": "baseline"}
COLUMNS = {"mpjpe": "MPJPE", "pa_mpjpe": "PA-MPJPE", "mpjpe/occluded": "MPJPE occluded",
           "w_mpjpe": "W-MPJPE100", "arm_angle": "Arms °", "leg_angle": "Legs °"}


def snapshots(run: Path, stages: list[str]) -> list[tuple[str, int, Path]]:
    """(stage, step, path) of every snapshot of ``stages`` in ``run``, by stage and step."""
    pattern = re.compile(r"(\w+?)_(\d+)\.pt$")
    found = []
    for path in (run / "snapshots").glob("*.pt"):
        m = pattern.fullmatch(path.name)
        if m and m.group(1) in stages and path == snapshot_path(run, m.group(1), int(m.group(2))):
            found.append((m.group(1), int(m.group(2)), path))
    return sorted(found, key=lambda s: (STAGES.index(s[0]), s[1]))


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m fhmr_ros.tools.learning_curve",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path, help="fhmr-train's --out folder")
    ap.add_argument("--split", choices=VALIDATION_SPLITS, default="validation")
    ap.add_argument("--stages", default=",".join(STAGES))
    ap.add_argument("--max-clips", type=int, default=None, help="score only the first N")
    ap.add_argument("--cache", type=Path, default=Path("artifacts/cache"))
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    stages = [s for s in args.stages.split(",") if s]
    found = snapshots(args.run, stages)
    checkpoints = sorted(args.run.glob("fhmr_*.pt"))
    if not found or not checkpoints:
        ap.error(f"{args.run} holds no checkpoint or no snapshots of {stages} (train with "
                 "fhmr-train --snapshot-every N)")
    model = load_checkpoint(checkpoints[0])
    body = BodyModel(ensure_standin_model())
    data_cfg = DataConfig(keypoint_format=model.cfg.inputs.keypoint_format)
    clips = clip_set(args.split, data_cfg, body, args.cache)[:args.max_clips]
    seqs = held_out_sequences(clips, model.cfg.inputs.keypoint_format)
    opts = model.default_sampling()
    rows = {}
    for stage, step, path in tqdm(found, desc="snapshots", unit="snapshot",
                                  disable=not sys.stderr.isatty()):
        getattr(model, stage).load_state_dict(torch.load(path, weights_only=True))
        mode = MODE_OF_STAGE[stage]
        torch.manual_seed(0)
        rows[f"{stage} {step}"] = evaluate(model, body, seqs, [mode], opts,
                                           vertices=False)[mode]
    frames = sum(s.batch.keypoints.shape[1] for s in seqs)
    text = (f"Learning curve of {args.run} on the {args.split} split ({len(seqs)} sequences, "
            f"{frames} frames; mm, degrees):\n\n"
            + format_table(rows, COLUMNS, first_header="stage, step") + "\n")
    return emit_report(text, args.out)


if __name__ == "__main__":
    sys.exit(main())
