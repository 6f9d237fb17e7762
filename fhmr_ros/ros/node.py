"""fhmr_node: FactorizedHMR on live camera topics.

Subscriptions (relative names, remap them): ``image`` (sensor_msgs/Image, or
``image/compressed`` with image_transport:=compressed; or, with input:=keypoints,
``keypoints``: fhmr_ros/PersonKeypointsArray from another node's pose detector),
``camera_info``, ``odom`` (nav_msgs/Odometry), all best effort; ``/tf`` and ``/tf_static``
for the camera extrinsics unless ``camera_extrinsics`` overrides them. Publications:
``~/humans`` (HumanStateArray: header = image stamp + camera optical frame),
``~/trajectories`` (world frame), ``/tf`` (body_<id>), ``~/markers``, ``~/debug_image``
(only while subscribed), ``/diagnostics``.

A lifecycle node (rclpy.lifecycle; FhmrNode says what each transition does); with
``autostart`` (default) it configures and activates itself and behaves as a plain node.

A thin layer over the ROS-free runtime core (fhmr_ros/streaming/stream_runtime.py), which
holds the queue, the stamp rules, the perception and model threads, resets, flushing and
the counters: callbacks convert messages and hand them to it; it hands complete images
back, and they are published (fhmr_ros/ros/output_messages.py). Bad input is logged
(throttled), counted in /diagnostics and skipped; a failing callback is counted too, and
the node keeps running.
"""

from __future__ import annotations

import functools
import gc
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import rclpy
import torch
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from rcl_interfaces.msg import SetParametersResult
from nav_msgs.msg import Odometry
from rclpy.executors import ExternalShutdownException
from rclpy.lifecycle import LifecycleNode, TransitionCallbackReturn
from rclpy.publisher import Publisher
from rclpy.qos import (DurabilityPolicy, QoSProfile, ReliabilityPolicy,
                       qos_profile_sensor_data)
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from visualization_msgs.msg import MarkerArray

from fhmr_ros.body.body_model import BodyModel
from fhmr_ros.body.decimated_mesh import DecimatedBody
from fhmr_ros.body.standin_model import ensure_standin_model
from fhmr_ros.model.checkpoint import default_checkpoint, load_checkpoint
from fhmr_ros.msg import HumanStateArray, HumanTrajectoryArray, PersonKeypointsArray
from fhmr_ros.perception.detection import make_stream_detector
from fhmr_ros.perception.onnx_session import default_threads
from fhmr_ros.perception.tracker import MultiPersonTracker, TrackerConfig, run_first_id
from fhmr_ros.streaming.camera_pose import (CameraPoses, pose_from_xyz_quaternion,
                                            static_world_camera)
from fhmr_ros.streaming.engine import StreamingConfig, StreamingEngine
from fhmr_ros.streaming.frame_assembler import ImageFrame
from fhmr_ros.streaming.human_pipeline import EXTRA_DETECTIONS, HumanPipeline
from fhmr_ros.streaming.stream_runtime import (OutputSink, RuntimeConfig, StreamRuntime,
                                               share_threads)

from .camera_info import (CameraInfoError, distortion_from_camera_info,
                          intrinsics_from_camera_info)
from .diagnostics import diagnostic_array, diagnostic_status
from .image_conversion import compressed_to_bgr, image_to_bgr
from .keypoints_input import keypoints_from_msg
from .node_config import LIVE, NodeConfig, declare_parameters, read_config
from .odometry import OdometryError, odometry_pose, stamp_to_sec
from .output_messages import OUTPUT_TOPICS, OutputMessages
from .tf_frames import is_person_frame


TF_TOPICS = {"/tf": False, "/tf_static": True}     # topic -> its transforms are static


class StartupError(RuntimeError):
    """A file or package the node needs is missing; the message names it and how to get
    it."""


