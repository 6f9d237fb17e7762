"""fhmr-video: detect, track and recover every person in a video with the streaming engine.

    fhmr-video VIDEO --out DIR [--fps F] [--intrinsics FX,FY,CX,CY] [--static-camera]
               [--camera-pitch DEG] [--camera-height M] [--calibration-frames N]
               [--start S] [--max-frames N] [--stride S] [--lag L] [--checkpoint PATH]
               [--body-model SMPLX.npz]

The video runs through the ROS node's runtime core, built by the node's builder from the
node's settings (fhmr_ros/streaming/runtime_builder.py, settings.py: the same detector ->
tracker -> streaming engine, perception and model in two threads; fhmr-video's own
defaults are named in settings.OFFLINE_DIFFERENCES), every frame in order with stamps
i / fps; nothing is dropped. The camera is static: the world frame is the camera frame
levelled by gravity (z up), the camera tilted down by its pitch (and rolled) and standing
its height above the ground plane z = 0. What --intrinsics, --camera-pitch and
--camera-height leave open is estimated from the people in the first
--calibration-frames frames (fhmr_ros/tools/video_camera.py), printed and written to
summary.json ("camera"); a focal length they do not determine (a level camera) is the
image diagonal in pixels (about 53° diagonal field of view, CLIFF's convention), and the
outputs say so.

Writes to DIR:
  results.npz      one row per (video frame, person): SMPL-X parameters (camera and world),
                   joints, ids, joint sources, detections on the model grid; plus every raw
                   detection, the intrinsics and the camera poses (docs/offline_tools.md)
  overlay.mp4      skeleton + mesh per person on the video: torso (anchor) joints vs limbs
                   completed by Stage 2 in different colours, track ids
  frames/*.png     a few overlay frames
  trajectories.png top-down world trajectories
  summary.json     counts, per-stage timings, tracker and engine counters
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np
import torch

from ..body.body_model import BodyModel
from ..data.footage import video_frames, video_info
from ..model.pipeline import joint_source
from ..perception.blazepose_landmarks import NETWORKS
from ..perception.tracker import TrackState
from ..streaming.engine import FrameResult
from ..streaming.frame_assembler import ImageFrame
from ..streaming.runtime_builder import RuntimeParts, build_parts, build_runtime
from ..streaming.settings import (OFFLINE_DIFFERENCES, NodeSettings, defaults,
                                  settings_from_overrides)
from ..streaming.stream_runtime import StreamRuntime
from ..visualization.colors import SKELETON_LEGEND
from ..visualization.overlay import RenderedPerson, draw_banner, draw_legend, render_people
from ..visualization.trajectory_plot import plot_world_trajectories
from .video_camera import video_camera

DEFAULTS = defaults()
VIDEO = {**DEFAULTS, **OFFLINE_DIFFERENCES["fhmr-video"]}
RESULT_FIELDS = ("betas", "global_orient_camera", "body_pose", "transl_camera",
                 "joints_camera", "global_orient_world", "transl_world", "joints_world",
                 "pelvis_world", "root_velocity", "contact", "keypoints", "bbox")


def save_results(path: Path, per_frame: dict[int, dict[int, FrameResult]],
                 detections: list[tuple[int, object]], meta: dict) -> int:
    rows = [(f, r) for f in sorted(per_frame) for r in per_frame[f].values()]
    arrays = {name: np.stack([getattr(r, name) for _, r in rows]).astype(np.float32)
              for name in RESULT_FIELDS} if rows else {}
    arrays.update(
        frame=np.array([f for f, _ in rows], np.int32),
        stamp=np.array([r.stamp for _, r in rows], np.float64),
        track_id=np.array([r.track_id for _, r in rows], np.int32),
        observed=np.array([r.observed for _, r in rows], bool),
        det_frame=np.array([f for f, _ in detections], np.int32),
        det_bbox=np.array([d.bbox for _, d in detections], np.float32).reshape(-1, 4),
        det_keypoints=np.array([d.keypoints for _, d in detections], np.float32),
        det_score=np.array([d.score for _, d in detections], np.float32),
        **meta)
    np.savez_compressed(path, **arrays)
    return len(rows)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    v = np.asarray(values)
    return {"p50": round(float(np.percentile(v, 50)), 2),
            "p95": round(float(np.percentile(v, 95)), 2),
            "mean": round(float(v.mean()), 2), "max": round(float(v.max()), 2)}


def body_up(per_frame: dict[int, dict[int, FrameResult]], frame: str) -> np.ndarray:
    """(N, 3) unit pelvis -> neck directions of every result, in the "world" or "camera"."""
    ups = [getattr(r, f"joints_{frame}")[[12, 0]] for f in per_frame.values()
           for r in f.values()]
    if not ups:
        return np.zeros((0, 3))
    u = np.stack(ups)
    u = u[:, 0] - u[:, 1]
    return u / np.linalg.norm(u, axis=-1, keepdims=True).clip(1e-9)


def body_lean_deg(per_frame: dict[int, dict[int, FrameResult]]) -> float:
    """Mean angle between the pelvis -> neck direction and world up: near 0 for upright
    people when the assumed camera pitch is right."""
    u = body_up(per_frame, "world")
    return float(np.degrees(np.arccos(u[:, 2].clip(-1, 1))).mean()) if len(u) else float("nan")


def suggested_pitch_deg(per_frame: dict[int, dict[int, FrameResult]]) -> float:
    """The camera pitch the recovered bodies imply: their mean pelvis -> neck direction in
    the camera frame is taken as world up, u = (0, −cos θ, −sin θ) for a camera pitched
    down by θ."""
    u = body_up(per_frame, "camera")
    if not len(u):
        return float("nan")
    m = u.mean(0)
    return float(np.degrees(np.arctan2(-m[2], -m[1])))


def camera_vertices(body: BodyModel, r: FrameResult) -> np.ndarray:
    """(V, 3) mesh of one result in the camera frame, pelvis where the model put it."""
    t = lambda a: torch.from_numpy(np.asarray(a, np.float32))  # noqa: E731
    return body.vertices_at(t(r.betas), t(r.global_orient_camera), t(r.body_pose),
                            t(r.joints_camera[0])).numpy()


def render(args, per_frame, K, body: BodyModel | None, faces, banner: str | None,
           png_frames: set[int]) -> None:
    fps, width, height, _ = video_info(args.video)
    fourcc = cv2.VideoWriter_fourcc(*"mp4v")
    writer = cv2.VideoWriter(str(args.out / "overlay.mp4"), fourcc, args.fps or fps,
                             (width, height))
    (args.out / "frames").mkdir(exist_ok=True)
    for i, frame in video_frames(args.video, args.start, args.max_frames):
        people = [RenderedPerson(r.track_id, r.joints_camera, r.joint_source,
                                 camera_vertices(body, r) if body else None,
                                 r.keypoints if r.observed else None)
                  for r in per_frame.get(i, {}).values()]
        img = render_people(frame, people, K, faces, show_mesh=body is not None)
        draw_legend(img, SKELETON_LEGEND)
        draw_banner(img, f"frame {i}" + (f" | {banner}" if banner else ""))
        writer.write(img)
        if i in png_frames:
            cv2.imwrite(str(args.out / "frames" / f"frame_{i:05d}.png"), img)
    writer.release()


def pick_png_frames(per_frame: dict[int, dict], count: int) -> set[int]:
    """``count`` frames spread over the video, each the one with most people nearby."""
    frames = sorted(per_frame)
    if not frames or count <= 0:
        return set()
    chunks = np.array_split(np.array(frames), min(count, len(frames)))
    return {int(max(c, key=lambda f: len(per_frame[f]))) for c in chunks if len(c)}


class CollectedFrames:
    """The runtime's sink for a video: every released image, kept in order."""

    def __init__(self) -> None:
        self.frames: list[ImageFrame] = []

    def wants_image(self) -> bool:
        return False

    def publish(self, frame: ImageFrame, image) -> None:
        self.frames.append(frame)

    def forget(self, live_tracks: set[int]) -> None:
        pass

    def reset(self, stamp: float) -> None:
        pass


