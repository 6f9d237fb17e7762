"""The runtime's input side: the bounded image queue with its stamp rules, camera_info, and
each image's camera pose, resolved as soon as odometry (and, for extrinsics from TF, the
transforms) cover its stamp — on arrival, or when they arrive — so it never depends on how
far behind the workers are.

Image stamps must increase:
  - stamp 0 (a driver that does not stamp) or below: refused, counted ``images_unstamped``
    (a video file, whose first frame is at 0, sets ``refuse_zero_stamps=False``);
  - the previous image's stamp again: refused, counted ``images_repeated_stamp``;
  - older than the previous one (a recording looping, a simulator restarting): a TimeJump
    is queued before it, so the images queued earlier are still processed and then every
    track starts afresh (``time_jumps``).
When the queue is full its oldest image is dropped (``images_dropped_queue_full``). An
image waits at most ``odom_wait_s`` after its arrival for its pose and for the first
camera_info (topics arrive in any order).

It shares the runtime's lock (a re-entrant Condition), so that the workers see the queue
and their own state change together.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..geometry.lens_distortion import LensDistortion
from .camera_pose import CameraPoseError, CameraPoses, MissingInput
from .meters import Counters

TIME_JUMP_S = 1.0       # odometry this much older than the newest: a loop, not reordering


@dataclass
class QueueConfig:
    """Built by RuntimeConfig.queue() from the node's settings (no defaults of its own)."""

    queue_size: int              # images waiting for perception; the oldest dropped when full
    odom_wait_s: float           # how long an image waits for odometry (and TF) at its stamp
                                 # and for the first camera_info
    refuse_zero_stamps: bool     # live: 0 means "not stamped"; a video starts at 0
    odom_extrapolate_s: float    # then: bridge a gap this long from the odometry's twist

    def __post_init__(self) -> None:
        if self.queue_size < 1:
            raise ValueError(f"queue_size must be >= 1, got {self.queue_size}")
        if self.odom_wait_s < 0 or self.odom_extrapolate_s < 0:
            raise ValueError("odom_wait_s and odom_extrapolate_s must be >= 0")


@dataclass(frozen=True)
class CameraInfo:
    """What camera_info says about the images: replaced as a whole, never mutated."""

    K: np.ndarray                        # (3, 3)
    size: tuple[int, int]                # (width, height) of the images it is for
    frame_id: str = ""
    distortion: LensDistortion | None = None


@dataclass(eq=False)            # compared by identity (it holds arrays)
class QueuedImage:
    stamp: float
    frame_id: str
    payload: Any                 # what the runtime's ``decode`` turns into a BGR image
    received: float              # monotonic time of arrival
    T_world_camera: np.ndarray | None = None    # (4, 4) once odometry and TF cover the stamp
    missing: CameraPoseError | None = None      # what its pose lacks (yet, or for good)
    unplaceable: bool = False    # the stamp can never get a pose (older than the buffers)


@dataclass
class TimeJump:
    """Queued where time went back (to ``stamp``): every track starts afresh there."""

    stamp: float