def load_model(cfg: NodeConfig):
    path = Path(cfg.checkpoint) if cfg.checkpoint else default_checkpoint(cfg.preset)
    if not path.is_file():
        raise StartupError(
            f"model checkpoint {path} not found. The lite checkpoint ships in the package's "
            "models/ folder; train another preset with `fhmr-train --preset medium|full --ship "
            "models` (see README, Training), or set the 'checkpoint' parameter to a file.")
    check_device(cfg.device)
    try:
        return load_checkpoint(path, cfg.device)
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


def load_body(cfg: NodeConfig) -> BodyModel:
    if not cfg.body_model_path:
        return BodyModel(ensure_standin_model())
    path = Path(cfg.body_model_path)
    if not path.is_file():
        raise StartupError(
            f"body model {path} not found. SMPL-X files are licence-gated: register at "
            "https://smpl-x.is.tue.mpg.de, download SMPLX_NEUTRAL.npz and point "
            "'body_model_path' at it, or leave it empty to use the generated stand-in.")
    return BodyModel(path)


def counted_callback(method):
    """A subscription or timer callback that never takes the node down: an exception is
    counted (``callback_errors``) and logged instead of propagating through ``spin``."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            method(self, *args, **kwargs)
        except Exception as e:  # noqa: BLE001 -- the node keeps running
            self.runtime.counters.warn("callback_errors",
                                       f"{method.__name__} failed: {e!r}")
    return wrapper


def build_runtime(cfg: NodeConfig, make_sink: Callable[[OutputMessages], OutputSink],
                  log: Callable[[str], None] | None = None) -> StreamRuntime:
    """Model, pose networks, tracker, engine and the runtime core around them, for the node
    and for fhmr-bag. ``make_sink`` gets the message builder and returns where complete
    images go. Raises StartupError naming the problem and its fix."""
    model = load_model(cfg)
    body = load_body(cfg)
    pipeline = build_pipeline(cfg, model, share_threads(cfg.threads or default_threads()))
    model_format = model.cfg.inputs.keypoint_format
    messages = OutputMessages(cfg, pipeline.detector.keypoint_format if pipeline.detector
                              else model_format,
                              DecimatedBody(body) if cfg.mesh_markers else None)
    try:
        extrinsics = (pose_from_xyz_quaternion(cfg.camera_extrinsics)
                      if cfg.camera_extrinsics else None)        # None: from TF
    except ValueError as e:
        raise StartupError(f"invalid parameter camera_extrinsics: {e}") from e
    poses = CameraPoses(extrinsics, static_world_camera(cfg.static_camera_pitch_deg,
                                                        cfg.static_camera_height_m),
                        cfg.use_odometry, cfg.base_frame)
    decode = (decode_image(cfg.max_image_pixels) if cfg.input == "image" else
              lambda msg: keypoints_from_msg(msg, model_format))
    return StreamRuntime(pipeline, poses, decode, make_sink(messages),
                         RuntimeConfig(cfg.queue_size, cfg.odom_wait_s, cfg.flush_idle_s), log)


def build_pipeline(cfg: NodeConfig, model, detector_threads: int) -> HumanPipeline:
    """Detector (none when another node's keypoints come in), tracker and engine."""
    engine = StreamingEngine(model, StreamingConfig(
        window=cfg.window or None, stride=cfg.stride, lag=cfg.lag, steps=cfg.steps or None,
        known_frames=cfg.known_frames, hypotheses=cfg.hypotheses, max_gap_s=cfg.max_gap_s,
        align_root=cfg.align_root),
        cfg.device)
    detector = None
    if cfg.input == "image":
        try:
            detector = make_stream_detector(cfg.detector, cfg.device, detector_threads,
                                            cfg.max_people + EXTRA_DETECTIONS, cfg.landmarks)
        except (FileNotFoundError, ImportError, ValueError) as e:   # the message says why
            raise StartupError(f"detector {cfg.detector!r}: {e}") from e
    tracker = MultiPersonTracker(TrackerConfig(max_tracks=cfg.max_people,
                                               first_id=run_first_id()))
    return HumanPipeline(detector, tracker, engine, search_every=cfg.search_every)


def decode_image(max_pixels: int):
    """Image or CompressedImage -> BGR (ImageError, a ValueError, for what cannot be read)."""
    def decode(msg) -> np.ndarray:
        if isinstance(msg, CompressedImage):
            return compressed_to_bgr(msg, max_pixels)
        return image_to_bgr(msg, max_pixels)
    return decode


def logged_transition(method):
    """A lifecycle transition callback whose unexpected exception is logged (rclpy turns
    it into ERROR without a word) before the node goes to error processing."""
    @functools.wraps(method)
    def wrapper(self, state):
        try:
            return method(self, state)
        except Exception as e:  # noqa: BLE001 -- reported, then ERROR as rclpy would
            self.get_logger().error(f"{method.__name__} failed: {e!r}")
            return TransitionCallbackReturn.ERROR
    return wrapper


class FhmrNode(LifecycleNode):
    """A managed (lifecycle) node: configure loads the model, the pose networks and the
    body model and creates the publishers; activate subscribes and starts the workers;
    deactivate unsubscribes and stops (what was not yet published is counted as
    discarded); cleanup frees everything. A configure that fails leaves it unconfigured
    with the problem and its fix in the log; fix the parameter and configure again. With
    ``autostart`` (the default) it configures and activates itself, as a plain node."""

    def __init__(self, **kwargs) -> None:
        super().__init__("fhmr_node", **kwargs)
        self.refused = declare_parameters(self)     # launch values refused: name -> why
        self.autostart = bool(self.get_parameter("autostart").value)
        self.cfg: NodeConfig | None = None
        self.runtime: StreamRuntime | None = None
        self.messages: OutputMessages | None = None
        self.configure_error = ""
        self.publishers_by_output: dict[str, Publisher] = {}
        self._inputs: list = []
        self._diagnostics: tuple[Publisher, object] | None = None
        self.add_on_set_parameters_callback(self._on_set_parameters)

    # ------------------------------------------------------------------ lifecycle
    @logged_transition
    def on_configure(self, state) -> TransitionCallbackReturn:
        try:
            cfg = self._config()
            self.runtime = build_runtime(cfg, self._sink_with,
                                         log=lambda text: self.get_logger().warning(text))
        except StartupError as e:
            self.configure_error = str(e)
            self.get_logger().error(f"configure failed: {e}")
            return TransitionCallbackReturn.FAILURE
        self.cfg, self.configure_error = cfg, ""
        # reliable publishers serve best-effort (RViz) and reliable (recorders) subscribers
        publisher = self.create_lifecycle_publisher
        self.publishers_by_output = {
            "humans": publisher(HumanStateArray, OUTPUT_TOPICS["humans"], 10),
            "trajectories": publisher(HumanTrajectoryArray, OUTPUT_TOPICS["trajectories"], 10),
            "markers": publisher(MarkerArray, OUTPUT_TOPICS["markers"], 10),
            "debug_image": publisher(Image, OUTPUT_TOPICS["debug_image"], 5)}
        if cfg.publish_tf:
            from tf2_msgs.msg import TFMessage
            self.publishers_by_output["tf"] = publisher(TFMessage, OUTPUT_TOPICS["tf"], 100)
        self._diagnostics = (self.create_publisher(DiagnosticArray, "/diagnostics", 10),
                             self.create_timer(cfg.diagnostics_period_s,
                                               self._publish_diagnostics))
        # everything built so far lives until cleanup: keep it out of the garbage
        # collector's full scans, which otherwise stall the workers for ~0.1 s at random
        gc.freeze()
        detector = self.runtime.pipeline.detector
        front_end = (f"detector {cfg.detector} on {getattr(detector, 'device', 'cpu')}"
                     if detector else "keypoints from another node")
        self.get_logger().info(
            f"configured: model {cfg.preset} on {cfg.device}, {front_end}, "
            f"{cfg.threads or default_threads()} CPU threads, world frame {cfg.world_frame} "
            f"({'odometry' if cfg.use_odometry else 'static'})")
        return TransitionCallbackReturn.SUCCESS

    @logged_transition
    def on_activate(self, state) -> TransitionCallbackReturn:
        cfg = self.cfg
        images = QoSProfile(depth=cfg.queue_size,
                            reliability=ReliabilityPolicy.RELIABLE if cfg.reliable_images
                            else ReliabilityPolicy.BEST_EFFORT)
        image_type, image_topic = (
            (PersonKeypointsArray, "keypoints") if cfg.input == "keypoints" else
            (CompressedImage, "image/compressed") if cfg.image_transport == "compressed"
            else (Image, "image"))
        self._inputs = [
            self.create_subscription(image_type, image_topic, self._on_image, images),
            self.create_subscription(CameraInfo, "camera_info", self._on_camera_info,
                                     qos_profile_sensor_data)]
        if cfg.use_odometry:
            self._inputs.append(self.create_subscription(
                Odometry, "odom", self._on_odometry,
                QoSProfile(depth=50, reliability=ReliabilityPolicy.BEST_EFFORT)))
        tf = self.runtime.poses.needs_transforms
        if tf:                           # with the QoS tf2's listener uses
            from tf2_msgs.msg import TFMessage
            for topic, static in TF_TOPICS.items():
                self._inputs.append(self.create_subscription(
                    TFMessage, topic, functools.partial(self._on_transforms, static=static),
                    QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                               durability=DurabilityPolicy.TRANSIENT_LOCAL if static
                               else DurabilityPolicy.VOLATILE)))
        self.runtime.start()
        self.get_logger().info(
            f"active: subscribed to {image_topic}, camera_info"
            + (", odometry" if cfg.use_odometry else "")
            + (f", /tf and /tf_static (extrinsics {cfg.base_frame} -> image frame)" if tf
               else ""))
        return super().on_activate(state)

    @logged_transition
    def on_deactivate(self, state) -> TransitionCallbackReturn:
        self.stop()
        self.get_logger().info("inactive: unsubscribed, workers stopped")
        return super().on_deactivate(state)

    @logged_transition
    def on_cleanup(self, state) -> TransitionCallbackReturn:
        self._release()
        self.get_logger().info("unconfigured: model and networks released")
        return TransitionCallbackReturn.SUCCESS

    @logged_transition
    def on_shutdown(self, state) -> TransitionCallbackReturn:
        self.stop()
        self._release()
        return TransitionCallbackReturn.SUCCESS

    @logged_transition
    def on_error(self, state) -> TransitionCallbackReturn:
        self.stop()
        self._release()
        return TransitionCallbackReturn.SUCCESS        # back to unconfigured

    def _config(self) -> NodeConfig:
        """The parameters as a NodeConfig; StartupError naming a bad value and the fix."""
        fix = ("Fix it in the params file or on the command line (config/fhmr.yaml documents "
               "each one), or with `ros2 param set` while the node is unconfigured.")
        if self.refused:
            raise StartupError(f"invalid parameter: {next(iter(self.refused.values()))}. {fix}")
        try:
            return read_config(self)
        except ValueError as e:
            raise StartupError(f"invalid parameter: {e}. {fix}") from e

    def stop(self) -> None:
        """Unsubscribe and stop the workers; what is still pending is counted, dropped."""
        for sub in self._inputs:
            self.destroy_subscription(sub)
        self._inputs = []
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime.discard()

    def _release(self) -> None:
        """Destroy the publishers and free the model, the networks and the buffers."""
        for pub in self.publishers_by_output.values():
            self.destroy_lifecycle_publisher(pub)
        self.publishers_by_output = {}
        if self._diagnostics is not None:
            pub, timer = self._diagnostics
            self.destroy_timer(timer)
            self.destroy_publisher(pub)
            self._diagnostics = None
        self.runtime = self.messages = self.cfg = None
        gc.unfreeze()
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    def _sink_with(self, messages: OutputMessages) -> FhmrNode:
        self.messages = messages
        return self

    # ------------------------------------------------------------------ parameters
    def _on_set_parameters(self, params) -> SetParametersResult:
        """Unconfigured: any value in its declared range is accepted (configure validates
        the rest). Configured: the LIVE parameters take effect from the next image; the
        others are refused with how to change them."""
        if self.runtime is None:
            for p in params:
                self.refused.pop(p.name, None)
            return SetParametersResult(successful=True)
        fixed = [p.name for p in params if p.name not in LIVE]
        if fixed:
            return SetParametersResult(successful=False, reason=(
                f"{', '.join(fixed)} is read at configure: deactivate and clean up the node "
                "(ros2 lifecycle set <node> deactivate, then cleanup), set it, configure and "
                "activate again; or restart the node with the new value"))
        changes = {p.name: p.value for p in params}
        try:
            cfg = replace(self.cfg, **changes)
        except ValueError as e:
            return SetParametersResult(successful=False, reason=str(e))
        pipeline = self.runtime.pipeline
        pipeline.set_max_people(cfg.max_people)
        pipeline.set_search_every(cfg.search_every)
        pipeline.engine.set_hypotheses(cfg.hypotheses)
        self.messages.cfg = self.cfg = cfg
        self.get_logger().info("parameters changed: " + ", ".join(
            f"{k} = {v}" for k, v in changes.items()))
        return SetParametersResult(successful=True)

    # ------------------------------------------------------------------ callbacks
    @counted_callback
    def _on_image(self, msg) -> None:
        feed_image(self.runtime, msg)

    @counted_callback
    def _on_camera_info(self, msg: CameraInfo) -> None:
        feed_camera_info(self.runtime, msg)

    @counted_callback
    def _on_odometry(self, msg: Odometry) -> None:
        feed_odometry(self.runtime, msg, self.cfg.world_frame, self.cfg.base_frame)

    @counted_callback
    def _on_transforms(self, msg, static: bool) -> None:
        feed_transforms(self.runtime, msg, static)

    # ------------------------------------------------------------------ the runtime's sink
    def _subscribed(self, output: str) -> bool:
        return self.publishers_by_output[output].get_subscription_count() > 0

    def wants_image(self) -> bool:
        """The debug overlay is drawn only while someone subscribes."""
        return self._subscribed("debug_image")

    def publish(self, frame: ImageFrame, image: np.ndarray | None) -> None:
        for output, msg in self.messages.frame_messages(frame, image, self._subscribed):
            self.publishers_by_output[output].publish(msg)

    def forget(self, live_tracks: set[int]) -> None:
        self.messages.forget(live_tracks)

    def reset(self, stamp: float) -> None:
        if not self.context.ok():           # shutting down: nobody to tell
            return
        for output, msg in self.messages.reset_messages(stamp):
            self.publishers_by_output[output].publish(msg)

    # ------------------------------------------------------------------ diagnostics
    @counted_callback
    def _publish_diagnostics(self) -> None:
        self._diagnostics[0].publish(runtime_diagnostics(
            self.runtime, self.cfg, self.get_fully_qualified_name(),
            self.get_clock().now().to_msg(), active=bool(self._inputs)))


