"""How well the mocap corpus retargets onto SMPL-X: per motion set and rig, the distance of
the retargeted joints from the (scaled) source joints, frame-weighted over every file.

    python -m fhmr_ros.tools.retarget_report [--splits train,test] [--sets reactidle,cmu]
                                             [--body-model SMPLX.npz] [--out report.md]

The joints compared are each rig's position pairs (hips, knees, ankles, shoulders, elbows,
wrists; data/retarget.py). "rest" is what the shape fit leaves at the rig's rest pose.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..body.body_model import BodyModel
from ..body.standin_model import ensure_standin_model
from ..data.bvh import read_bvh
from ..data.mocap_corpus import RIG_MAPS, find_mocap_dir, rig_map, split_files
from ..data.retarget import joint_position_error, retarget_bvh
from .reports import emit_report


def report(splits: list[str], sets: tuple[str, ...], body: BodyModel, progress: bool
           ) -> str:
    """The markdown table: one row per (set, rig, split)."""
    root = find_mocap_dir()
    rows: dict[tuple[str, str, str], list] = defaultdict(list)
    files = [(split, f) for split in splits for f in split_files(split, root, sets)
             if f.name.endswith((".bvh", ".bvh.gz"))]
    for split, path in tqdm(files, desc="retargeting", unit="file", disable=not progress):
        motion_set = path.relative_to(root).parts[0]
        bvh = read_bvh(path)
        joint_map = rig_map(bvh, motion_set, path)
        result = retarget_bvh(bvh, body, joint_map, name=path.name)
        error = joint_position_error(result, body)
        rows[motion_set, joint_map.name, split].append(
            (bvh.num_frames, bvh.fps, error, result.source_scale, path.name))
    out = ["| set | rig | split | files | minutes | mean mm | max mm | rest mm | worst file "
           "(mean mm) | metres per unit |", "|---|---|---|---:|---:|---:|---:|---:|---|---|"]
    for (motion_set, rig, split), items in sorted(rows.items()):
        frames = np.array([n for n, *_ in items], dtype=float)
        means = np.array([e.mean_mm for _, _, e, *_ in items])
        worst = max(items, key=lambda item: item[2].mean_mm)
        scales = [s for *_, s, _ in items]
        out.append(
            f"| {motion_set} | {rig} | {split} | {len(items)} | "
            f"{sum(n / fps for n, fps, *_ in items) / 60:.1f} | "
            f"{float(means @ frames / frames.sum()):.1f} | "
            f"{max(e.max_mm for _, _, e, *_ in items):.1f} | "
            f"{np.mean([e.rest_mm.mean() for _, _, e, *_ in items]):.1f} | "
            f"{worst[4]} ({worst[2].mean_mm:.1f}) | {min(scales):.4f}–{max(scales):.4f} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m fhmr_ros.tools.retarget_report",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--splits", default="train,test")
    ap.add_argument("--sets", default=",".join(RIG_MAPS), help="motion sets to retarget")
    ap.add_argument("--body-model", type=Path, default=None,
                    help="SMPL-X .npz (default: the generated stand-in)")
    ap.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = ap.parse_args(argv)
    body = BodyModel(args.body_model or ensure_standin_model())
    table = report(args.splits.split(","), tuple(args.sets.split(",")), body,
                   progress=sys.stderr.isatty())
    return emit_report(table, args.out)


if __name__ == "__main__":
    sys.exit(main())
