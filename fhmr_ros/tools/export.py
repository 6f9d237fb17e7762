"""fhmr-export: people's motion as reference motion for humanoid real-to-sim.

    fhmr-export INPUT --out DIR [--formats amass,bvh,tables] [--body-model SMPLX.npz]
                [--fps F] [--max-gap-s 0.5] [--no-fill-gaps] [--no-constant-betas]
                [--no-smooth] [--no-foot-contact] [--no-floor] [--topic /ns/fhmr_node/humans]
                [--obs OBS.npz] [--robot g1]

INPUT: an MCAP recording of fhmr_node's ``~/humans`` (``ros2 bag record`` or the demo's
recording.mcap), fhmr-video's ``results.npz``, fhmr-infer's ``PRED.npz`` (one person;
``--obs OBS.npz`` gives the rate of a PRED.npz without one), or a video file (fhmr-video
runs on it first, into DIR/video). Per person track (segment), with its name ``body_<id>`` (a track
split by a long gap goes on as ``body_<id>_part2``, ...):

- ``body_<id>.npz``: AMASS-style SMPL-X (fhmr_ros/export/amass_writer.py);
- ``body_<id>.bvh``: BVH of the SMPL-X body skeleton, y up, centimetres (bvh_writer.py);
- ``body_<id>_joints.csv`` / ``.npz``: joint angles, world joint positions and per-foot
  contact labels (joint_tables.py);
- with ``--robot g1``: ``body_<id>_g1.npz`` / ``.csv`` / ``.png``, the motion on the
  Unitree G1 (export/humanoid_retarget.py) and a picture of both.

The clean-up steps (fhmr_ros/export/clean_up.py) are on by default; each has a switch.
``summary.json`` lists every export with its frames, rate and what the clean-up changed
(foot sliding while in contact, jitter, ground penetration).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..body.body_model import BodyModel
from ..body.skeleton import FOOT_JOINTS
from ..body.standin_model import ensure_standin_model
from ..evaluation.metrics import foot_sliding, jitter
from ..export.amass_writer import write_amass
from ..export.bvh_writer import write_bvh
from ..export.clean_up import CleanUpConfig, clean_up, world_joints
from ..export.joint_tables import write_tables
from ..export.humanoid_retarget import retarget_g1
from ..export.person_track import ExportInputError, PersonTrack, tracks_from_npz
from ..visualization.retarget_preview import draw_retarget

FORMATS = ("amass", "bvh", "tables")
ROBOTS = ("g1",)
PREVIEW_FRAMES = 4
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")


def read_tracks(path: Path, out: Path, topic: str | None, obs: Path | None = None
                ) -> list[PersonTrack]:
    """The tracks of INPUT (module doc; ``obs``: a PRED.npz's observations, for its frame
    rate); ExportInputError for what holds none."""
    if not path.is_file():
        raise ExportInputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".mcap":
        from ..ros.humans_recording import tracks_from_recording   # needs the ROS messages
        return tracks_from_recording(path, topic)
    if suffix == ".npz":
        return tracks_from_npz(path, None if obs is None else _observation_rate(obs))
    if suffix in VIDEO_SUFFIXES:
        from .video import main as run_video
        if run_video([str(path), "--out", str(out / "video")]) != 0:
            raise ExportInputError(f"{path}: fhmr-video failed on it (see above)")
        return tracks_from_npz(out / "video" / "results.npz")
    raise ExportInputError(f"{path}: not an .mcap recording, a results.npz or a video "
                           f"({', '.join(VIDEO_SUFFIXES)})")


def _observation_rate(obs: Path) -> float:
    from ..data.files import ObservationFileError, load_observations
    try:
        return load_observations(obs).fps
    except ObservationFileError as e:
        raise ExportInputError(f"--obs {obs}: {e}") from None


def export(tracks: list[PersonTrack], out: Path, body: BodyModel, cfg: CleanUpConfig,
           formats: tuple[str, ...], robot_name: str | None = None) -> list[dict]:
    """Clean up and write every track (and, with ``robot_name``, its retargeting onto
    that robot); one summary entry per written segment."""
    summary = []
    for track in tracks:
        if track.num_frames < 2:
            print(f"[fhmr-export] {track.name}: one frame only, skipped (a motion needs two)",
                  file=sys.stderr)
            continue
        before_joints = world_joints(track, body)
        for k, segment in enumerate(clean_up(track, body, cfg)):
            part = segment.track
            stem = out / (track.name if k == 0 else f"{track.name}_part{k + 1}")
            joints = world_joints(part, body)
            written = []
            if "amass" in formats:
                written.append(write_amass(stem.with_suffix(".npz"), part, segment.fps))
            if "bvh" in formats:
                written.append(write_bvh(stem.with_suffix(".bvh"), part, segment.fps, body))
            if "tables" in formats:
                written += write_tables(stem, part, joints, segment.fps, segment.contacts)
            robot = {}
            if robot_name is not None:
                files, robot[robot_name] = retarget_files(stem, segment, body)
                written += files
            effect = _clean_up_effect(before_joints, track, joints, segment)
            summary.append({"name": stem.name, "frames": part.num_frames,
                            "fps": round(segment.fps, 3), "files": [p.name for p in written],
                            **{k: None if not np.isfinite(v) else round(v, 4)  # JSON: no NaN
                               for k, v in effect.items()}, **robot})
    return summary


def retarget_files(stem: Path, segment, body: BodyModel) -> tuple[list[Path], dict]:
    """``<stem>_g1.npz``, ``.csv`` and ``.png`` of the segment on the Unitree G1, and what
    the summary says about it."""
    motion = retarget_g1(segment.track, body, segment.fps, segment.contacts)
    robot_stem = stem.with_name(stem.name + "_g1")
    T = segment.track.num_frames
    frames = sorted({int(round(k * (T - 1) / (PREVIEW_FRAMES - 1)))
                     for k in range(PREVIEW_FRAMES)})
    preview = draw_retarget(robot_stem.with_suffix(".png"), motion.human_joints,
                            motion.body_positions, motion.body_parents, frames,
                            f"{stem.name} on the Unitree G1")
    return motion.save(robot_stem) + [preview], motion.report()


def _clean_up_effect(before: np.ndarray, track: PersonTrack, after: np.ndarray,
                     segment) -> dict:
    """Foot sliding (mm per frame while in contact), jitter and the lowest foot joint, on
    the input frames the segment covers and on the segment (NaN where undefined: no
    contact, fewer than four frames)."""
    if segment.contacts is None:
        return {}
    contacts = segment.contacts[:, [0, 1, 0, 1]]         # FOOT_JOINTS: ankles, then feet
    sliding = lambda joints: _mean(foot_sliding(joints, contacts))  # noqa: E731
    inside = (track.stamps >= segment.track.stamps[0] - 1e-6) & (
        track.stamps <= segment.track.stamps[-1] + 1e-6)
    same_grid = inside.sum() == segment.track.num_frames
    out = {"jitter_after": _mean(jitter(after, segment.fps)),
           "foot_sliding_after_mm": sliding(after),
           "lowest_foot_after_m": float(after[:, FOOT_JOINTS, 2].min()),
           "floor_shift_m": segment.floor_shift_m}
    if same_grid:            # the input was already on this grid: compare like with like
        out.update(jitter_before=_mean(jitter(before[inside], segment.fps)),
                   foot_sliding_before_mm=sliding(before[inside]),
                   lowest_foot_before_m=float(before[inside][:, FOOT_JOINTS, 2].min()))
    return out


def _mean(values: np.ndarray) -> float:
    """Mean of the finite values; NaN when there is none."""
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="fhmr-export", description=__doc__.split("\n")[0])
    ap.add_argument("input", type=Path,
                    help="recording (.mcap), fhmr-video's results.npz, fhmr-infer's PRED.npz, "
                         "or a video")
    ap.add_argument("--obs", type=Path, default=None,
                    help="PRED.npz: its OBS.npz, for the frame rate (a PRED.npz from this "
                         "fhmr-infer holds it)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--formats", default=",".join(FORMATS),
                    help=f"comma-separated, of {', '.join(FORMATS)}")
    ap.add_argument("--body-model", type=Path, default=None,
                    help="SMPLX_NEUTRAL.npz for the BVH offsets and joints (default: the "
                         "generated stand-in)")
    ap.add_argument("--robot", choices=ROBOTS, default=None,
                    help="also retarget each motion onto this humanoid (g1: the Unitree G1, "
                         "29 joints): <name>_g1.npz, .csv and a preview .png")
    ap.add_argument("--topic", default=None, help="MCAP: the HumanStateArray topic, when "
                    "the recording has more than one")
    ap.add_argument("--fps", type=float, default=None,
                    help="output rate (default: each track's own median rate)")
    ap.add_argument("--max-gap-s", type=float, default=CleanUpConfig.max_gap_s,
                    help="gaps up to this long are filled; longer ones split a track")
    for name, what in (("fill-gaps", "fill short gaps (else any gap splits the track)"),
                       ("constant-betas", "one body shape per track"),
                       ("smooth", "zero-phase smoothing"),
                       ("foot-contact", "pin planted feet, no ground penetration"),
                       ("floor", "move each track onto the floor z = 0 under its feet in "
                                 "contact")):
        ap.add_argument(f"--no-{name}", action="store_true", help=f"do not {what}")
    args = ap.parse_args(argv)
    formats = tuple(f for f in args.formats.split(",") if f)
    if not formats or set(formats) - set(FORMATS):
        ap.error(f"--formats takes some of {FORMATS}, got {args.formats!r}")
    args.formats = formats
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = CleanUpConfig(fps=args.fps, fill_gaps=not args.no_fill_gaps,
                        max_gap_s=args.max_gap_s, constant_betas=not args.no_constant_betas,
                        smooth=not args.no_smooth, foot_contact=not args.no_foot_contact,
                        floor=not args.no_floor)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        if not os.access(args.out, os.W_OK):
            raise PermissionError(f"cannot write into {args.out}")
        tracks = read_tracks(args.input, args.out, args.topic, args.obs)
        body = BodyModel(args.body_model or ensure_standin_model())
        summary = export(tracks, args.out, body, cfg, args.formats, args.robot)
    except (ExportInputError, OSError, ValueError) as e:
        print(f"fhmr-export: error: {e}", file=sys.stderr)
        return 2
    if not summary:
        print(f"fhmr-export: error: no track of {args.input} has two frames or more",
              file=sys.stderr)
        return 2
    (args.out / "summary.json").write_text(json.dumps(
        {"input": str(args.input), "clean_up": asdict(cfg), "exports": summary},
        indent=1))
    for entry in summary:
        print(f"[fhmr-export] {entry['name']}: {entry['frames']} frames at "
              f"{entry['fps']:g} Hz -> {', '.join(entry['files'])}")
    print(f"[fhmr-export] {len(summary)} motion(s) in {args.out} (summary.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
