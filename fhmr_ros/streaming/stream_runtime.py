"""The node's runtime core, without ROS: the image queue, stamp checks, the two worker
threads, resets on time jumps, flushing, per-image assembly and the counters /diagnostics
reports. The ROS node (fhmr_ros/ros/node.py) only converts messages and publishes; fhmr-bag
drives the same core over a recording.

Threads: ``add_image`` only checks the stamp and queues (a bounded queue; when it is full
the oldest image is dropped, counted). An image's camera pose is resolved as soon as
odometry (and, for extrinsics from TF, the transforms) cover its stamp — on arrival, or
when they arrive — so it never depends on how far behind the workers are; an image waits at
most ``odom_wait_s`` after arrival for them, and as long for the first camera_info (topics
arrive in any order, so a stream's first image may come before its camera_info). The
perception thread decodes an image and runs detector -> tracker; it hands the result to
the model thread (at most one waiting), which runs the streaming engine, assembles each
image's people and hands complete images to the OutputSink. So the next image is
perceived while the model works on this one.

Image stamps must increase:
  - stamp 0 (a driver that does not stamp) or below: refused, counted ``images_unstamped``
    (a video file, whose first frame is at 0, sets ``refuse_zero_stamps=False``);
  - the previous image's stamp again: refused, counted ``images_repeated_stamp``;
  - older than the previous one (a recording looping, a simulator restarting): the images
    queued before it are still processed; then every track is flushed (the frames its lag
    held back are published) and tracks, windows and outputs start afresh (``time_jumps``).
Nothing received is lost silently: every image or result that is not published is
counted under its reason, and a failure on one image is counted and the next goes on.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Protocol

import numpy as np
import torch

from ..geometry.lens_distortion import LensDistortion
from ..perception.external_keypoints import KeypointsFrame
from ..perception.tracked_front_end import DetectorError, FrontEndOutput
from ..perception.tracker import TrackState
from .camera_pose import CameraPoseError, CameraPoses, MissingInput
from .frame_assembler import FrameAssembler, ImageFrame
from .human_pipeline import HumanPipeline
from .meters import Counters, LatencyWindow, RateMeter

STAGES = ("decode", "detector", "tracker", "model", "publish")   # timed per image
TIME_JUMP_S = 1.0       # odometry this much older than the newest: a loop, not reordering


def share_threads(total: int) -> int:
    """The perception and model threads run at the same time: torch (model) gets half of
    ``total`` CPU threads, set here; returns the detector's (perception) half."""
    torch.set_num_threads(max(1, total - total // 2))
    return max(1, total // 2)


@dataclass
class RuntimeConfig:
    queue_size: int = 2          # images waiting for perception; the oldest dropped when full
    odom_wait_s: float = 0.5     # how long an image waits for odometry (and TF) at its stamp
                                 # and for the first camera_info
    flush_idle_s: float = 1.0    # no image this long: publish what the lag holds back
    refuse_zero_stamps: bool = True   # live: 0 means "not stamped"; a video starts at 0

    def __post_init__(self) -> None:
        if self.queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {self.queue_size}")
        if self.odom_wait_s < 0 or self.flush_idle_s <= 0:
            raise ValueError("odom_wait_s must be >= 0 and flush_idle_s > 0")


class OutputSink(Protocol):
    """Where complete images go (the node publishes them; fhmr-bag records them)."""

    def wants_image(self) -> bool:
        """Keep the decoded image for ``publish`` (e.g. a debug overlay is subscribed)."""

    def publish(self, frame: ImageFrame, image: np.ndarray | None) -> None:
        """One image's people, in image order."""

    def forget(self, live_tracks: set[int]) -> None:
        """Tracks not in ``live_tracks`` have ended."""

    def reset(self, stamp: float) -> None:
        """Time went back to ``stamp``: every track ended; start afresh."""


@dataclass(frozen=True)
class CameraInfo:
    """What camera_info says about the images: replaced as a whole, never mutated."""

    K: np.ndarray                        # (3, 3)
    size: tuple[int, int]                # (width, height) of the images it is for
    frame_id: str = ""
    distortion: LensDistortion | None = None


@dataclass(eq=False)            # compared by identity (it holds arrays)
class _Queued:
    stamp: float
    frame_id: str
    payload: Any                 # what ``decode`` turns into a BGR image
    received: float              # monotonic time of arrival
    T_world_camera: np.ndarray | None = None    # (4, 4) once odometry and TF cover the stamp
    missing: CameraPoseError | None = None      # what its pose lacks (yet, or for good)
    unplaceable: bool = False    # the stamp can never get a pose (older than the buffers)


@dataclass
class _Perceived:
    stamp: float
    frame_id: str
    received: float
    camera: CameraInfo
    T_world_camera: np.ndarray   # (4, 4)
    front: FrontEndOutput
    image: np.ndarray | None     # only when the sink wants it


@dataclass
class _Reset:
    """Queued and handed over where time went back (to ``stamp``)."""

    stamp: float


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
        # a person the detector missed in an image, interpolated there by the engine,
        # is published with that image as tracking state "lost" (predicted)
        self.assembler = FrameAssembler(pipeline.engine.fps, unlisted=lambda r: {
            "state": TrackState.LOST.value, "score": 0.0, "bbox": r.bbox})
        self.input_rate, self.output_rate = RateMeter(), RateMeter()
        self.latency_ms = LatencyWindow()                  # receive -> handed to the sink
        self.stage_ms = {stage: LatencyWindow() for stage in STAGES}   # per image
        self._lock = threading.Condition()     # re-entrant: guards everything below
        self._queue: deque = deque()           # _Queued or _Reset, for perception
        self._handoff: deque = deque()         # _Perceived or _Reset, for the model
        self._unresolved: list[_Queued] = []   # images waiting for odometry / TF to reach them
        self._last_stamp: float | None = None
        self._camera: CameraInfo | None = None
        self._running = False
        self._busy = {"perception": False, "model": False}
        self._last_received = time.monotonic()     # when the newest image was accepted
        self._workers: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        with self._lock:
            if self._running:
                return
            self._running = True
        self._workers = [threading.Thread(target=loop, name=f"fhmr_{name}", daemon=True)
                         for name, loop in (("perception", self._perception_loop),
                                            ("model", self._model_loop))]
        for worker in self._workers:
            worker.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            self._running = False
            self._lock.notify_all()
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
            dropped = (self._images_queued() + len(self.assembler)
                       + sum(isinstance(item, _Perceived) for item in self._handoff))
            self._queue.clear()
            self._handoff.clear()
            self._unresolved.clear()
            self._last_stamp = None
            self.poses.clear()
        if dropped:
            self.counters.warn("images_discarded", f"{dropped} image(s) not yet published "
                               "when the node stopped: dropped", dropped)
        self.pipeline.reset()
        self._reset(0.0)
        return dropped

    def idle(self) -> bool:
        """Nothing queued, nothing being processed, nothing waiting to be published."""
        with self._lock:
            return not (self._queue or self._handoff or any(self._busy.values())
                        or len(self.assembler))

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
        with self._lock:
            self._camera = CameraInfo(K, size, frame_id, distortion)
            self._lock.notify_all()          # images waiting for the first camera_info

    @property
    def has_camera_info(self) -> bool:
        with self._lock:
            return self._camera is not None

    def _images_queued(self) -> int:
        """Images waiting for perception (the queue also holds time-jump markers)."""
        return sum(isinstance(item, _Queued) for item in self._queue)

    def add_odometry(self, stamp: float, T_world_base: np.ndarray) -> bool:
        """One odometry pose (4, 4); False when it is refused (counted)."""
        with self._lock:
            newest = self.poses.odometry.latest_stamp
            if newest is not None and stamp < newest:
                if newest - stamp < TIME_JUMP_S:
                    self.counters.warn("odometry_out_of_order", f"odometry at {stamp:.3f} s "
                                       f"arrived after {newest:.3f} s: dropped")
                    return False
                self.counters.warn("odometry_time_jumps", "odometry stamp went back by "
                                   f"{newest - stamp:.1f} s: odometry buffer cleared")
                self.poses.clear()
            self.poses.add_odometry(stamp, T_world_base)
            self._unresolved = [item for item in self._unresolved if not self._resolve(item)]
            self._lock.notify_all()
            return True

    def add_transform(self, parent: str, child: str, stamp: float,
                      T_parent_child: np.ndarray, static: bool) -> bool:
        """One transform from /tf_static (``static``) or /tf, for extrinsics looked up in
        TF; False when it is refused (counted)."""
        with self._lock:
            try:
                self.poses.add_transform(parent, child, stamp, T_parent_child, static)
            except ValueError as e:
                self.counters.warn("bad_transforms", f"transform refused: {e}")
                return False
            self._unresolved = [item for item in self._unresolved if not self._resolve(item)]
            self._lock.notify_all()
            return True

    def _resolve(self, item: _Queued) -> bool:
        """Give ``item`` its camera pose if odometry and extrinsics cover its stamp; True
        when settled (a pose, or a stamp nothing can ever place)."""
        try:
            item.T_world_camera = self.poses.at(item.stamp, item.frame_id)
        except MissingInput as e:
            item.missing = e
            return False
        except CameraPoseError as e:
            item.missing, item.unplaceable = e, True
        return True

    def add_image(self, stamp: float, frame_id: str, payload: Any,
                  wait: bool = False) -> bool:
        """Queue one image; False when it is refused (counted). ``wait``: block while the
        queue is full instead of dropping its oldest image (offline tools)."""
        now = time.monotonic()
        with self._lock:
            if not self._running:
                self.counters.warn("images_while_stopped", "image received while the "
                                   "runtime is stopped: dropped")
                return False
            if stamp <= 0.0 and (self.cfg.refuse_zero_stamps or stamp < 0.0):
                self.counters.warn("images_unstamped", "image with stamp 0 (the camera "
                                   "driver does not stamp its images): refused")
                return False
            if self._last_stamp is not None and stamp <= self._last_stamp:
                if stamp == self._last_stamp:
                    self.counters.warn("images_repeated_stamp", f"image stamp {stamp:.6f} s "
                                       "repeats the previous image's: refused")
                    return False
                self.counters.warn("time_jumps", f"image stamp went back from "
                                   f"{self._last_stamp:.3f} to {stamp:.3f} s (a looping "
                                   "recording?): the tracks are flushed and start afresh")
                self._queue.append(_Reset(stamp))
            self._last_stamp = stamp
            while wait and self._running and self._images_queued() >= self.cfg.queue_size:
                self._lock.wait(timeout=0.2)
            if self._images_queued() >= self.cfg.queue_size:
                self._drop_oldest_queued()
            item = _Queued(stamp, frame_id, payload, now)
            if not self._resolve(item):
                self._unresolved.append(item)
            self._queue.append(item)
            self.input_rate.tick(now)
            self._last_received = now
            self._lock.notify_all()
            return True

    def _drop_oldest_queued(self) -> None:
        for i, item in enumerate(self._queue):
            if isinstance(item, _Queued):
                del self._queue[i]
                if item in self._unresolved:
                    self._unresolved.remove(item)
                self.counters.warn("images_dropped_queue_full", "the image queue is full "
                                   "(processing is slower than the camera): the oldest "
                                   "image was dropped")
                return

    # ------------------------------------------------------------------ perception thread
    def _perception_loop(self) -> None:
        while True:
            with self._lock:
                while self._running and not self._queue:
                    self._lock.wait(timeout=0.2)
                if not self._running:
                    return
                item, camera = self._queue.popleft(), self._camera
                self._busy["perception"] = True
                self._lock.notify_all()          # room in the queue
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
        if isinstance(item, _Reset):
            self.pipeline.front_end.reset()
            self._hand_over(item)
            return
        perceived = self._perceive(item, camera)
        if perceived is not None:
            self._hand_over(perceived)

    def _perceive(self, item: _Queued, camera: CameraInfo | None) -> _Perceived | None:
        """Decode, camera pose, detector and tracker; None when the image is dropped
        (counted)."""
        tic = time.perf_counter()
        try:
            image = self.decode(item.payload)
        except ValueError as e:
            self.counters.warn("bad_images", f"image refused: {e}")
            return None
        self.stage_ms["decode"].add(1000 * (time.perf_counter() - tic))
        camera = camera or self._first_camera_info(item)
        if camera is None:
            self.counters.warn("images_without_camera_info", "no valid camera_info within "
                               f"{self.cfg.odom_wait_s:g} s of the image: image dropped "
                               "(intrinsics are needed)")
            return None
        size = (image.size if isinstance(image, KeypointsFrame)
                else (image.shape[1], image.shape[0]))
        if camera.size != size:
            self.counters.warn("camera_info_size_mismatch", f"camera_info is for "
                               f"{camera.size[0]}x{camera.size[1]}, the image is "
                               f"{size[0]}x{size[1]}: image dropped")
            return None
        if camera.frame_id and item.frame_id and camera.frame_id != item.frame_id:
            self.counters.warn("camera_info_frame_mismatch", f"the image's frame_id "
                               f"{item.frame_id!r} differs from camera_info's "
                               f"{camera.frame_id!r}: the intrinsics may belong to another "
                               "camera (image used)")
        T_wc = self._pose_of(item)
        if T_wc is None:
            return None
        try:
            front = self.pipeline.perceive(image, item.stamp, camera.K)
        except DetectorError as e:
            self.counters.warn("detector_errors", f"{e}: image dropped")
            return None
        keep = isinstance(image, np.ndarray) and self.sink.wants_image()
        return _Perceived(item.stamp, item.frame_id, item.received, camera, T_wc, front,
                          image if keep else None)

    def _wait_for(self, item: _Queued, ready: Callable[[], bool]) -> None:
        """Holding the lock: wait until ``ready()``, the runtime stops, or ``odom_wait_s``
        after the image's arrival (an image's inputs on other topics may come later)."""
        while not ready() and self._running:
            remaining = item.received + self.cfg.odom_wait_s - time.monotonic()
            if remaining <= 0:
                break
            self._lock.wait(timeout=remaining)

    def _first_camera_info(self, item: _Queued) -> CameraInfo | None:
        """The camera_info, waiting for the first one to come (``_wait_for``)."""
        with self._lock:
            self._wait_for(item, lambda: self._camera is not None)
            return self._camera

    def _pose_of(self, item: _Queued) -> np.ndarray | None:
        """T_world_camera of the image, waiting until ``odom_wait_s`` after its arrival for
        odometry and extrinsics to reach its stamp; None when it cannot be placed (counted
        ``images_without_odometry`` or ``images_without_extrinsics``)."""
        with self._lock:
            self._wait_for(item, lambda: item.T_world_camera is not None or item.unplaceable)
            if item in self._unresolved:
                self._unresolved.remove(item)
        if item.T_world_camera is not None:
            return item.T_world_camera
        missing = item.missing or MissingInput("odometry", "no odometry yet")
        why = (str(missing) if item.unplaceable else f"no {missing.what} reached its stamp "
               f"within {self.cfg.odom_wait_s:g} s: {missing}")
        self.counters.warn(f"images_without_{missing.what}",
                           f"image at {item.stamp:.3f} s: {why}: dropped")
        return None

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
        return (not self._queue and not self._busy["perception"]
                and time.monotonic() - self._last_received > self.cfg.flush_idle_s)

    def _model_loop(self) -> None:
        while True:
            with self._lock:
                while self._running and not self._handoff:
                    self._lock.wait(timeout=0.2)
                    if len(self.assembler) and self._input_stopped():
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
        elif isinstance(item, _Reset):
            self._flush()
            self._reset(item.stamp)
        else:
            self._estimate(item)

    def _estimate(self, p: _Perceived) -> None:
        """The streaming engine on a perceived image, then hand over the images now final."""
        out = self.pipeline.estimate(p.front, p.stamp, p.camera.K, p.T_world_camera,
                                     p.camera.distortion)
        for stage in ("detector", "tracker", "model"):
            self.stage_ms[stage].add(getattr(out.timings, stage))
        expected = {t.track_id: {"state": t.state.value, "score": t.detection.score,
                                 "bbox": t.bbox}
                    for t in out.tracks if t.detection is not None}
        self.assembler.register(ImageFrame(
            p.stamp, p.T_world_camera, p.camera.K, expected, frame_id=p.frame_id,
            detections=out.detections, timings=out.timings, received=p.received,
            image=p.image))
        self._assemble(out.results, set(self.pipeline.engine.tracks), p.stamp)

    def _flush(self) -> None:
        """The input stopped (or time went back): publish everything the lag holds back."""
        self._assemble(self.pipeline.flush(), set(), float("inf"))

    def _assemble(self, results, live: set[int], now: float) -> None:
        dropped = self.assembler.add(results)
        if dropped:
            self.counters.warn("states_unpublished", f"{dropped} person state(s) at an "
                               "image stamp came after that image was published (the "
                               "detector had missed the person there)", dropped)
        tic = time.perf_counter()
        for frame in self.assembler.release(live, now):
            self._publish(frame)
        self.stage_ms["publish"].add(1000 * (time.perf_counter() - tic))
        self.sink.forget(live)

    def _publish(self, frame: ImageFrame) -> None:
        image, frame.image = frame.image, None      # the sink gets it; the frame lets go
        try:
            self.sink.publish(frame, image)
        except Exception as e:  # noqa: BLE001 -- counted; the next image goes on
            self.counters.warn("publish_errors", f"publishing the image at "
                               f"{frame.stamp:.3f} s failed: {e!r}")
            return
        now = time.monotonic()
        self.output_rate.tick(now)
        if frame.received is not None:
            self.latency_ms.add(1000 * (now - frame.received))
        self.counters.add("people_published", len(frame.results))
        self.counters.add("images_published")

    def _reset(self, stamp: float) -> None:
        """Time went back to ``stamp``: windows and outputs start afresh (the perception
        thread has reset the tracker)."""
        self.pipeline.engine.reset()
        self.assembler.clear()
        self.sink.reset(stamp)

    # ------------------------------------------------------------------ reporting
    def values(self) -> dict[str, object]:
        """Everything /diagnostics reports, by name."""
        now = time.monotonic()
        engine, tracker = self.pipeline.engine, self.pipeline.tracker
        lat = self.latency_ms.percentiles()
        with self._lock:
            queue_length = self._images_queued()
        return {
            "input_rate_hz": self.input_rate.rate(now),
            "output_rate_hz": self.output_rate.rate(now),
            "latency_receive_to_publish_ms_p50": lat["p50"],
            "latency_receive_to_publish_ms_p95": lat["p95"],
            "latency_receive_to_publish_ms_max": lat["max"],
            **{f"time_{stage}_ms_{p}": v for stage, window in self.stage_ms.items()
               for p, v in window.percentiles().items() if p != "max"},
            "queue_length": queue_length,
            "tracks": len(engine.tracks),
            "model_runs": engine.stats.runs,
            "frames_published": engine.stats.frames_published,
            "short_tracks_dropped": engine.stats.short_tracks_dropped,
            "unseen_runs": engine.stats.unseen_runs,
            "people_over_limit": tracker.num_rejected_over_limit,
            "detections_ignored_low_score": tracker.num_ignored_low_score,
            "detections_ignored_invalid": tracker.num_ignored_invalid,
            **{f"detector_{k}": v for k, v in
               dict(getattr(self.pipeline.detector, "dropped", {})).items()},
            "images_released_incomplete": self.assembler.released_incomplete,
            **self.counters.snapshot(),
        }

    def problems(self) -> dict[str, int]:
        """Counts of refused or dropped input and failures (for the status message)."""
        return {k: v for k, v in self.counters.snapshot().items()
                if k not in ("people_published", "images_published")}