def video_settings(args) -> NodeSettings:
    """The node's settings with fhmr-video's own differences and the command line's."""
    return settings_from_overrides({
        **OFFLINE_DIFFERENCES["fhmr-video"], "stride": args.stride, "lag": args.lag,
        "steps": args.steps or 0, "detector": args.detector, "landmarks": args.landmarks,
        "device": args.device, "checkpoint": str(args.checkpoint or ""),
        "body_model_path": str(args.body_model or ""), "use_odometry": False,
        **({} if args.camera_pitch is None else {"static_camera_pitch_deg": args.camera_pitch}),
        **({} if args.camera_height is None else {"static_camera_height_m": args.camera_height})})


def stream_video(args, settings: NodeSettings, parts: RuntimeParts, K: np.ndarray,
                 size: tuple[int, int], fps: float
                 ) -> tuple[StreamRuntime, list[ImageFrame], int]:
    """Every frame of the video through the runtime, in order, nothing dropped: (the
    stopped runtime, the released images, the number of frames read)."""
    sink = CollectedFrames()
    runtime = build_runtime(settings, parts, lambda image: image, sink,
                            refuse_zero_stamps=False)
    runtime.set_camera_info(K, size)
    runtime.start()
    frames = 0
    try:
        for i, frame in video_frames(args.video, args.start, args.max_frames):
            runtime.add_image(i / fps, "", frame, wait=True)
            frames += 1
            if args.progress and frames % 25 == 0:
                print(f"fhmr-video: frame {i}: {len(parts.pipeline.live_tracks())} tracks",
                      file=sys.stderr)
        runtime.wait_until_idle(timeout_s=3600.0)
    finally:
        runtime.stop()
    if frames == 0:
        raise ValueError(f"no frames read from {args.video} (start {args.start})")
    return runtime, sink.frames, frames


