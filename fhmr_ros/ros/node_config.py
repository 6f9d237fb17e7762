"""fhmr_node's parameters: one table with defaults and descriptions, read into a dataclass.

config/fhmr.yaml lists the same parameters (a test keeps the two in step) and the README
documents them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import ParameterException, ParameterUninitializedException
from rclpy.node import Node
from rclpy.parameter import Parameter

from ..perception.blazepose_landmarks import NETWORKS
from ..streaming.engine import StreamingConfig


@dataclass
class NodeConfig:
    # model
    preset: str = "lite"                 # lite | medium | full: models/fhmr_<preset>.pt
    checkpoint: str = ""                 # a checkpoint file instead of the preset's
    body_model_path: str = ""            # SMPL-X .npz for meshes ("" = generated stand-in)
    device: str = "cpu"                  # torch device, e.g. cuda:0
    threads: int = 0                     # CPU threads: half detector, half torch (0 = auto)
    # inputs
    input: str = "image"                 # image | keypoints (another node's detections)
    image_transport: str = "raw"         # raw: <image>; compressed: <image>/compressed
    queue_size: int = 2                  # images waiting for the worker; older ones dropped
    reliable_images: bool = False        # reliable image subscription (default: best effort)
    max_image_pixels: int = 4096 * 4096  # larger images are refused (counted)
    camera_frame: str = ""               # optical frame id ("" = the image header's)
    world_frame: str = "odom"            # frame of world outputs (odometry's frame)
    use_odometry: bool = True            # False: static camera, world = levelled camera
    base_frame: str = "base_link"        # odometry's child frame; extrinsics are from it
    camera_extrinsics: tuple = ()        # base->optical x y z qx..qw (empty: from TF)
    odom_wait_s: float = 0.5             # how long an image waits for odometry and TF
    flush_idle_s: float = 1.0            # no image this long: publish what the lag holds back
    static_camera_pitch_deg: float = 0.0  # static camera: downward tilt
    static_camera_height_m: float = 1.5   # static camera: height above the ground
    # detection, tracking, streaming
    detector: str = "movenet_blazepose"  # | mediapipe | an installed plugin's name
    landmarks: str = "full"              # movenet_blazepose's BlazePose network: full | lite
    search_every: int = 4                # whole-image person search every N images
    max_people: int = 8                  # tracks kept; more people are counted, not tracked
    window: int = 0                      # model frames per window (0 = checkpoint's)
    stride: int = StreamingConfig.stride  # model frames between runs per track
    lag: int = StreamingConfig.lag       # model frames of look-ahead before publishing
    steps: int = 0                       # ODE steps (0 = checkpoint's)
    known_frames: int = 0                # published frames a run holds known (≥ window: all)
    hypotheses: int = 1                  # > 1: per-joint uncertainty from the samples
    max_gap_s: float = 0.6               # detection gaps interpolated up to this long
    align_root: bool = True              # fit each pelvis to the keypoints
    # outputs
    publish_tf: bool = True              # body_<id> frames
    publish_joint_frames: bool = False   # body_<id>_<joint> frames too (TF volume)
    publish_markers: bool = True
    mesh_markers: bool = True            # decimated mesh per person in the markers
    marker_lifetime_s: float = 1.0       # stale people vanish from RViz after this
    trajectory_length: int = 300         # samples kept per person in ~/trajectories
    diagnostics_period_s: float = 1.0
    # lifecycle
    autostart: bool = True               # configure + activate at start-up (a plain node)

    def __post_init__(self) -> None:
        """Refuse values the node cannot run with; the message names the parameter."""
        for name, low in AT_LEAST.items():
            if getattr(self, name) < low:
                raise ValueError(f"parameter {name} must be >= {low}, got "
                                 f"{getattr(self, name)}")
        for name in POSITIVE:
            if not getattr(self, name) > 0:
                raise ValueError(f"parameter {name} must be > 0, got {getattr(self, name)}")
        if self.input not in ("image", "keypoints"):
            raise ValueError(f"parameter input must be image or keypoints, got {self.input!r}")
        if self.landmarks not in NETWORKS:
            raise ValueError(f"parameter landmarks must be one of {', '.join(NETWORKS)}, got "
                             f"{self.landmarks!r}")
        if self.image_transport not in ("raw", "compressed"):
            raise ValueError(f"parameter image_transport must be raw or compressed, got "
                             f"{self.image_transport!r}")
        if len(self.camera_extrinsics) not in (0, 7):
            raise ValueError("parameter camera_extrinsics must be [x, y, z, qx, qy, qz, qw] "
                             f"(7 numbers), or empty for TF, got {len(self.camera_extrinsics)}")
        if not (self.device == "cpu" or self.device == "cuda"
                or (self.device.startswith("cuda:") and self.device[5:].isdigit())):
            raise ValueError(f"parameter device must be cpu, cuda or cuda:N, got "
                             f"{self.device!r}")


# integer parameters' lower bounds
AT_LEAST = {"queue_size": 1, "max_image_pixels": 1, "search_every": 1, "max_people": 1,
            "stride": 1, "hypotheses": 1, "trajectory_length": 1, "threads": 0, "window": 0,
            "lag": 0, "steps": 0, "known_frames": 0}
POSITIVE = ("odom_wait_s", "flush_idle_s", "max_gap_s", "marker_lifetime_s",
            "diagnostics_period_s", "static_camera_height_m")   # floats that must be > 0
# what may change while the node runs (the node's set-parameters callback applies them);
# everything else is read at configure and may change only while the node is unconfigured
LIVE = ("max_people", "search_every", "hypotheses", "publish_joint_frames", "publish_markers",
        "marker_lifetime_s")
INT_MAX = 2 ** 31 - 1

DESCRIPTIONS = {
    "preset": "model preset: lite (shipped, CPU real time), medium (CPU real time) or full "
              "(GPU); medium and full must be trained first (fhmr-train --ship models)",
    "checkpoint": "path of a model checkpoint; empty: models/fhmr_<preset>.pt",
    "body_model_path": "SMPL-X .npz (SMPLX_NEUTRAL.npz) for meshes; empty: generated stand-in",
    "device": "device of the model and the detector: cpu, cuda, cuda:1, ...",
    "threads": "CPU threads in all: the detector's runtime (perception thread) gets half, "
               "torch (model thread) the rest, as the two run at the same time; 0: all "
               "cores, at most 4",
    "input": "image: run the pose detector on 'image'; keypoints: take the people another "
             "node's pose detector found, fhmr_ros/PersonKeypointsArray on 'keypoints' (no "
             "detector is loaded)",
    "image_transport": "raw (sensor_msgs/Image on 'image') or compressed ('image/compressed')",
    "queue_size": "images waiting for the worker (and the image subscription's depth); when "
                  "full the oldest is dropped (counted)",
    "reliable_images": "subscribe to images reliably (none may be lost, e.g. in tests); "
                       "default best effort, as for sensor data",
    "max_image_pixels": "images with more pixels are refused (counted)",
    "camera_frame": "camera optical frame id for outputs; empty: the image header's frame_id",
    "world_frame": "world frame id of world outputs (the odometry frame, REP-105 odom)",
    "use_odometry": "true: camera pose from odom at each image stamp; false: static camera",
    "base_frame": "the robot's base frame: odometry's child frame, from which the camera "
                  "extrinsics are looked up in TF",
    "camera_extrinsics": "base -> camera optical pose [x, y, z, qx, qy, qz, qw], overriding "
                         "TF; empty (default): looked up from base_frame to each image's "
                         "frame_id on /tf_static and /tf",
    "odom_wait_s": "how long an image may wait for odometry (and TF extrinsics) covering "
                   "its stamp, and for the first camera_info",
    "flush_idle_s": "after this long without images, publish the frames held back by the lag "
                    "and end the tracks",
    "static_camera_pitch_deg": "static camera (no odometry): downward tilt in degrees",
    "static_camera_height_m": "static camera (no odometry): height above the ground in m",
    "detector": "keypoint detector: movenet_blazepose (ONNX, default), mediapipe, or the "
                "name of an installed plugin (entry point group fhmr_ros.detectors)",
    "landmarks": "BlazePose landmark network of movenet_blazepose: full (default) or lite "
                 "(faster, less exact; measured in README '2D front-end')",
    "search_every": "a region-following detector (movenet_blazepose) searches the whole "
                    "image for new people every this many images (and after a track is "
                    "lost); in between it follows the tracked people",
    "max_people": "at most this many people are tracked; extra detections are counted",
    "window": "model frames per window; 0: the checkpoint's",
    "stride": "model frames between model runs of a track",
    "lag": "model frames of look-ahead before a frame is published (0 = causal)",
    "steps": "ODE steps of Stage 2; 0: the checkpoint's",
    "known_frames": "the latest frames of a track already published that its next model run "
                    "holds as known (temporal inpainting; >= window: all). 0 (none) is the "
                    "more accurate with all 33 MediaPipe keypoints; a COCO-17 source "
                    "(input: keypoints) does better holding all (README: streaming)",
    "hypotheses": "Stage-2 samples per window; > 1 gives per-joint uncertainty",
    "max_gap_s": "gaps between a track's detections up to this long are interpolated",
    "align_root": "move each pelvis so that the skeleton projects onto the keypoints",
    "publish_tf": "publish a body_<id> TF frame per person",
    "publish_joint_frames": "also publish body_<id>_<joint> frames",
    "publish_markers": "publish ~/markers for RViz",
    "mesh_markers": "include a decimated body mesh per person in the markers",
    "marker_lifetime_s": "marker lifetime: people not seen for this long vanish",
    "trajectory_length": "world trajectory samples kept per person",
    "diagnostics_period_s": "period of /diagnostics messages",
    "autostart": "true: configure and activate at start-up and exit if that fails (a plain "
                 "node); false: wait in 'unconfigured' for a lifecycle manager "
                 "(ros2 lifecycle set, nav2_lifecycle_manager)",
}


def declare_parameters(node: Node) -> dict[str, str]:
    """Declare every parameter on ``node`` (defaults from NodeConfig, descriptors below).
    A value given at launch that its range or type refuses is replaced by the default and
    returned, name -> why, so that the node starts and configure reports it (a lifecycle
    node must stay up, unconfigured, until the value is fixed)."""
    refused = {}
    for f in fields(NodeConfig):
        default = f.default
        if isinstance(default, tuple):      # an empty list would be declared as bytes
            default = list(default) if default else Parameter.Type.DOUBLE_ARRAY
        try:
            node.declare_parameter(f.name, default, descriptor(f.name))
        except ParameterException as e:      # out of range, or of the wrong type
            refused[f.name] = str(e)
            node.declare_parameter(f.name, default, descriptor(f.name), ignore_override=True)
    return refused


def read_config(node: Node) -> NodeConfig:
    """The declared parameters' current values as a NodeConfig; ValueError naming the
    parameter for a value the node cannot run with."""
    values = {}
    for f in fields(NodeConfig):
        try:
            value = node.get_parameter(f.name).value
        except ParameterUninitializedException:   # declared by type only and left unset
            value = None
        values[f.name] = tuple(value or ()) if isinstance(f.default, tuple) else value
    return NodeConfig(**values)


def descriptor(name: str) -> ParameterDescriptor:
    """The parameter's description, its range where it has one, and when it takes effect
    (``additional_constraints``): live, or read at configure."""
    d = ParameterDescriptor(description=DESCRIPTIONS[name], additional_constraints=(
        "changes live" if name in LIVE else
        "read at configure: change it while the node is unconfigured"))
    if name in AT_LEAST:
        d.integer_range = [IntegerRange(from_value=AT_LEAST[name], to_value=INT_MAX, step=1)]
    elif name in POSITIVE:
        d.floating_point_range = [FloatingPointRange(from_value=0.0, to_value=1e9, step=0.0)]
    return d


def config_from_overrides(overrides: dict[str, object]) -> NodeConfig:
    """NodeConfig with some values replaced (offline tools, ``-p name:=value``); ValueError
    for an unknown name or a value of the wrong type."""
    kinds = {f.name: type(f.default) for f in fields(NodeConfig)}
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
    return NodeConfig(**values)
