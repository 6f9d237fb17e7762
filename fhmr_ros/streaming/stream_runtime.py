"""The node's runtime core, without ROS: two worker threads between the input queue
(streaming/image_queue.py: stamp rules, camera_info, pose waiting) and the OutputSink, with
resets on time jumps, flushing, per-image assembly and the counters /diagnostics reports
(streaming/runtime_report.py). The ROS node (fhmr_ros/ros/node.py) only converts messages
and publishes; fhmr-bag and fhmr-video drive the same core over a recording or a video.

Threads: ``add_image`` only checks the stamp and queues. The perception thread decodes an
image, waits for its camera pose and runs detector -> tracker; it hands the result to the
model thread (at most one waiting), which runs the streaming engine, assembles each
image's people and hands complete images to the OutputSink. So the next image is perceived
while the model works on this one. Where time went back, the images queued before are
still processed; then every track is flushed (the frames its lag held back are published)
and tracks, windows and outputs start afresh.
Nothing received is lost silently: every image or result that is not published is
counted under its reason, and a failure on one image is counted and the next goes on.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from ..geometry.lens_distortion import LensDistortion
from ..perception.external_keypoints import KeypointsFrame
from ..perception.tracked_front_end import DetectorError, FrontEndOutput
from .camera_pose import CameraPoses
from .frame_assembler import ImageFrame
from .human_pipeline import HumanPipeline
from .image_queue import CameraInfo, ImageQueue, QueueConfig, QueuedImage, TimeJump
from .meters import Counters
from .output_stage import OutputSink, OutputStage
from .runtime_report import RuntimeMeters, problems
from .settings import NodeSettings


def share_threads(total: int) -> int:
    """The perception and model threads run at the same time: torch (model) gets half of
    ``total`` CPU threads, set here; returns the detector's (perception) half."""
    torch.set_num_threads(max(1, total - total // 2))
    return max(1, total // 2)


@dataclass
class RuntimeConfig:
    """The node's parameters of the same names (streaming/settings.py) and the zero-stamp
    rule."""

    queue_size: int = NodeSettings.queue_size
    odom_wait_s: float = NodeSettings.odom_wait_s
    flush_idle_s: float = NodeSettings.flush_idle_s
    odom_extrapolate_s: float = NodeSettings.odom_extrapolate_s
    refuse_zero_stamps: bool = True   # live: 0 means "not stamped"; a video starts at 0

    def __post_init__(self) -> None:
        if self.flush_idle_s <= 0:
            raise ValueError("flush_idle_s must be > 0")
        self.queue()                 # the queue's own checks

    def queue(self) -> QueueConfig:
        return QueueConfig(self.queue_size, self.odom_wait_s, self.refuse_zero_stamps,
                           self.odom_extrapolate_s)


@dataclass
class _Perceived:
    stamp: float
    frame_id: str
    received: float
    camera: CameraInfo
    T_world_camera: np.ndarray   # (4, 4)
    floor_z: float               # the floor's world height at the stamp
    front: FrontEndOutput
    image: np.ndarray | None     # only when the sink wants it


class StreamRuntime:
    def __init__(self, pipeline: HumanPipeline, poses: CameraPoses,
                 decode: Callable[[Any], np.ndarray], sink: OutputSink,
                 config: RuntimeConfig | None = None,
                 log: Callable[[str], None] | None = None) -> None:
        """``decode(payload)`` -> (H, W, 3) uint8 BGR, or the KeypointsFrame of people
        another detector found in the image (keypoints input); it raises ValueError for
        what it cannot read (the message says why). ``log`` receives throttled warnings."""
        self.pipeline = pipeline
        self.poses = poses
        self.decode = decode
        self.sink = sink
        self.cfg = config or RuntimeConfig()
        self.counters = Counters(log)
        self.meters = RuntimeMeters()
        self.output = OutputStage(sink, pipeline.fps, self.meters, self.counters)
        self._lock = threading.Condition()     # re-entrant: guards the queue and below
        self.queue = ImageQueue(self._lock, poses, self.counters, self.cfg.queue())
        self._handoff: deque = deque()         # _Perceived or TimeJump, for the model
        self._busy = {"perception": False, "model": False}
        self._workers: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle
    @property
    def _running(self) -> bool:
        return self.queue.open

    def start(self) -> None:
        with self._lock:
            if self._running:
                return
            self.queue.accept()
        self._workers = [threading.Thread(target=loop, name=f"fhmr_{name}", daemon=True)
                         for name, loop in (("perception", self._perception_loop),
                                            ("model", self._model_loop))]
        for worker in self._workers:
            worker.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self.queue.close()
        for worker in self._workers:
            worker.join(timeout=timeout_s)

    def discard(self) -> int:
        """After ``stop``: drop whatever is still queued, half processed or held back by the
        lag (counted ``images_discarded``), end every track and forget the last stamp and
        the odometry, so that a later ``start`` begins afresh (a lifecycle node that is
        deactivated). Returns how many images were dropped."""
        with self._lock:
            if self._running:
                raise RuntimeError("discard() needs the workers stopped (call stop first)")
            dropped = (self.queue.clear() + len(self.output)
                       + sum(isinstance(item, _Perceived) for item in self._handoff))
            self._handoff.clear()
        if dropped:
            self.counters.warn("images_discarded", f"{dropped} image(s) not yet published "
                               "when the node stopped: dropped", dropped)
        self.pipeline.reset()
        self._reset(0.0)
        return dropped

    def idle(self) -> bool:
        """Nothing queued, nothing being processed, nothing waiting to be published."""
        with self._lock:
            return not (len(self.queue) or self._handoff or any(self._busy.values())
                        or len(self.output))

    def wait_until_idle(self, timeout_s: float) -> bool:
        """Until everything received is published (after ``flush_idle_s`` without input the
        lag's frames are flushed too); False on timeout."""
        end = time.monotonic() + timeout_s
        while not self.idle():
            if time.monotonic() > end:
                return False
            time.sleep(0.02)
        return True

    # ------------------------------------------------------------------ inputs
    def set_camera_info(self, K: np.ndarray, size: tuple[int, int], frame_id: str = "",
                        distortion: LensDistortion | None = None) -> None:
        """Intrinsics (3, 3) and lens distortion of images of ``size`` (width, height);
        keypoints are undistorted before the model, which assumes a pinhole camera."""
        self.queue.set_camera_info(CameraInfo(K, size, frame_id, distortion))

    @property
    def has_camera_info(self) -> bool:
        return self.queue.camera is not None

    def add_odometry(self, stamp: float, T_world_base: np.ndarray,
                     twist: np.ndarray | None = None) -> bool:
        """One odometry pose (4, 4) with its twist (6,) in the base frame (linear m/s, then
        angular rad/s) when known; False when it is refused (counted)."""
        return self.queue.add_odometry(stamp, T_world_base, twist)

    def add_transform(self, parent: str, child: str, stamp: float,
                      T_parent_child: np.ndarray, static: bool) -> bool:
        """One transform from /tf_static (``static``) or /tf, for extrinsics looked up in
        TF; False when it is refused (counted)."""
        return self.queue.add_transform(parent, child, stamp, T_parent_child, static)

    def add_image(self, stamp: float, frame_id: str, payload: Any,
                  wait: bool = False) -> bool:
        """Queue one image (image_queue.py: stamp rules); False when it is refused
        (counted). ``wait``: block while the queue is full instead of dropping its oldest
        image (offline tools)."""
        taken = self.queue.add_image(stamp, frame_id, payload, wait)
        if taken:
            self.meters.input_rate.tick(self.queue.last_received)
        return taken

    # ------------------------------------------------------------------ perception thread
    def _perception_loop(self) -> None:
        while True:
            with self._lock:
                while self._running and not len(self.queue):
                    self._lock.wait(timeout=0.2)
                if not self._running:
                    return
                item, camera = self.queue.pop(), self.queue.camera
                self._busy["perception"] = True
            self._step("perception", lambda: self._perception_step(item, camera))

    def _step(self, thread: str, step: Callable[[], None]) -> None:
        """One step of a worker thread: a failure is counted and the stream goes on."""
        try:
            step()
        except Exception as e:  # noqa: BLE001 -- one image must not stop the stream
            self.counters.warn("worker_errors", f"the {thread} thread failed on an "
                               f"image: {e!r}")
        finally:
            with self._lock:
                self._busy[thread] = False

    def _perception_step(self, item, camera: CameraInfo | None) -> None:
        if isinstance(item, TimeJump):
            self.pipeline.reset_front_end()
            self._hand_over(item)
            return
        perceived = self._perceive(item, camera)
        if perceived is not None:
            self._hand_over(perceived)

    def _perceive(self, item: QueuedImage, camera: CameraInfo | None) -> _Perceived | None:
        """Decode, camera pose, detector and tracker; None when the image is dropped
        (counted)."""
        tic = time.perf_counter()
        try:
            image = self.decode(item.payload)
        except ValueError as e:
            self.counters.warn("bad_images", f"image refused: {e}")
            return None
        self.meters.stage_ms["decode"].add(1000 * (time.perf_counter() - tic))
        camera = camera or self.queue.first_camera_info(item)
        if camera is None:
            self.counters.warn("images_without_camera_info", "no valid camera_info within "
                               f"{self.cfg.odom_wait_s:g} s of the image: image dropped "
                               "(intrinsics are needed)")
            return None
        size = (image.size if isinstance(image, KeypointsFrame)
                else (image.shape[1], image.shape[0]))
        if not self.queue.camera_fits(camera, size, item.frame_id):
            return None
        T_wc = self.queue.pose_of(item)
        if T_wc is None:
            return None
        try:
            front = self.pipeline.perceive(image, item.stamp, camera.K)
        except DetectorError as e:
            self.counters.warn("detector_errors", f"{e}: image dropped")
            return None
        keep = isinstance(image, np.ndarray) and self.sink.wants_image()
        with self._lock:                      # odometry and TF arrive on other threads
            floor_z = self.poses.floor_height(item.stamp)
        return _Perceived(item.stamp, item.frame_id, item.received, camera, T_wc, floor_z,
                          front, image if keep else None)

    def _hand_over(self, item) -> None:
        """Give the model thread one item, waiting while it still has one (so the image
        queue, not this thread, drops images when the model falls behind)."""
        with self._lock:
            while self._running and self._handoff:
                self._lock.wait(timeout=0.2)
            self._handoff.append(item)
            self._lock.notify_all()

    # ------------------------------------------------------------------ model thread
    def _input_stopped(self) -> bool:
        """No image for ``flush_idle_s``, none queued and none being perceived: only then
        are the tracks flushed (a slow or waiting perception thread is not an idle input).
        Called with the lock held."""
        return (not len(self.queue) and not self._busy["perception"]
                and time.monotonic() - self.queue.last_received > self.cfg.flush_idle_s)

    def _model_loop(self) -> None:
        while True:
            with self._lock:
                while self._running and not self._handoff:
                    self._lock.wait(timeout=0.2)
                    if len(self.output) and self._input_stopped():
                        break
                if not self._running:
                    return
                item = self._handoff.popleft() if self._handoff else None
                self._busy["model"] = True
                self._lock.notify_all()          # room for the next perceived image
            self._step("model", lambda: self._model_step(item))

    def _model_step(self, item) -> None:
        if item is None:
            self._flush()
        elif isinstance(item, TimeJump):
            self._flush()
            self._reset(item.stamp)
        else:
            self._estimate(item)

    def _estimate(self, p: _Perceived) -> None:
        """The streaming engine on a perceived image, then hand over the images now final."""
        out = self.pipeline.estimate(p.front, p.stamp, p.camera.K, p.T_world_camera,
                                     p.camera.distortion, p.floor_z)
        for stage in ("detector", "tracker", "model"):
            self.meters.stage_ms[stage].add(getattr(out.timings, stage))
        expected = {t.track_id: {"state": t.state.value, "score": t.detection.score,
                                 "bbox": t.bbox}
                    for t in out.tracks if t.detection is not None}
        self.output.register(ImageFrame(
            p.stamp, p.T_world_camera, p.camera.K, expected, floor_z=p.floor_z,
            frame_id=p.frame_id,
            size=p.camera.size,
            detections=out.detections, timings=out.timings, received=p.received,
            image=p.image))
        self.output.add(out.results, self.pipeline.live_tracks(), p.stamp)

    def _flush(self) -> None:
        """The input stopped (or time went back): publish everything the lag holds back."""
        self.output.add(self.pipeline.flush(), set(), float("inf"))

    def _reset(self, stamp: float) -> None:
        """Time went back to ``stamp``: windows and outputs start afresh (the perception
        thread has reset the tracker)."""
        self.pipeline.reset_estimates()
        self.output.reset(stamp)

    # ------------------------------------------------------------------ reporting
    def values(self) -> dict[str, object]:
        """Everything /diagnostics reports, by name."""
        return {**self.meters.values(), "queue_length": self.queue.images_queued(),
                "floor": self.poses.floor_source,
                **self.pipeline.counts(),
                "images_released_incomplete": self.output.released_incomplete,
                **self.counters.snapshot()}

    def problems(self) -> dict[str, int]:
        """Counts of refused or dropped input and failures (for the status message)."""
        return problems(self.counters)