def feed_image(runtime: StreamRuntime, msg, wait: bool = False) -> bool:
    """An Image or CompressedImage message into the runtime (decoded by its perception
    thread); ``wait``: block while the queue is full instead of dropping."""
    return runtime.add_image(stamp_to_sec(msg.header.stamp), msg.header.frame_id, msg, wait)


def feed_camera_info(runtime: StreamRuntime, msg: CameraInfo) -> bool:
    """Intrinsics and lens distortion from camera_info; False when refused (counted)."""
    try:
        K = intrinsics_from_camera_info(msg)
        distortion = distortion_from_camera_info(msg)
    except CameraInfoError as e:
        runtime.counters.warn("bad_camera_info", f"camera_info refused: {e}")
        return False
    runtime.set_camera_info(K, (int(msg.width), int(msg.height)), msg.header.frame_id,
                            distortion)
    return True


def feed_odometry(runtime: StreamRuntime, msg: Odometry, world_frame: str,
                  base_frame: str) -> bool:
    """One odometry pose; False when refused (counted). Odometry in another frame than
    ``world_frame``, or of another child frame than ``base_frame``, is used but counted:
    the world outputs would be labelled wrongly, or the extrinsics taken from the wrong
    frame."""
    try:
        stamp, T = odometry_pose(msg)
    except OdometryError as e:
        runtime.counters.warn("bad_odometry", f"odometry refused: {e}")
        return False
    if msg.header.frame_id and msg.header.frame_id != world_frame:
        runtime.counters.warn("odometry_frame_mismatch", f"odometry is in frame "
                              f"{msg.header.frame_id!r}, but world outputs are labelled "
                              f"{world_frame!r}: set the world_frame parameter to it")
    if msg.child_frame_id and msg.child_frame_id != base_frame:
        runtime.counters.warn("odometry_child_frame_mismatch", f"odometry moves frame "
                              f"{msg.child_frame_id!r}, but the camera extrinsics are from "
                              f"{base_frame!r}: set the base_frame parameter to it")
    return runtime.add_odometry(stamp, T)


