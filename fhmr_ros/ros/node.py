"""fhmr_node: FactorizedHMR on live camera topics.

Subscriptions (relative names, remap them): ``image`` (sensor_msgs/Image, or
``image/compressed`` with image_transport:=compressed; or, with input:=keypoints,
``keypoints``: fhmr_ros/PersonKeypointsArray from another node's pose detector),
``camera_info``, ``odom`` (nav_msgs/Odometry), all best effort (``odom_reliability`` can
make ``odom`` reliable); ``/tf`` and ``/tf_static`` (reliable, as tf2's listener) for the
camera extrinsics unless ``camera_extrinsics`` overrides them. Publications:
``~/humans`` (HumanStateArray: header = image stamp + camera optical frame),
``~/trajectories`` (world frame), ``/tf`` (body_<id>), ``~/markers``, ``~/debug_image``
(only while subscribed), ``/diagnostics``.

A lifecycle node (rclpy.lifecycle; FhmrNode says what each transition does); with
``autostart`` (default) it configures and activates itself and behaves as a plain node.

A thin layer over the ROS-free runtime core (fhmr_ros/streaming/stream_runtime.py), which
holds the queue, the stamp rules, the perception and model threads, resets, flushing and
the counters; its builder is fhmr_ros/ros/node_runtime.py, its parameters
fhmr_ros/streaming/settings.py. Callbacks hand messages to the input adapters
(fhmr_ros/ros/input_adapters.py); complete images come back and are published
(fhmr_ros/ros/output_messages.py). Bad input is logged
(throttled), counted in /diagnostics and skipped; a failing callback is counted too, and
the node keeps running.
"""

from __future__ import annotations

import functools
import gc
import signal
import sys
import threading
from dataclasses import replace

import numpy as np
import rclpy
import torch
from diagnostic_msgs.msg import DiagnosticArray
from nav_msgs.msg import Odometry
from rcl_interfaces.msg import SetParametersResult
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode, TransitionCallbackReturn
from rclpy.publisher import Publisher
from rclpy.qos import (DurabilityPolicy, QoSProfile, ReliabilityPolicy,
                       qos_profile_sensor_data)
from rclpy.signals import SignalHandlerOptions
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from visualization_msgs.msg import MarkerArray

from fhmr_ros.msg import HumanStateArray, HumanTrajectoryArray, PersonKeypointsArray
from fhmr_ros.perception.onnx_session import default_threads
from fhmr_ros.perception.tracker import run_first_id
from fhmr_ros.streaming.frame_assembler import ImageFrame
from fhmr_ros.streaming.runtime_builder import StartupError
from fhmr_ros.streaming.settings import LIVE, NodeSettings
from fhmr_ros.streaming.stream_runtime import StreamRuntime

from .diagnostics import runtime_diagnostics
from .following_subscription import FollowingSubscription
from .g1_messages import G1_PREFIX
from .hri_messages import HRI_PREFIX
from .input_adapters import (TF_TOPICS, feed_camera_info, feed_image, feed_odometry,
                             feed_transforms)
from .node_parameters import declare_parameters, read_settings
from .node_runtime import build_node_runtime
from .output_messages import OUTPUT_TOPICS, OutputMessages
from .topic_publishers import TopicPublishers