class ImageQueue:
    def __init__(self, lock: threading.Condition, poses: CameraPoses, counters: Counters,
                 config: QueueConfig) -> None:
        self.lock = lock
        self.poses = poses
        self.counters = counters
        self.cfg = config
        self.open = False                      # accepting images (the runtime is running)
        self.last_received = time.monotonic()  # when the newest image was accepted
        self._items: deque = deque()           # QueuedImage or TimeJump, for perception
        self._unresolved: list[QueuedImage] = []   # waiting for odometry / TF to reach them
        self._last_stamp: float | None = None
        self._camera: CameraInfo | None = None

    # ------------------------------------------------------------------ state
    def __len__(self) -> int:
        """Items waiting: images and time-jump markers."""
        with self.lock:
            return len(self._items)

    def images_queued(self) -> int:
        with self.lock:
            return sum(isinstance(item, QueuedImage) for item in self._items)

    def pop(self) -> QueuedImage | TimeJump | None:
        """The oldest item, or None; wakes a producer waiting for room."""
        with self.lock:
            item = self._items.popleft() if self._items else None
            self.lock.notify_all()
            return item

    def accept(self) -> None:
        """Take images from now on."""
        with self.lock:
            self.open = True

    def close(self) -> None:
        """Refuse images from now on and end every wait."""
        with self.lock:
            self.open = False
            self.lock.notify_all()

    def clear(self) -> int:
        """Drop everything queued and forget the last stamp and the odometry (a fresh
        start); returns how many images were dropped."""
        with self.lock:
            dropped = self.images_queued()
            self._items.clear()
            self._unresolved.clear()
            self._last_stamp = None
            self.poses.clear()
            return dropped

    # ------------------------------------------------------------------ camera_info
    def set_camera_info(self, camera: CameraInfo) -> None:
        with self.lock:
            self._camera = camera
            self.lock.notify_all()           # images waiting for the first camera_info

    @property
    def camera(self) -> CameraInfo | None:
        with self.lock:
            return self._camera

    def first_camera_info(self, item: QueuedImage) -> CameraInfo | None:
        """The camera_info, waiting for the first one to come (``_wait_for``)."""
        with self.lock:
            self._wait_for(item, lambda: self._camera is not None)
            return self._camera

    def camera_fits(self, camera: CameraInfo, size: tuple[int, int], frame_id: str) -> bool:
        """Whether ``camera`` may serve an image of ``size`` (width, height) in
        ``frame_id``: camera_info of another size drops the image (counted); of another
        frame id it is used, counted."""
        if camera.size != size:
            self.counters.warn("camera_info_size_mismatch", f"camera_info is for "
                               f"{camera.size[0]}x{camera.size[1]}, the image is "
                               f"{size[0]}x{size[1]}: image dropped")
            return False
        if camera.frame_id and frame_id and camera.frame_id != frame_id:
            self.counters.warn("camera_info_frame_mismatch", f"the image's frame_id "
                               f"{frame_id!r} differs from camera_info's "
                               f"{camera.frame_id!r}: the intrinsics may belong to another "
                               "camera (image used)")
        return True

    # ------------------------------------------------------------------ poses
    def add_odometry(self, stamp: float, T_world_base: np.ndarray,
                     twist: np.ndarray | None = None) -> bool:
        """One odometry pose (4, 4) and its twist (6,) when known; False when it is refused
        (counted)."""
        with self.lock:
            newest = self.poses.odometry.latest_stamp
            if newest is not None and stamp < newest:
                if newest - stamp < TIME_JUMP_S:
                    self.counters.warn("odometry_out_of_order", f"odometry at {stamp:.3f} s "
                                       f"arrived after {newest:.3f} s: dropped")
                    return False
                self.counters.warn("odometry_time_jumps", "odometry stamp went back by "
                                   f"{newest - stamp:.1f} s: odometry buffer cleared")
                self.poses.clear()
            self.poses.add_odometry(stamp, T_world_base, twist)
            self._resolve_waiting()
            return True

    def add_transform(self, parent: str, child: str, stamp: float,
                      T_parent_child: np.ndarray, static: bool) -> bool:
        """One transform from /tf_static (``static``) or /tf; False when refused
        (counted)."""
        with self.lock:
            try:
                self.poses.add_transform(parent, child, stamp, T_parent_child, static)
            except ValueError as e:
                self.counters.warn("bad_transforms", f"transform refused: {e}")
                return False
            self._resolve_waiting()
            return True

    def _resolve_waiting(self) -> None:
        self._unresolved = [item for item in self._unresolved if not self._resolve(item)]
        self.lock.notify_all()

    def _resolve(self, item: QueuedImage) -> bool:
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

    def pose_of(self, item: QueuedImage) -> np.ndarray | None:
        """T_world_camera of the image, waiting until ``odom_wait_s`` after its arrival for
        odometry and extrinsics to reach its stamp; then, when the odometry stops at most
        ``odom_extrapolate_s`` short of the stamp, its own twist carries it there (counted
        ``images_pose_extrapolated``); None when it cannot be placed (counted
        ``images_without_odometry`` or ``images_without_extrinsics``)."""
        with self.lock:
            self._wait_for(item, lambda: item.T_world_camera is not None or item.unplaceable)
            if item in self._unresolved:
                self._unresolved.remove(item)
            if item.T_world_camera is None and not item.unplaceable:
                bridged = self.poses.extrapolated(item.stamp, item.frame_id,
                                                  self.cfg.odom_extrapolate_s)
                if bridged is not None:
                    self.counters.warn("images_pose_extrapolated", f"image at "
                                       f"{item.stamp:.3f} s: odometry ends "
                                       f"{item.stamp - self.poses.odometry.latest_stamp:.3f} s "
                                       "before it; placed from the odometry's twist")
                    return bridged
        if item.T_world_camera is not None:
            return item.T_world_camera
        missing = item.missing or MissingInput("odometry", "no odometry yet")
        why = (str(missing) if item.unplaceable else f"no {missing.what} reached its stamp "
               f"within {self.cfg.odom_wait_s:g} s: {missing}")
        self.counters.warn(f"images_without_{missing.what}",
                           f"image at {item.stamp:.3f} s: {why}: dropped")
        return None

    def _wait_for(self, item: QueuedImage, ready: Callable[[], bool]) -> None:
        """Holding the lock: wait until ``ready()``, the queue closes, or ``odom_wait_s``
        after the image's arrival (an image's inputs on other topics may come later)."""
        while not ready() and self.open:
            remaining = item.received + self.cfg.odom_wait_s - time.monotonic()
            if remaining <= 0:
                break
            self.lock.wait(timeout=remaining)

    # ------------------------------------------------------------------ images
    def add_image(self, stamp: float, frame_id: str, payload: Any,
                  wait: bool = False) -> bool:
        """Queue one image; False when it is refused (counted). ``wait``: block while the
        queue is full instead of dropping its oldest image (offline tools)."""
        now = time.monotonic()
        with self.lock:
            if not self.open:
                self.counters.warn("images_while_stopped", "image received while the "
                                   "runtime is stopped: dropped")
                return False
            if not self._stamp_accepted(stamp):
                return False
            while wait and self.open and self.images_queued() >= self.cfg.queue_size:
                self.lock.wait(timeout=0.2)
            if self.images_queued() >= self.cfg.queue_size:
                self._drop_oldest()
            item = QueuedImage(stamp, frame_id, payload, now)
            if not self._resolve(item):
                self._unresolved.append(item)
            self._items.append(item)
            self.last_received = now
            self.lock.notify_all()
            return True

    def _stamp_accepted(self, stamp: float) -> bool:
        """The stamp rules of the module docstring (holding the lock); queues a TimeJump
        where time went back."""
        if stamp <= 0.0 and (self.cfg.refuse_zero_stamps or stamp < 0.0):
            self.counters.warn("images_unstamped", "image with stamp 0 (the camera driver "
                               "does not stamp its images): refused")
            return False
        if self._last_stamp is not None and stamp <= self._last_stamp:
            if stamp == self._last_stamp:
                self.counters.warn("images_repeated_stamp", f"image stamp {stamp:.6f} s "
                                   "repeats the previous image's: refused")
                return False
            self.counters.warn("time_jumps", f"image stamp went back from "
                               f"{self._last_stamp:.3f} to {stamp:.3f} s (a looping "
                               "recording?): the tracks are flushed and start afresh")
            self._items.append(TimeJump(stamp))
        self._last_stamp = stamp
        return True

    def _drop_oldest(self) -> None:
        for i, item in enumerate(self._items):
            if isinstance(item, QueuedImage):
                del self._items[i]
                if item in self._unresolved:
                    self._unresolved.remove(item)
                self.counters.warn("images_dropped_queue_full", "the image queue is full "
                                   "(processing is slower than the camera): the oldest "
                                   "image was dropped")
                return