def feed_transforms(runtime: StreamRuntime, msg, static: bool) -> int:
    """A tf2_msgs/TFMessage from /tf (``static`` False) or /tf_static into the runtime's
    transform tree; returns how many were taken (the refused ones are counted). The node's
    own person frames (body_<id>, on /tf too) are skipped."""
    taken = 0
    for t in msg.transforms:
        if is_person_frame(t.child_frame_id):
            continue
        tr, q = t.transform.translation, t.transform.rotation
        try:
            T = pose_from_xyz_quaternion([tr.x, tr.y, tr.z, q.x, q.y, q.z, q.w])
        except ValueError as e:
            runtime.counters.warn("bad_transforms", f"transform {t.header.frame_id!r} -> "
                                  f"{t.child_frame_id!r} refused: {e}")
            continue
        taken += runtime.add_transform(t.header.frame_id, t.child_frame_id,
                                       stamp_to_sec(t.header.stamp), T, static)
    return taken


def runtime_diagnostics(runtime: StreamRuntime, cfg: NodeConfig, hardware_id: str,
                        stamp, active: bool = True) -> DiagnosticArray:
    """The /diagnostics message: WARN while camera_info is missing or anything was refused
    or dropped (the message lists the counts), with every number the runtime reports;
    OK "inactive" while a configured lifecycle node is not active."""
    problems = runtime.problems()
    level, message = DiagnosticStatus.OK, "running"
    if not active:
        message = "inactive (configured; activate to process images)"
    elif not runtime.has_camera_info:
        level, message = DiagnosticStatus.WARN, "waiting for a valid camera_info"
    elif problems:
        level, message = DiagnosticStatus.WARN, "input problems: " + ", ".join(
            f"{k} {v}" for k, v in problems.items())
    values = {"model_device": cfg.device, "model_preset": cfg.preset, **runtime.values()}
    return diagnostic_array(stamp, [diagnostic_status("fhmr_node: pipeline", hardware_id,
                                                      level, message, values)])


def main(argv: list[str] | None = None) -> int:
    rclpy.init(args=argv)
    log = rclpy.logging.get_logger("fhmr_node")
    try:
        node = FhmrNode()
    except Exception as e:  # noqa: BLE001 -- a message, not a traceback
        log.fatal(f"start-up failed: {e!r}")
        rclpy.try_shutdown()
        return 1
    try:
        if node.autostart:
            if node.trigger_configure() != TransitionCallbackReturn.SUCCESS:
                log.fatal("could not configure (see above); exiting. With autostart:=false "
                          "the node waits unconfigured for a lifecycle manager instead.")
                return 1
            if node.trigger_activate() != TransitionCallbackReturn.SUCCESS:
                log.fatal("could not activate (see above); exiting")
                return 1
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception as e:  # noqa: BLE001 -- callbacks count their own errors
        if node.context.ok():           # else SIGTERM/SIGINT shut the context mid-spin
            log.fatal(f"stopped by an unexpected error: {e!r}")
            return 1
    finally:
        if node.runtime is not None:    # exiting: stop the workers, nothing left to tell
            node.runtime.stop()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