QOS_REFRESH_S = 1.0     # how often odom looks at its publishers' reliability (auto)
SIGNAL_POLL_S = 0.2     # the longest a SIGINT/SIGTERM waits for the spin loop to see it


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
        self.cfg: NodeSettings | None = None
        self.runtime: StreamRuntime | None = None
        self.messages: OutputMessages | None = None
        self.configure_error = ""
        self.publishers_by_output: dict[str, Publisher] = {}
        self.per_body = TopicPublishers(self)      # /humans/bodies/..., ~/g1/...
        self._inputs: list = []
        self._following: list[FollowingSubscription] = []      # odom
        self._refresh_timer = None
        self._diagnostics: tuple[Publisher, object] | None = None
        self.add_on_set_parameters_callback(self._on_set_parameters)

    # ------------------------------------------------------------------ lifecycle
    @logged_transition
    def on_configure(self, state) -> TransitionCallbackReturn:
        try:
            cfg = self._config()
            self.runtime = build_node_runtime(
                cfg, self._sink_with, log=lambda text: self.get_logger().warning(text),
                first_id=run_first_id())
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
        incompatible = functools.partial(self.runtime.counters.warn, "input_qos_incompatible")
        if cfg.use_odometry:
            self._following.append(FollowingSubscription(
                self, Odometry, "odom", self._on_odometry, cfg.odom_reliability, 50,
                incompatible))
        tf = self.runtime.poses.needs_transforms
        if tf:                           # with the QoS tf2's listener uses
            from tf2_msgs.msg import TFMessage
            for topic, static in TF_TOPICS.items():
                self._inputs.append(self.create_subscription(
                    TFMessage, topic, functools.partial(self._on_transforms, static=static),
                    QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                               durability=DurabilityPolicy.TRANSIENT_LOCAL if static
                               else DurabilityPolicy.VOLATILE)))
        if self._following:
            self._refresh_timer = self.create_timer(QOS_REFRESH_S, self._refresh_following)
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

    def _config(self) -> NodeSettings:
        """The parameters as a NodeSettings; StartupError naming a bad value and the fix."""
        fix = ("Fix it in the params file or on the command line (docs/parameters.md "
               "documents each one), or with `ros2 param set` while the node is unconfigured.")
        if self.refused:
            raise StartupError(f"invalid parameter: {next(iter(self.refused.values()))}. {fix}")
        try:
            return read_settings(self)
        except ValueError as e:
            raise StartupError(f"invalid parameter: {e}. {fix}") from e

    def stop(self) -> None:
        """Unsubscribe and stop the workers; what is still pending is counted, dropped."""
        for sub in self._inputs:
            self.destroy_subscription(sub)
        for following in self._following:
            following.destroy()
        self._inputs, self._following = [], []
        if self._refresh_timer is not None:
            self.destroy_timer(self._refresh_timer)
            self._refresh_timer = None
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime.discard()

    def _release(self) -> None:
        """Destroy the publishers and free the model, the networks and the buffers."""
        for pub in self.publishers_by_output.values():
            self.destroy_lifecycle_publisher(pub)
        self.publishers_by_output = {}
        self.per_body.close()
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
        pipeline.set_hypotheses(cfg.hypotheses)
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

    @counted_callback
    def _refresh_following(self) -> None:
        """odom follows its publishers' reliability (odom_reliability: auto)."""
        for following in self._following:
            if following.refresh():
                self.get_logger().info(f"{following.topic}: subscribed again, "
                                       f"{following.reliability.name.lower()}, as its "
                                       "publishers now are")

    # ------------------------------------------------------------------ the runtime's sink
    def _subscribed(self, output: str) -> bool:
        return self.publishers_by_output[output].get_subscription_count() > 0

    def wants_image(self) -> bool:
        """The debug overlay is drawn only while someone subscribes."""
        return self._subscribed("debug_image")

    def publish(self, frame: ImageFrame, image: np.ndarray | None) -> None:
        for output, msg in self.messages.frame_messages(frame, image, self._subscribed):
            if output in self.publishers_by_output:
                self.publishers_by_output[output].publish(msg)
            else:                                   # a per-body topic (ROS4HRI, G1)
                self.per_body.publish(output, msg)

    def forget(self, live_tracks: set[int]) -> None:
        self.messages.forget(live_tracks)
        self.per_body.keep_bodies(live_tracks)
        if not self.cfg.publish_hri:
            self.per_body.close_family(HRI_PREFIX)
        if not self.cfg.publish_g1:
            self.per_body.close_family(G1_PREFIX)

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


def spin_until_signal(node: FhmrNode) -> None:
    """Spin until SIGINT or SIGTERM. rclpy's own handlers would shut the context down at
    once, while the workers may still publish (publishing the image ... failed: publisher's
    context is invalid); these only ask the loop to end, so the caller stops the workers
    first and shuts the context down after."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    while not stop.is_set() and node.context.ok():
        executor.spin_once(timeout_sec=SIGNAL_POLL_S)
    executor.remove_node(node)


def main(argv: list[str] | None = None) -> int:
    rclpy.init(args=argv, signal_handler_options=SignalHandlerOptions.NO)
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
        spin_until_signal(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except Exception as e:  # noqa: BLE001 -- callbacks count their own errors
        if node.context.ok():           # else SIGTERM/SIGINT shut the context mid-spin
            log.fatal(f"stopped by an unexpected error: {e!r}")
            return 1
    finally:
        if node.runtime is not None:    # exiting: stop the workers, nothing left to tell
            node.stop()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
