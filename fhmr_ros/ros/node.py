"""fhmr_node: FactorizedHMR on live camera topics.

Subscriptions (relative names, remap them): ``image`` (sensor_msgs/Image, or
``image/compressed`` with image_transport:=compressed), ``camera_info``, ``odom``
(nav_msgs/Odometry), all best effort. Publications: ``~/humans`` (HumanStateArray: header =
image stamp + camera optical frame), ``~/trajectories`` (world frame), ``/tf`` (body_<id>),
``~/markers``, ``~/debug_image`` (only while subscribed), ``/diagnostics``.

Threads: the callbacks only validate, stamp and queue (a bounded queue; the oldest image is
dropped when it is full, counted). Two worker threads form a pipeline: the perception
thread decodes an image, looks up its camera pose and runs the detector and tracker; it
hands the result to the model thread (at most one waiting), which runs the streaming
engine and publishes. So the next image is perceived while the model works on this one,
and each thread gets half of ``threads``. Bad input is logged (throttled), counted in
/diagnostics and skipped; the node keeps running. An image stamp older than the previous
one (a recording looping) resets tracks and windows; odometry going back by more than
TIME_JUMP_S clears the odometry buffer.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rclpy
import torch
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
from nav_msgs.msg import Odometry
from rclpy.executors import ExternalShutdownException
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from visualization_msgs.msg import MarkerArray

from fhmr_ros.body.body_model import BodyModel
from fhmr_ros.body.decimated_mesh import DecimatedBody
from fhmr_ros.body.standin_model import ensure_standin_model
from fhmr_ros.model.checkpoint import default_checkpoint, load_checkpoint
from fhmr_ros.msg import HumanStateArray, HumanTrajectoryArray
from fhmr_ros.perception.detection import make_stream_detector
from fhmr_ros.perception.onnx_session import default_threads
from fhmr_ros.perception.tracked_front_end import DetectorError, FrontEndOutput
from fhmr_ros.perception.tracker import MultiPersonTracker, TrackerConfig
from fhmr_ros.streaming.camera_pose import (CameraPoses, NotYetAvailable,
                                            pose_from_xyz_quaternion, static_world_camera)
from fhmr_ros.streaming.engine import StreamingConfig, StreamingEngine
from fhmr_ros.streaming.frame_assembler import FrameAssembler, ImageFrame
from fhmr_ros.streaming.human_pipeline import HumanPipeline
from fhmr_ros.visualization.overlay import RenderedPerson, render_people

from .camera_info import CameraInfoError, intrinsics_from_camera_info
from .diagnostics import LatencyWindow, RateMeter, diagnostic_array, diagnostic_status
from .human_outputs import HumanOutputs
from .image_conversion import ImageError, bgr_to_image_msg, compressed_to_bgr, image_to_bgr
from .markers import MarkerPerson, delete_all_markers, human_markers
from .messages import trajectory_array_msg
from .node_config import NodeConfig, declare_and_read
from .odometry import OdometryError, odometry_pose, sec_to_stamp, stamp_to_sec
from .tf_frames import body_frame, joint_frames, tf_message, transform_msg

STAGES = ("decode", "detector", "tracker", "model", "publish")   # timed per image
TIME_JUMP_S = 1.0          # odometry this much older than the newest: a loop, not reordering
THROTTLE_S = 5.0           # warnings of one kind at most this often
RESET = "reset"            # handed to the model thread: images went back in time


@dataclass
class PerceivedImage:
    """One image after the perception thread, waiting for the model thread."""

    stamp: float
    received: float                 # monotonic receive time
    K: np.ndarray                   # (3, 3)
    T_world_camera: np.ndarray      # (4, 4)
    front: FrontEndOutput
    image: np.ndarray | None        # kept only while ~/debug_image has subscribers


class StartupError(RuntimeError):
    """A file or package the node needs is missing; the message names it and how to get
    it."""


def load_model(cfg: NodeConfig):
    path = Path(cfg.checkpoint) if cfg.checkpoint else default_checkpoint(cfg.preset)
    if not path.is_file():
        raise StartupError(
            f"model checkpoint {path} not found. The lite checkpoint ships in the package's "
            "models/ folder; train the full preset with `fhmr-train --preset full --ship "
            "models` (see README, Training), or set the 'checkpoint' parameter to a file.")
    return load_checkpoint(path, cfg.device)


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


class FhmrNode(Node):
    def __init__(self, **kwargs) -> None:
        super().__init__("fhmr_node", **kwargs)
        cfg = self.cfg = declare_and_read(self)
        self.counters: Counter[str] = Counter()
        self._last_warned: dict[str, float] = {}
        model = load_model(cfg)
        self.body = load_body(cfg)
        threads = cfg.threads or default_threads()
        # the perception and model threads run at the same time: half the threads each
        detector_threads = max(1, threads // 2)
        torch.set_num_threads(max(1, threads - detector_threads))
        engine = StreamingEngine(model, StreamingConfig(
            window=cfg.window or None, stride=cfg.stride, lag=cfg.lag, steps=cfg.steps or None,
            hypotheses=cfg.hypotheses, max_gap_s=cfg.max_gap_s, align_root=cfg.align_root),
            cfg.device)
        # the detector may find a few more people than are tracked, so the excess is counted
        try:
            detector = make_stream_detector(cfg.detector, cfg.device, detector_threads,
                                            cfg.max_people + 4)
        except (FileNotFoundError, ImportError) as e:     # the message names file and fix
            raise StartupError(f"detector {cfg.detector!r}: {e}") from e
        self.pipeline = HumanPipeline(detector,
                                      MultiPersonTracker(TrackerConfig(max_tracks=cfg.max_people)),
                                      engine, search_every=cfg.search_every)
        self.assembler = FrameAssembler(model.cfg.fps)
        self.outputs = HumanOutputs(self.pipeline.detector.keypoint_format,
                                    cfg.trajectory_length)
        self.poses = CameraPoses(pose_from_xyz_quaternion(cfg.camera_extrinsics),
                                 static_world_camera(cfg.static_camera_pitch_deg,
                                                     cfg.static_camera_height_m),
                                 cfg.use_odometry)
        self.mesh = DecimatedBody(self.body) if cfg.mesh_markers else None
        self.K: np.ndarray | None = None
        self.image_size: tuple[int, int] | None = None
        self.camera_frame = cfg.camera_frame

        self._lock = threading.Condition()    # re-entrant: _warn may run under it
        self._queue: deque = deque()           # (message, receive time), for perception
        self._handoff: deque = deque()         # PerceivedImage or RESET, for the model
        self._last_image_stamp: float | None = None
        self._reset_requested = False
        self._running = True
        self._busy = {"perception": False, "model": False}
        self._received: dict[float, float] = {}       # image stamp -> monotonic receive time
        self._images: dict[float, np.ndarray] = {}    # for the debug image, while subscribed
        self.record_all = False   # offline tools: build every output, subscribed or not
        self.input_rate, self.output_rate = RateMeter(), RateMeter()
        self.latency_ms = LatencyWindow()
        self.stage_ms = {stage: LatencyWindow() for stage in STAGES}   # per image

        sensor = qos_profile_sensor_data
        images = QoSProfile(depth=max(cfg.queue_size, 1),
                            reliability=ReliabilityPolicy.RELIABLE if cfg.reliable_images
                            else ReliabilityPolicy.BEST_EFFORT)
        if cfg.image_transport == "compressed":
            self.create_subscription(CompressedImage, "image/compressed", self._on_image, images)
        elif cfg.image_transport == "raw":
            self.create_subscription(Image, "image", self._on_image, images)
        else:
            raise StartupError(f"image_transport must be raw or compressed, "
                               f"got {cfg.image_transport!r}")
        self.create_subscription(CameraInfo, "camera_info", self._on_camera_info, sensor)
        if cfg.use_odometry:
            self.create_subscription(Odometry, "odom", self._on_odometry, QoSProfile(
                depth=50, reliability=ReliabilityPolicy.BEST_EFFORT))
        self.pub_humans = self.create_publisher(HumanStateArray, "~/humans", 10)
        self.pub_trajectories = self.create_publisher(HumanTrajectoryArray, "~/trajectories", 10)
        self.pub_markers = self.create_publisher(MarkerArray, "~/markers", 10)
        # reliable publishers serve best-effort (RViz) and reliable (recorders) subscribers
        self.pub_debug = self.create_publisher(Image, "~/debug_image", 5)
        self.pub_diagnostics = self.create_publisher(DiagnosticArray, "/diagnostics", 10)
        self.pub_tf = None
        if cfg.publish_tf:
            from tf2_msgs.msg import TFMessage
            self.pub_tf = self.create_publisher(TFMessage, "/tf", 100)
        self.create_timer(cfg.diagnostics_period_s, self._publish_diagnostics)
        self._workers = [threading.Thread(target=self._perception_loop, name="fhmr_perception",
                                          daemon=True),
                         threading.Thread(target=self._model_loop, name="fhmr_model",
                                          daemon=True)]
        for worker in self._workers:
            worker.start()
        # everything built so far lives as long as the node: keep it out of the garbage
        # collector's full scans, which otherwise stall the worker for ~0.1 s at random
        gc.freeze()
        self.get_logger().info(
            f"ready: model {cfg.preset} on {cfg.device}, detector {cfg.detector} on "
            f"{getattr(self.pipeline.detector, 'device', 'cpu')}, {threads} CPU threads, "
            f"world frame {cfg.world_frame} ({'odometry' if cfg.use_odometry else 'static'})")

    # ------------------------------------------------------------------ callbacks
    def _count(self, kind: str, n: int = 1) -> int:
        """Add to a /diagnostics counter (from any thread); returns the new total."""
        with self._lock:
            self.counters[kind] += n
            return self.counters[kind]

    def _warn(self, kind: str, text: str) -> None:
        total = self._count(kind)
        now = time.monotonic()
        if now - self._last_warned.get(kind, -1e9) >= THROTTLE_S:
            self._last_warned[kind] = now
            self.get_logger().warning(f"{text} [{kind}: {total} so far]")

    def _on_image(self, msg) -> None:
        stamp = stamp_to_sec(msg.header.stamp)
        now = time.monotonic()
        with self._lock:
            if self._last_image_stamp is not None and stamp < self._last_image_stamp:
                self._warn("time_jumps", f"image stamp went back from "
                           f"{self._last_image_stamp:.3f} to {stamp:.3f} s (a looping "
                           "recording?): resetting tracks and windows")
                self._queue.clear()
                self._reset_requested = True
            self._last_image_stamp = stamp
            if len(self._queue) >= self.cfg.queue_size:
                self._queue.popleft()
                self._count("images_dropped_queue_full")
            self._queue.append((msg, now))
            self.input_rate.tick(now)
            self._lock.notify()

    def _on_camera_info(self, msg: CameraInfo) -> None:
        try:
            K = intrinsics_from_camera_info(msg)
        except CameraInfoError as e:
            self._warn("bad_camera_info", f"camera_info refused: {e}")
            return
        with self._lock:
            self.K, self.image_size = K, (int(msg.width), int(msg.height))

    def _on_odometry(self, msg: Odometry) -> None:
        try:
            stamp, T = odometry_pose(msg)
        except OdometryError as e:
            self._warn("bad_odometry", f"odometry refused: {e}")
            return
        with self._lock:
            newest = self.poses.odometry.latest_stamp
            if newest is not None and stamp < newest:
                if newest - stamp < TIME_JUMP_S:
                    self._warn("odometry_out_of_order", f"odometry at {stamp:.3f} s arrived "
                               f"after {newest:.3f} s: dropped")
                    return
                self._warn("odometry_time_jumps", "odometry stamp went back by "
                           f"{newest - stamp:.1f} s: odometry buffer cleared")
                self.poses.clear()
            self.poses.add_odometry(stamp, T)

    # ------------------------------------------------------------------ workers
    def idle(self) -> bool:
        """Nothing queued, nothing being processed, nothing waiting to be published."""
        with self._lock:
            return not (self._queue or self._handoff or any(self._busy.values())
                        or len(self.assembler))

    def queued_images(self) -> int:
        """Images received and not yet taken by the perception thread."""
        with self._lock:
            return len(self._queue)

    def stop(self) -> None:
        with self._lock:
            self._running = False
            self._lock.notify_all()
        for worker in self._workers:
            worker.join(timeout=5.0)

    def _perception_loop(self) -> None:
        """Images from the queue -> PerceivedImage for the model thread."""
        while True:
            with self._lock:
                while self._running and not self._queue and not self._reset_requested:
                    self._lock.wait(timeout=0.2)
                if not self._running:
                    return
                reset, self._reset_requested = self._reset_requested, False
                item = self._queue.popleft() if self._queue else None
                K, size = self.K, self.image_size
                self._busy["perception"] = True
            try:
                if reset:
                    self.pipeline.front_end.reset()
                    self._hand_over(RESET)
                perceived = None if item is None else self._perceive(*item, K, size)
                if perceived is not None:
                    self._hand_over(perceived)
            except Exception as e:  # the node must survive anything one image does
                if not rclpy.ok():      # shutting down
                    return
                self._warn("worker_errors", f"perceiving an image failed: {e!r}")
            finally:
                with self._lock:
                    self._busy["perception"] = False

    def _hand_over(self, item) -> None:
        """Give the model thread one item, waiting while it still has one (so the image
        queue, not this thread, drops images when the model falls behind)."""
        with self._lock:
            while self._running and self._handoff:
                self._lock.wait(timeout=0.2)
            self._handoff.append(item)
            self._lock.notify_all()

    def _model_loop(self) -> None:
        """PerceivedImage -> engine -> published outputs; publishes what the lag holds back
        once the input has stopped for flush_idle_s."""
        last_input = time.monotonic()
        while True:
            with self._lock:
                while self._running and not self._handoff:
                    self._lock.wait(timeout=0.2)
                    if (len(self.assembler) and
                            time.monotonic() - last_input > self.cfg.flush_idle_s):
                        break
                if not self._running:
                    return
                item = self._handoff.popleft() if self._handoff else None
                self._busy["model"] = True
                self._lock.notify_all()          # room for the next perceived image
            try:
                if item is None:
                    self._flush()
                elif item is RESET:
                    self._reset()
                else:
                    last_input = time.monotonic()
                    self._estimate(item)
            except Exception as e:  # the node must survive anything one image does
                if not rclpy.ok():      # shutting down: publishers are gone
                    return
                self._warn("worker_errors", f"processing an image failed: {e!r}")
            finally:
                with self._lock:
                    self._busy["model"] = False

    def _flush(self) -> None:
        """The input stopped: publish everything still waiting for look-ahead frames."""
        self.assembler.add(self.pipeline.flush())
        for frame in self.assembler.release(set(), float("inf")):
            self._publish(frame)
        self.outputs.forget(set())

    def _reset(self) -> None:
        """Images went back in time: start windows and outputs afresh (the perception thread
        has reset the tracker; odometry handles its own jumps in _on_odometry, and may
        already hold the new time line)."""
        self.pipeline.engine.reset()
        self.assembler.clear()
        self.outputs.clear()
        self._received.clear()
        self._images.clear()
        if self.cfg.publish_markers:
            self.pub_markers.publish(delete_all_markers(self.cfg.world_frame,
                                                        self.get_clock().now().to_msg()))

    def _pose_at(self, stamp: float, received: float) -> np.ndarray | None:
        """T_world_camera at the stamp, waiting up to odom_wait_s for odometry to reach it."""
        while True:
            try:
                with self._lock:
                    return self.poses.at(stamp)
            except NotYetAvailable:
                if time.monotonic() - received > self.cfg.odom_wait_s:
                    self._warn("images_without_odometry", f"no odometry reached the image "
                               f"stamp {stamp:.3f} s within {self.cfg.odom_wait_s:g} s: dropped")
                    return None
                time.sleep(0.005)
            except LookupError as e:
                self._warn("images_without_odometry", f"image at {stamp:.3f} s: {e}: dropped")
                return None

    def _perceive(self, msg, received: float, K, size) -> PerceivedImage | None:
        """Decode, camera pose, detector and tracker; None when the image is dropped
        (counted)."""
        stamp = stamp_to_sec(msg.header.stamp)
        tic = time.perf_counter()
        try:
            image = (compressed_to_bgr(msg, self.cfg.max_image_pixels)
                     if isinstance(msg, CompressedImage)
                     else image_to_bgr(msg, self.cfg.max_image_pixels))
        except ImageError as e:
            self._warn("bad_images", f"image refused: {e}")
            return None
        self.stage_ms["decode"].add(1000 * (time.perf_counter() - tic))
        if K is None:
            self._warn("images_without_camera_info", "no valid camera_info received yet: "
                       "image dropped (intrinsics are needed)")
            return None
        if size != (image.shape[1], image.shape[0]):
            self._warn("camera_info_size_mismatch", f"camera_info is for {size[0]}x{size[1]}, "
                       f"the image is {image.shape[1]}x{image.shape[0]}: image dropped")
            return None
        T_wc = self._pose_at(stamp, received)
        if T_wc is None:
            return None
        if not self.camera_frame:
            self.camera_frame = msg.header.frame_id or "camera_optical_frame"
        try:
            front = self.pipeline.perceive(image, stamp, K)
        except DetectorError as e:
            self._warn("detector_errors", f"{e}: image dropped")
            return None
        return PerceivedImage(stamp, received, K, T_wc, front,
                              image if self._wanted(self.pub_debug) else None)

    def _estimate(self, p: PerceivedImage) -> None:
        """The streaming engine on a perceived image, then publish the images now final."""
        out = self.pipeline.estimate(p.front, p.stamp, p.K, p.T_world_camera)
        for stage in ("detector", "tracker", "model"):
            self.stage_ms[stage].add(getattr(out.timings, stage))
        expected = {t.track_id: {"state": t.state.value, "score": t.detection.score,
                                 "bbox": t.bbox}
                    for t in out.tracks if t.detection is not None}
        self._received[p.stamp] = p.received
        if p.image is not None:
            self._images[p.stamp] = p.image
        self.assembler.register(p.stamp, p.T_world_camera, p.K, expected)
        self.assembler.add(out.results)
        live = set(self.pipeline.engine.tracks)
        tic = time.perf_counter()
        for frame in self.assembler.release(live, p.stamp):
            self._publish(frame)
        self.stage_ms["publish"].add(1000 * (time.perf_counter() - tic))
        self.outputs.forget(live)

    # ------------------------------------------------------------------ outputs
    def _wanted(self, publisher) -> bool:
        """Costly outputs (markers with meshes, the debug image) only while subscribed."""
        return self.record_all or publisher.get_subscription_count() > 0

    def _publish(self, frame: ImageFrame) -> None:
        cfg = self.cfg
        stamp_msg = sec_to_stamp(frame.stamp)
        humans = self.outputs.humans_msg(frame, self.camera_frame, cfg.world_frame)
        self.pub_humans.publish(humans)
        now = time.monotonic()
        self.output_rate.tick(now)
        received = self._received.pop(frame.stamp, None)
        if received is not None:
            self.latency_ms.add(1000 * (now - received))
        self._count("people_published", len(humans.humans))
        self.pub_trajectories.publish(trajectory_array_msg(
            {tid: list(s) for tid, s in self.outputs.trajectories.items()},
            stamp_msg, cfg.world_frame))
        results = [frame.results[t] for t in sorted(frame.results)]
        if self.pub_tf is not None and results:
            transforms = []
            for r in results:
                T_body = body_frame(r.joints_world)
                transforms.append(transform_msg(T_body, stamp_msg, cfg.world_frame,
                                                f"body_{r.track_id}"))
                if cfg.publish_joint_frames:
                    transforms += [transform_msg(T, stamp_msg, f"body_{r.track_id}", child)
                                   for child, T in joint_frames(r.joints_world, T_body,
                                                                f"body_{r.track_id}")]
            self.pub_tf.publish(tf_message(transforms))
        if cfg.publish_markers and self._wanted(self.pub_markers):
            self.pub_markers.publish(human_markers(
                [self._marker_person(r) for r in results], cfg.world_frame, stamp_msg,
                cfg.marker_lifetime_s, self.mesh.faces if self.mesh is not None else None))
        image = self._images.pop(frame.stamp, None)
        for old in [s for s in self._images if s < frame.stamp]:
            del self._images[old]
        if image is not None:
            people = [RenderedPerson(r.track_id, r.joints_camera, r.joint_source,
                                     keypoints=r.keypoints if r.observed else None)
                      for r in results]
            self.pub_debug.publish(bgr_to_image_msg(render_people(image, people, frame.K, None),
                                                    stamp_msg, self.camera_frame))

    def _marker_person(self, r) -> MarkerPerson:
        vertices = None
        if self.mesh is not None:
            vertices = self.mesh.vertices_at(r.betas, r.global_orient_world, r.body_pose,
                                             r.pelvis_world).numpy()
        history = self.outputs.trajectories.get(r.track_id, ())
        trajectory = np.array([s.position for s in history]) if history else None
        return MarkerPerson(r.track_id, r.joints_world, r.joint_source, r.joint_uncertainty,
                            trajectory, vertices)

    def _publish_diagnostics(self) -> None:
        now = time.monotonic()
        engine = self.pipeline.engine
        with self._lock:
            c = dict(self.counters)
            queue_length = len(self._queue)
        problems = {k: v for k, v in c.items() if k not in ("people_published",)}
        level = DiagnosticStatus.OK
        message = "running"
        if self.K is None:
            level, message = DiagnosticStatus.WARN, "waiting for a valid camera_info"
        elif problems:
            level, message = DiagnosticStatus.WARN, "input problems: " + ", ".join(
                f"{k} {v}" for k, v in sorted(problems.items()))
        lat = self.latency_ms.percentiles()
        values = {
            "input_rate_hz": self.input_rate.rate(now),
            "output_rate_hz": self.output_rate.rate(now),
            "latency_receive_to_publish_ms_p50": lat["p50"],
            "latency_receive_to_publish_ms_p95": lat["p95"],
            "latency_receive_to_publish_ms_max": lat["max"],
            **{f"time_{stage}_ms_{p}": v for stage, window in self.stage_ms.items()
               for p, v in window.percentiles().items() if p != "max"},
            "queue_length": queue_length,
            "tracks": len(engine.tracks),
            "model_device": self.cfg.device,
            "model_preset": self.cfg.preset,
            "model_runs": engine.stats.runs,
            "frames_published": engine.stats.frames_published,
            "people_over_limit": self.pipeline.tracker.num_rejected_over_limit,
            "images_released_incomplete": self.assembler.released_incomplete,
            **{k: v for k, v in sorted(c.items())},
        }
        status = diagnostic_status("fhmr_node: pipeline", self.get_fully_qualified_name(),
                                   level, message, values)
        self.pub_diagnostics.publish(diagnostic_array(self.get_clock().now().to_msg(),
                                                      [status]))


def main(argv: list[str] | None = None) -> int:
    rclpy.init(args=argv)
    try:
        node = FhmrNode()
    except StartupError as e:
        rclpy.logging.get_logger("fhmr_node").fatal(str(e))
        rclpy.try_shutdown()
        return 1
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        node.stop()
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
