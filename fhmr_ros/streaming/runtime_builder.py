"""One builder of the streaming runtime from NodeSettings, for the node, fhmr-bag and
fhmr-video: model, body model, pose networks, tracker, engine and camera poses. Problems a
user can fix (a missing file, a device this torch cannot use) raise StartupError naming the
problem and its fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from ..body.body_model import BodyModel
from ..body.rest_measures import sole_clearance, stature
from ..body.standin_model import ensure_standin_model
from ..model.checkpoint import default_checkpoint, load_checkpoint
from ..model.kinematics import BodyGeometry
from ..model.pipeline import FactorizedHMR
from ..perception.detection import make_stream_detector
from ..perception.onnx_session import default_threads
from ..perception.tracker import MultiPersonTracker, TrackerConfig
from .camera_pose import CameraPoses, pose_from_xyz_quaternion, static_world_camera
from .engine import StreamingConfig, StreamingEngine
from .floor_scale import FloorConfig
from .human_pipeline import EXTRA_DETECTIONS, HumanPipeline
from .settings import NodeSettings
from .output_stage import OutputSink
from .stream_runtime import RuntimeConfig, StreamRuntime, share_threads


class StartupError(RuntimeError):
    """A file or package the runtime needs is missing; the message names it and how to get
    it."""


ADULT_STATURE_M = (1.45, 2.05)      # the floor scale keeps people within this

@dataclass
class RuntimeParts:
    """What the builder loads; the caller adds the decoder and the sink."""

    model: FactorizedHMR
    body: BodyModel
    pipeline: HumanPipeline
    poses: CameraPoses

    @property
    def keypoint_format(self) -> str:
        """Keypoint format of the people the pipeline sees (detector's, or the model's for
        another node's keypoints)."""
        detector = self.pipeline.detector
        return detector.keypoint_format if detector else self.model.cfg.inputs.keypoint_format


def load_model(settings: NodeSettings) -> FactorizedHMR:
    path = Path(settings.checkpoint) if settings.checkpoint else default_checkpoint(
        settings.preset)
    if not path.is_file():
        raise StartupError(
            f"model checkpoint {path} not found. The lite checkpoint ships in the package's "
            "models/ folder; train another preset with `fhmr-train --preset medium|full --ship "
            "models` (docs/training.md), or set the 'checkpoint' parameter to a file.")
    check_device(settings.device)
    try:
        return load_checkpoint(path, settings.device)
    except ValueError as e:
        raise StartupError(f"{e}. Point the 'checkpoint' parameter at a checkpoint written "
                           "by fhmr-train, or leave it empty for the shipped one.") from e


def check_device(device: str) -> None:
    """A CUDA device that this torch cannot use is a start-up error, not an assertion."""
    if not device.startswith("cuda"):
        return
    if not torch.cuda.is_available():
        why = ("this torch is built without CUDA" if torch.version.cuda is None
               else "no GPU is visible (driver, CUDA_VISIBLE_DEVICES?)")
        raise StartupError(f"device {device!r} asked for, but {why}: set device:=cpu, or "
                           "install a CUDA build of torch on a machine with an NVIDIA GPU.")
    index = int(device.split(":")[1]) if ":" in device else 0
    if index >= torch.cuda.device_count():
        raise StartupError(f"device {device!r} asked for, but only "
                           f"{torch.cuda.device_count()} GPU(s) are visible")


def load_body(settings: NodeSettings) -> BodyModel:
    if not settings.body_model_path:
        return BodyModel(ensure_standin_model())
    path = Path(settings.body_model_path)
    if not path.is_file():
        raise StartupError(
            f"body model {path} not found. SMPL-X files are licence-gated: register at "
            "https://smpl-x.is.tue.mpg.de, download SMPLX_NEUTRAL.npz and point "
            "'body_model_path' at it, or leave it empty to use the generated stand-in.")
    return BodyModel(path)


def floor_config(settings: NodeSettings, body: BodyModel) -> FloorConfig | None:
    """The floor scale's settings (streaming/floor_scale.py), with the adult stature range
    and the performer's height turned into skeleton heights of the body model (the ratio
    of its rest head-over-ankles height to its stature, at the mean shape); None when
    neither the floor nor a height sets the scale."""
    if not settings.floor_constraint and settings.subject_height_m <= 0:
        return None
    mean = np.zeros(10, np.float32)
    skeleton = float(BodyGeometry(body.J_template, body.J_shapedirs).skeleton_height(
        torch.from_numpy(mean)))
    ratio = skeleton / stature(body, mean)
    return FloorConfig(floor_z=settings.floor_height_m, clearance_m=sole_clearance(body, mean),
                       skeleton_range_m=(ratio * ADULT_STATURE_M[0], ratio * ADULT_STATURE_M[1]),
                       subject_skeleton_m=ratio * settings.subject_height_m,
                       use_floor=settings.floor_constraint)


def build_pipeline(settings: NodeSettings, model: FactorizedHMR, detector_threads: int,
                   first_id: int = 1, body: BodyModel | None = None) -> HumanPipeline:
    """Detector (none when another node's keypoints come in), tracker (ids from
    ``first_id``) and engine (with ``body``, the body model, for the floor scale)."""
    engine = StreamingEngine(model, StreamingConfig(
        window=settings.window or None, stride=settings.stride, lag=settings.lag,
        steps=settings.steps or None, known_frames=settings.known_frames,
        hypotheses=settings.hypotheses, max_gap_s=settings.max_gap_s,
        align_root=settings.align_root,
        floor=None if body is None else floor_config(settings, body)), settings.device)
    detector = None
    if settings.input == "image":
        try:
            detector = make_stream_detector(settings.detector, settings.device,
                                            detector_threads,
                                            settings.max_people + EXTRA_DETECTIONS,
                                            settings.landmarks)
        except (FileNotFoundError, ImportError, ValueError) as e:   # the message says why
            raise StartupError(f"detector {settings.detector!r}: {e}") from e
    tracker = MultiPersonTracker(TrackerConfig(max_tracks=settings.max_people,
                                               first_id=first_id))
    return HumanPipeline(detector, tracker, engine, search_every=settings.search_every)


def camera_poses(settings: NodeSettings) -> CameraPoses:
    """Odometry + extrinsics (the parameter, or TF when it is empty), or the static pose."""
    try:
        extrinsics = (pose_from_xyz_quaternion(settings.camera_extrinsics)
                      if settings.camera_extrinsics else None)        # None: from TF
    except ValueError as e:
        raise StartupError(f"invalid parameter camera_extrinsics: {e}") from e
    return CameraPoses(extrinsics, static_world_camera(settings.static_camera_pitch_deg,
                                                       settings.static_camera_height_m),
                       settings.use_odometry, settings.base_frame,
                       floor_frame=settings.floor_frame, floor_z=settings.floor_height_m)


def build_parts(settings: NodeSettings, first_id: int = 1) -> RuntimeParts:
    """Model, body model, pipeline and camera poses; the CPU threads are shared between
    the perception and the model thread (``share_threads``)."""
    model = load_model(settings)
    body = load_body(settings)
    threads = share_threads(settings.threads or default_threads())
    return RuntimeParts(model, body, build_pipeline(settings, model, threads, first_id, body),
                        camera_poses(settings))


def build_runtime(settings: NodeSettings, parts: RuntimeParts,
                  decode: Callable[[Any], np.ndarray], sink: OutputSink,
                  log: Callable[[str], None] | None = None,
                  refuse_zero_stamps: bool = True) -> StreamRuntime:
    """The runtime core around ``parts``; ``decode`` turns what ``add_image`` receives into
    a BGR image (or another detector's KeypointsFrame)."""
    return StreamRuntime(parts.pipeline, parts.poses, decode, sink,
                         RuntimeConfig(settings.queue_size, settings.odom_wait_s,
                                       settings.flush_idle_s, settings.odom_extrapolate_s,
                                       refuse_zero_stamps), log)