def run(args) -> dict:
    fps_meta, width, height, count = video_info(args.video)
    fps = args.fps or fps_meta
    if not fps or fps <= 0 or not math.isfinite(fps):
        raise ValueError(f"{args.video} has no frame rate; give --fps")
    settings = video_settings(args)
    parts = build_parts(settings)
    camera = video_camera(args, parts, (width, height), fps)
    print(f"fhmr-video: {camera.describe()}", file=sys.stderr)
    parts.poses.static = T_wc = camera.T_world_camera
    K, assumed = camera.K, not camera.report["focal_determined"]
    model, pipeline = parts.model, parts.pipeline
    runtime, released, frames = stream_video(args, settings, parts, K, (width, height), fps)
    frame_of = lambda f: int(round(f.stamp * fps))  # noqa: E731  the image's video frame
    detections = [(frame_of(f), d) for f in released for d in f.detections]
    ids_seen = {t for f in released for t, info in f.expected.items()
                if info["state"] == TrackState.CONFIRMED.value}
    timings = {stage: [getattr(f.timings, stage) for f in released]
               for stage in ("detector", "tracker", "model")}
    timings["people"] = [len(f.detections) for f in released]
    per_frame = {frame_of(f): f.results for f in released if f.results}
    args.out.mkdir(parents=True, exist_ok=True)
    meta = dict(K=K.astype(np.float32), image_size=np.array([width, height], np.int32),
                fps=np.float32(fps), focal_assumed=assumed,
                T_world_camera=T_wc.astype(np.float32),
                keypoint_format=pipeline.detector.keypoint_format,
                joint_source=joint_source().numpy())
    rows = save_results(args.out / "results.npz", per_frame, detections, meta)
    banner = f"focal length assumed: {K[0, 0]:.0f} px (not determined)" if assumed else None
    body = parts.body
    render(args, per_frame, K, None if args.no_mesh else body, body.faces, banner,
           pick_png_frames(per_frame, args.pngs))
    tracks = defaultdict(list)
    for f in sorted(per_frame):
        for tid, r in per_frame[f].items():
            tracks[tid].append(r.pelvis_world)
    lean = body_lean_deg(per_frame)
    plot_world_trajectories({t: np.stack(p) for t, p in tracks.items()}, T_wc[None, :3, 3],
                            args.out / "trajectories.png", f"world trajectories: {args.video.name}",
                            f"static camera, pitch {camera.report['pitch_deg']:.1f}°, height "
                            f"{camera.report['height_m']:.2f} m; mean body lean {lean:.0f}°")
    engine, tracker = pipeline.engine.stats, pipeline.tracker
    summary = {
        "video": str(args.video), "frames": frames, "first_frame": args.start, "fps": fps,
        "video_frames_total": count, "image_size": [width, height],
        "focal_px": round(float(K[0, 0]), 1), "focal_assumed": assumed,
        "camera": camera.report,
        "detections": len(detections), "people_per_frame": percentiles(timings["people"]),
        "confirmed_track_ids": sorted(ids_seen), "tracks_with_output": len(tracks),
        "result_rows": rows, "mean_body_lean_deg": round(lean, 1),
        "suggested_camera_pitch_deg": round(suggested_pitch_deg(per_frame), 1),
        "timings_ms_per_frame": {s: percentiles(timings[s])
                                 for s in ("detector", "tracker", "model")},
        "model_run_ms": percentiles(engine.run_ms), "model_runs": engine.runs,
        "engine": {"stride": pipeline.engine.cfg.stride, "lag": pipeline.engine.cfg.lag,
                   "window": pipeline.engine.window, "model_fps": model.cfg.fps,
                   "frames_published": engine.frames_published,
                   "tracks_started": engine.tracks_started,
                   "short_tracks_dropped": engine.short_tracks_dropped,
                   "unseen_runs": engine.unseen_runs},
        "tracker": {"created": tracker.num_created,
                    "rejected_over_limit": tracker.num_rejected_over_limit,
                    "ignored_low_score": tracker.num_ignored_low_score},
        "images_released": len(released), "problems": runtime.problems(),
        "threads": torch.get_num_threads(), "device": args.device,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="fhmr-video", description=__doc__.split("\n")[0])
    ap.add_argument("video", type=Path)
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--fps", type=float, default=None,
                    help="frame rate (default: the video's own)")
    ap.add_argument("--intrinsics", default=None, metavar="FX,FY,CX,CY",
                    help="pixels (default: estimated from the people, else the image "
                         "diagonal; centred)")
    ap.add_argument("--static-camera", action="store_true", default=True,
                    help="the camera does not move (the only mode for plain videos)")
    ap.add_argument("--camera-pitch", type=float, default=None,
                    help="downward tilt of the camera in degrees (default: estimated from "
                         "the people, with the roll)")
    ap.add_argument("--camera-height", type=float, default=None,
                    help="camera height above the ground in metres (default: estimated "
                         "from the people)")
    ap.add_argument("--calibration-frames", type=int, default=300, metavar="N",
                    help="frames the camera is estimated from, when not all of "
                         "--intrinsics, --camera-pitch and --camera-height are given")
    ap.add_argument("--start", type=int, default=0, help="first frame")
    ap.add_argument("--max-frames", type=int, default=None)
    ap.add_argument("--stride", type=int, default=VIDEO["stride"],
                    help="engine stride (model frames)")
    ap.add_argument("--lag", type=int, default=VIDEO["lag"],
                    help="engine look-ahead (model frames)")
    ap.add_argument("--steps", type=int, default=None, help="ODE steps (default: checkpoint)")
    ap.add_argument("--detector", default=DEFAULTS["detector"],
                    help="'movenet_blazepose', 'mediapipe' or an installed plugin's name "
                         "(a KeypointDetector declared in the entry point group "
                         "fhmr_ros.detectors)")
    ap.add_argument("--landmarks", choices=NETWORKS, default=DEFAULTS["landmarks"],
                    help="movenet_blazepose's BlazePose landmark network (lite: faster, "
                         "less exact)")
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--body-model", type=Path, default=None,
                    help="SMPL-X .npz for the rendered mesh (default: the stand-in)")
    ap.add_argument("--no-mesh", action="store_true", help="draw skeletons only")
    ap.add_argument("--pngs", type=int, default=4, help="overlay frames saved as PNG")
    ap.add_argument("--device", default=DEFAULTS["device"])
    ap.add_argument("--progress", action="store_true")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        s = run(args)
    except (ValueError, FileNotFoundError) as e:
        print(f"fhmr-video: error: {e}", file=sys.stderr)
        return 2
    t = s["timings_ms_per_frame"]
    print(f"fhmr-video: {s['frames']} frames at {s['fps']:g} fps, {s['detections']} detections, "
          f"{len(s['confirmed_track_ids'])} confirmed tracks, {s['result_rows']} results")
    print(f"  per frame (ms, p50/p95): detector {t['detector']['p50']}/{t['detector']['p95']}, "
          f"tracker {t['tracker']['p50']}/{t['tracker']['p95']}, "
          f"model {t['model']['p50']}/{t['model']['p95']}; "
          f"model run {s['model_run_ms'].get('p50')} ms x {s['model_runs']}")
    print(f"  mean body lean from world vertical: {s['mean_body_lean_deg']}°; the bodies "
          f"suggest --camera-pitch {s['suggested_camera_pitch_deg']}")
    print(f"  wrote {args.out}/results.npz, overlay.mp4, frames/*.png, trajectories.png, "
          "summary.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
