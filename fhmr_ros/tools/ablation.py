"""fhmr-ablation: what each ingredient of FactorizedHMR gains, like the paper's ablation.

    fhmr-ablation [--base models/fhmr_lite.pt] [--out artifacts/ablation] [--steps 4500]
                  [--splits validation,validation_unseen,test] [--nproc 2]
                  [--max-minutes M]

Rows, each adding one ingredient to the row above (the paper's order):
  Stage 1 alone        the anchor, every other variable at its training-set mean;
  + Stage 2            flow matching on the rotations only: no joint-position branch, no
                       geometry losses, no classifier-free guidance;
  + composite target   Stage 2 also generates the camera-space joint positions;
  + geometry losses    the geometry terms on the decoded sample (training/losses.py);
  + CFG                conditions dropped in training, guidance w at sampling;
  + guidance on t < 0.5  the same network, guided only over the first half of the flow
                       (the last steps follow the conditional velocity alone);
  + temporal losses    smoothness terms (training/losses.temporal_terms);
  + estimation mode    90 % of Stage 2's training windows at flow time 0 (GENMO's
                       estimation mode; fhmr-train --estimation-share, its default);
  + 1 Euler step       the same network, sampled as shipped: one Euler step, no guidance
                       (every row above: 2 midpoint steps);
and the same-size deterministic baseline, and a diagnostic row: the last row's Stage 2
completing the baseline's anchor instead of Stage 1's (fhmr-eval's mode baseline_anchor:
what a Stage 1 as good as the baseline at the anchor would give). Stage 1 and the
baseline are --base's; every trained Stage 2 is trained from scratch with the same data,
seed and steps (``fhmr-train --init BASE --stages stage2 --without ...``, both cores
through torchrun), then evaluated offline (fhmr-eval) on each split. Choose on the
validation split, report the others (validation_unseen: the test's distribution of motion
combinations, other seeds).

Resumable: a re-run continues the unfinished variant from its checkpoint and evaluates
only what has no result yet. Writes OUT/ablation.md (and OUT/ablation.json).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from ..evaluation.evaluate import COLUMNS
from ..evaluation.metrics import format_table
from ..model.checkpoint import default_checkpoint

# (row, run folder, fhmr-train's recipe arguments, fhmr-eval's sampling arguments); rows
# may share a run and differ in sampling only. Every row before estimation mode trains
# without it and samples with 2 midpoint steps, as the recipe did before it.
NO_ESTIMATION = ("--estimation-share", "0")
TWO_MIDPOINT = ("--steps", "2", "--solver", "midpoint")
MIDPOINT = (*TWO_MIDPOINT, "--cfg", "1")
GUIDED = (*TWO_MIDPOINT, "--cfg", "2.5", "--guidance-until", "1")
GUIDED_HALF = (*TWO_MIDPOINT, "--cfg", "2.5", "--guidance-until", "0.5")
VARIANTS = (("+ Stage 2", "stage2_without_composite_geometry_cfg",
             ("--without", "composite,geometry,cfg,temporal", *NO_ESTIMATION), MIDPOINT),
            ("+ composite target", "stage2_without_geometry_cfg",
             ("--without", "geometry,cfg,temporal", *NO_ESTIMATION), MIDPOINT),
            ("+ geometry losses", "stage2_without_cfg",
             ("--without", "cfg,temporal", *NO_ESTIMATION), MIDPOINT),
            ("+ CFG", "stage2_without_temporal", ("--without", "temporal", *NO_ESTIMATION),
             GUIDED),
            ("+ guidance on t < 0.5 only", "stage2_without_temporal",
             ("--without", "temporal", *NO_ESTIMATION), GUIDED_HALF),
            ("+ temporal losses", "stage2_full", NO_ESTIMATION, GUIDED_HALF),
            ("+ estimation mode", "stage2_estimation", (), GUIDED_HALF),
            ("+ 1 Euler step, no guidance (the shipped recipe)", "stage2_estimation", (), ()))
DIAGNOSTIC = "(the shipped recipe on the baseline's anchor)"   # the last row's Stage 2
TABLE_COLUMNS = ("mpjpe", "pa_mpjpe", "mpjpe/torso", "mpjpe/non_torso", "mpjpe/occluded",
                 "arm_angle", "leg_angle", "w_mpjpe", "rte", "jitter", "foot_sliding")


def finished(run: Path) -> bool:
    """Has fhmr-train completed Stage 2 in ``run``?"""
    meta_path = run / "train_meta.json"
    if not meta_path.is_file():
        return False
    stage2 = json.loads(meta_path.read_text()).get("stage2", {})
    return bool(stage2) and stage2["final"].get("step") == stage2["train"]["steps"]


def train_variant(base: Path, run: Path, recipe: tuple[str, ...], steps: int, nproc: int,
                  max_minutes: float | None) -> bool:
    """Train (or continue) one Stage 2 variant; True when it has finished."""
    train = ["-m", "fhmr_ros.tools.train", "--preset", "lite", "--out", str(run),
             "--stages", "stage2", "--steps", str(steps), "--init", str(base),
             "--threads", "1", *recipe]
    if max_minutes is not None:
        train += ["--max-minutes", f"{max_minutes:.1f}"]
    launcher = ([sys.executable] if nproc == 1 else
                [sys.executable, "-m", "torch.distributed.run", "--standalone",
                 "--nproc_per_node", str(nproc)])
    print(f"fhmr-ablation: training {run.name}", flush=True)
    subprocess.run(launcher + train, check=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return finished(run)


def evaluated(checkpoint: Path, modes: str, split: str, out: Path,
              sampling: tuple[str, ...] = ()) -> dict:
    """fhmr-eval's rows for ``checkpoint`` on ``split`` (run once; kept in OUT/eval.json)."""
    result = out / "eval.json"
    if not result.is_file():
        subprocess.run([sys.executable, "-m", "fhmr_ros.tools.evaluate", "--checkpoint",
                        str(checkpoint), "--modes", modes, "--split", split, "--out", str(out),
                        "--no-pve", *sampling],
                       check=True)
    return json.loads(result.read_text())["rows"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fhmr-ablation", description=__doc__.split("\n")[0])
    ap.add_argument("--base", type=Path, default=None,
                    help="checkpoint with Stage 1 and the baseline (default: the shipped lite)")
    ap.add_argument("--out", type=Path, default=Path("artifacts/ablation"))
    ap.add_argument("--steps", type=int, default=4500, help="Stage 2 steps of every variant")
    ap.add_argument("--splits", default="validation,validation_unseen,test")
    ap.add_argument("--nproc", type=int, default=2, help="training processes (torchrun)")
    ap.add_argument("--max-minutes", type=float, default=None,
                    help="stop training after this long in all (re-run to continue)")
    args = ap.parse_args(argv)
    base = (args.base or default_checkpoint("lite")).resolve()
    if not base.is_file():
        ap.error(f"--base {base} does not exist")
    deadline = None if args.max_minutes is None else time.monotonic() + 60 * args.max_minutes
    for _, folder, recipe, _ in VARIANTS:
        run = args.out / folder
        if finished(run):
            continue
        left = None if deadline is None else max(0.0, (deadline - time.monotonic()) / 60)
        if not train_variant(base, run, recipe, args.steps, args.nproc, left):
            print(f"fhmr-ablation: stopped in {run}; run the same command again to continue")
            return 0
    tables, results = [], {}
    for split in [s for s in args.splits.split(",") if s]:
        base_rows = evaluated(base, "stage1,baseline", split, args.out / "base" / f"eval_{split}")
        rows = {"Stage 1 alone": base_rows["stage1"]}
        for name, folder, _, sampling in VARIANTS:
            run = args.out / folder
            tag = "".join(f"_{a.lstrip('-')}" for a in sampling)
            rows[name] = evaluated(run / "fhmr_lite.pt", "two_stage", split,
                                   run / f"eval_{split}{tag}", sampling)["two_stage"]
        run = args.out / VARIANTS[-1][1]
        rows[DIAGNOSTIC] = evaluated(run / "fhmr_lite.pt", "baseline_anchor", split,
                                     run / f"eval_{split}_baseline_anchor")["baseline_anchor"]
        rows["baseline (same size)"] = base_rows["baseline"]
        rows["true motion"] = base_rows["true motion"]
        results[split] = rows
        tables.append(f"### {split} split\n\n" + format_table(
            rows, {k: COLUMNS[k] for k in TABLE_COLUMNS}, first_header="variant"))
    settings = {"base": str(base), "stage2_steps": args.steps, "nproc": args.nproc}
    text = "\n".join(tables) + "\nSettings: " + json.dumps(settings) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ablation.md").write_text(text)
    (args.out / "ablation.json").write_text(json.dumps({"rows": results, "settings": settings},
                                                       indent=1))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
