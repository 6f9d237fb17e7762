"""fhmr_node's parameters, each written once: its default, range, unit, whether it changes
live and one sentence. Everything else is derived from this table or checked against it:
the node's declarations and descriptors (fhmr_ros/ros/node_parameters.py), config/fhmr.yaml
and docs/parameters.md (written by ``python -m fhmr_ros.tools.settings_files``; a test
fails when they differ), the launch file's arguments, and the defaults of the offline
commands and of the streaming engine.

The offline commands differ from the node on purpose in these (OFFLINE_DIFFERENCES):
  fhmr-video  stride 16, lag 16: nobody waits on a video, so a longer look-ahead and fewer
              model runs cost nothing and give smoother motion; max_people 16: no frame
              budget to keep, so every person of a crowd is followed; flush_idle_s 0.2: the
              end of a file is known, nothing to wait for.
No ROS import here: training, evaluation and the offline tools read it anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

PRESETS = ("lite", "medium", "full")
LANDMARK_NETWORKS = ("full", "lite")     # fhmr_ros.perception.blazepose_landmarks.NETWORKS
GROUPS = ("model", "inputs", "detection, tracking, streaming", "outputs", "lifecycle")


@dataclass(frozen=True)
class Spec:
    """What a parameter means and which values it takes (besides its default)."""

    description: str
    group: str
    unit: str = ""
    at_least: float | None = None       # inclusive lower bound
    positive: bool = False              # must be > 0
    choices: tuple[str, ...] = ()
    live: bool = False                  # changes while the node runs (else: at configure)


def _setting(default: Any, description: str, group: str, **spec) -> Any:
    return field(default=default, metadata={"spec": Spec(description, group, **spec)})


@dataclass(frozen=True)
class NodeSettings:
    """The node's parameters (and fhmr-bag's); ``__post_init__`` refuses what the node
    cannot run with, naming the parameter."""

    # model
    preset: str = _setting(
        "lite", "model preset: lite (shipped, CPU real time), medium (CPU real time) or full "
        "(GPU); medium and full must be trained first (fhmr-train --ship models)", "model")
    checkpoint: str = _setting(
        "", "path of a model checkpoint; empty: models/fhmr_<preset>.pt", "model")
    body_model_path: str = _setting(
        "", "SMPL-X .npz (SMPLX_NEUTRAL.npz) for meshes; empty: generated stand-in", "model")
    device: str = _setting(
        "cpu", "device of the model and the detector: cpu, cuda, cuda:1, ...", "model")
    threads: int = _setting(
        0, "CPU threads in all: the detector's runtime (perception thread) gets half, torch "
        "(model thread) the rest, as the two run at the same time; 0: all cores, at most 4",
        "model", at_least=0)
    # inputs
    input: str = _setting(
        "image", "image: run the pose detector on 'image'; keypoints: take the people "
        "another node's pose detector found, fhmr_ros/PersonKeypointsArray on 'keypoints' "
        "(no detector is loaded)", "inputs", choices=("image", "keypoints"))
    image_transport: str = _setting(
        "raw", "raw (sensor_msgs/Image on 'image') or compressed ('image/compressed')",
        "inputs", choices=("raw", "compressed"))
    queue_size: int = _setting(
        2, "images waiting for the worker (and the image subscription's depth); when full "
        "the oldest is dropped (counted)", "inputs", unit="images", at_least=1)
    reliable_images: bool = _setting(
        False, "subscribe to images reliably (none may be lost, e.g. in tests); default best "
        "effort, as for sensor data", "inputs")
    max_image_pixels: int = _setting(
        4096 * 4096, "images with more pixels are refused (counted)", "inputs",
        unit="pixels", at_least=1)
    camera_frame: str = _setting(
        "", "camera optical frame id for outputs; empty: the image header's frame_id",
        "inputs")
    world_frame: str = _setting(
        "odom", "world frame id of world outputs (the odometry frame, REP-105 odom)",
        "inputs")
    use_odometry: bool = _setting(
        True, "true: camera pose from odom at each image stamp; false: static camera",
        "inputs")
    base_frame: str = _setting(
        "base_link", "the robot's base frame: odometry's child frame, from which the camera "
        "extrinsics are looked up in TF", "inputs")
    camera_extrinsics: tuple = _setting(
        (), "base -> camera optical pose [x, y, z, qx, qy, qz, qw], overriding TF; empty "
        "(default): looked up from base_frame to each image's frame_id on /tf_static and /tf",
        "inputs", unit="m, quaternion")
    odom_wait_s: float = _setting(
        0.5, "how long an image may wait for odometry (and TF extrinsics) covering its "
        "stamp, and for the first camera_info", "inputs", unit="s", positive=True)
    odom_extrapolate_s: float = _setting(
        0.2, "an image at most this much newer than the newest odometry, still uncovered "
        "after odom_wait_s, is placed by extrapolating that odometry's own twist (counted "
        "images_pose_extrapolated); 0: never, the image is dropped", "inputs", unit="s",
        at_least=0.0)
    odom_reliability: str = _setting(
        "best_effort", "QoS reliability of the odom subscription: best_effort "
        "(default: a lost sample is replaced by the next; measured best with raw images on "
        "the wire, docs/benchmarks.md), reliable (lost samples are sent again, but later "
        "ones wait for them), or auto (reliable while every publisher is)", "inputs",
        choices=("best_effort", "reliable", "auto"))
    flush_idle_s: float = _setting(
        1.0, "after this long without images, publish the frames held back by the lag and "
        "end the tracks", "inputs", unit="s", positive=True)
    static_camera_pitch_deg: float = _setting(
        0.0, "static camera (no odometry): downward tilt", "inputs", unit="deg")
    static_camera_height_m: float = _setting(
        1.5, "static camera (no odometry): height above the ground", "inputs", unit="m",
        positive=True)
    # detection, tracking, streaming
    detector: str = _setting(
        "movenet_blazepose", "keypoint detector: movenet_blazepose (ONNX, default), "
        "mediapipe, or the name of an installed plugin (entry point group "
        "fhmr_ros.detectors)", "detection, tracking, streaming")
    landmarks: str = _setting(
        "full", "BlazePose landmark network of movenet_blazepose: full (default) or lite "
        "(faster, less exact; docs/benchmarks.md)", "detection, tracking, streaming",
        choices=LANDMARK_NETWORKS)
    search_every: int = _setting(
        4, "a region-following detector (movenet_blazepose) searches the whole image for new "
        "people every this many images (and after a track is lost); in between it follows "
        "the tracked people", "detection, tracking, streaming", unit="images", at_least=1,
        live=True)
    max_people: int = _setting(
        8, "at most this many people are tracked; extra detections are counted",
        "detection, tracking, streaming", unit="people", at_least=1, live=True)
    window: int = _setting(
        0, "model frames per window; 0: the checkpoint's", "detection, tracking, streaming",
        unit="model frames (30 fps)", at_least=0)
    stride: int = _setting(
        8, "model frames between model runs of a track", "detection, tracking, streaming",
        unit="model frames (30 fps)", at_least=1)
    lag: int = _setting(
        4, "model frames of look-ahead before a frame is published (0 = causal)",
        "detection, tracking, streaming", unit="model frames (30 fps)", at_least=0)
    steps: int = _setting(
        0, "ODE steps of Stage 2; 0: the checkpoint's", "detection, tracking, streaming",
        at_least=0)
    known_frames: int = _setting(
        0, "the latest frames of a track already published that its next model run holds as "
        "known (temporal inpainting; >= window: all). 0 (none) is the more accurate with all "
        "33 MediaPipe keypoints; a COCO-17 source (input: keypoints) does better holding all "
        "(docs/evaluation.md)", "detection, tracking, streaming", unit="model frames",
        at_least=0)
    hypotheses: int = _setting(
        1, "Stage-2 samples per window; > 1 gives per-joint uncertainty",
        "detection, tracking, streaming", at_least=1, live=True)
    max_gap_s: float = _setting(
        0.6, "gaps between a track's detections up to this long are interpolated",
        "detection, tracking, streaming", unit="s", positive=True)
    align_root: bool = _setting(
        True, "move each pelvis so that the skeleton projects onto the keypoints",
        "detection, tracking, streaming")
    floor_constraint: bool = _setting(
        True, "scale each person so that the feet Stage 2 says are in contact stand on the "
        "floor (floor_frame, or floor_height_m): fixes monocular depth and size "
        "within the adult range", "detection, tracking, streaming")
    floor_frame: str = _setting(
        "base_footprint", "the floor is z = 0 of this TF frame (REP-120's base_footprint, "
        "under the base on the floor), looked up from base_frame at each image; where TF "
        "does not have it (or it is empty): floor_height_m", "detection, tracking, streaming")
    floor_height_m: float = _setting(
        0.0, "the floor's height in the world frame where floor_frame is not in TF "
        "(odometry's frame: 0 where the base stands on it)", "detection, tracking, streaming",
        unit="m")
    subject_height_m: float = _setting(
        0.0, "a known performer's height: every person is scaled to it (0: unknown)",
        "detection, tracking, streaming", unit="m", at_least=0.0)
    # outputs
    publish_tf: bool = _setting(True, "publish a body_<id> TF frame per person", "outputs")
    publish_joint_frames: bool = _setting(
        False, "also publish body_<id>_<joint> frames", "outputs", live=True)
    publish_markers: bool = _setting(True, "publish ~/markers for RViz", "outputs", live=True)
    publish_hri: bool = _setting(
        True, "publish ROS4HRI's (REP-155) /humans/bodies/tracked and, per body, "
        "/humans/bodies/<id>/{roi,skeleton2d,position,velocity,joint_states}", "outputs",
        live=True)
    publish_g1: bool = _setting(
        False, "publish ~/g1/<id>/joint_states (sensor_msgs/JointState): each person "
        "retargeted live onto the Unitree G1's 29 joints (mink IK, about 4 ms per person "
        "and image on 2 cores: fhmr-bench g1)", "outputs", live=True)
    mesh_markers: bool = _setting(
        True, "include a decimated body mesh per person in the markers", "outputs")
    marker_lifetime_s: float = _setting(
        1.0, "marker lifetime: people not seen for this long vanish", "outputs", unit="s",
        positive=True, live=True)
    trajectory_length: int = _setting(
        300, "world trajectory samples kept per person", "outputs", unit="samples",
        at_least=1)
    diagnostics_period_s: float = _setting(
        1.0, "period of /diagnostics messages", "outputs", unit="s", positive=True)
    # lifecycle
    autostart: bool = _setting(
        True, "true: configure and activate at start-up and exit if that fails (a plain "
        "node); false: wait in 'unconfigured' for a lifecycle manager (ros2 lifecycle set, "
        "nav2_lifecycle_manager)", "lifecycle")

    def __post_init__(self) -> None:
        for f in fields(self):
            check_value(f.name, getattr(self, f.name))
        if len(self.camera_extrinsics) not in (0, 7):
            raise ValueError("parameter camera_extrinsics must be [x, y, z, qx, qy, qz, qw] "
                             f"(7 numbers), or empty for TF, got {len(self.camera_extrinsics)}")
        if not (self.device in ("cpu", "cuda")
                or (self.device.startswith("cuda:") and self.device[5:].isdigit())):
            raise ValueError(f"parameter device must be cpu, cuda or cuda:N, got "
                             f"{self.device!r}")


def check_value(name: str, value: Any) -> None:
    """ValueError naming the parameter when ``value`` is out of its range or choices."""
    s = SPECS[name]
    if s.at_least is not None and value < s.at_least:
        raise ValueError(f"parameter {name} must be >= {s.at_least:g}, got {value}")
    if s.positive and not value > 0:
        raise ValueError(f"parameter {name} must be > 0, got {value}")
    if s.choices and value not in s.choices:
        raise ValueError(f"parameter {name} must be one of {', '.join(s.choices)}, got "
                         f"{value!r}")


def defaults() -> dict[str, Any]:
    """Parameter name -> default, in declaration order."""
    return {f.name: f.default for f in fields(NodeSettings)}


def settings_from_overrides(overrides: dict[str, Any]) -> NodeSettings:
    """NodeSettings with some values replaced (offline tools, ``-p name:=value``);
    ValueError for an unknown name or a value of the wrong type."""
    kinds = {f.name: type(f.default) for f in fields(NodeSettings)}
    values = {}
    for name, value in overrides.items():
        if name not in kinds:
            raise ValueError(f"unknown parameter {name!r}; known: {sorted(kinds)}")
        kind = kinds[name]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        elif kind is tuple and isinstance(value, list):
            value = tuple(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"parameter {name} must be {kind.__name__}, got {value!r}")
        values[name] = value
    return NodeSettings(**values)


SPECS: dict[str, Spec] = {f.name: f.metadata["spec"] for f in fields(NodeSettings)}
LIVE = tuple(name for name, s in SPECS.items() if s.live)

# the offline commands' defaults that differ from the node's on purpose (module docstring)
OFFLINE_DIFFERENCES = {"fhmr-video": {"stride": 16, "lag": 16, "max_people": 16,
                                      "flush_idle_s": 0.2}}
