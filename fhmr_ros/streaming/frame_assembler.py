"""Regroup the engine's per-track results by input image, in image order.

The engine publishes each track's grid frames when they become final (after the stride and
the lag), track by track. Consumers that speak per image (a HumanStateArray is stamped with
one image's stamp) need all people of that image together. Every processed image is
registered with the tracks observed in it; a result lands on the image within half a model
grid step of its stamp, its camera-frame fields re-expressed in the image's own camera pose
(FrameResult.seen_from), so camera and world outputs agree through the pose at the image
stamp. An image is complete when each of its tracks has delivered or has
left the engine (finished without output, e.g. a track too short to run); complete images
are released oldest first, and an image pending longer than ``max_wait_s`` of stream time
is released with what it has (counted), so one stuck track cannot stall the output.
A person the image did not list (the detector missed them there; the engine interpolated
their state between detections) joins the image if it is still pending, with the info
``unlisted(result)`` gives, e.g. tracking state "lost"; without ``unlisted`` such states
are left out and counted by the caller.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .engine import FrameResult


@dataclass
class ImageFrame:
    """One processed image and the people published for it."""

    stamp: float
    T_world_camera: np.ndarray              # (4, 4)
    K: np.ndarray                           # (3, 3)
    expected: dict[int, dict]               # track id -> tracker info (state, score, ...)
    floor_z: float = 0.0                    # the floor's world height at the stamp (m)
    results: dict[int, FrameResult] = field(default_factory=dict)
    incomplete: bool = False                # released on timeout without every track
    frame_id: str = ""                      # the image's optical frame, where it has one
    size: tuple[int, int] = (0, 0)          # the image's (width, height), where known
    detections: list = field(default_factory=list)   # every person the detector found
    timings: object = None                  # StageTimings of the image, where known
    received: float | None = None           # monotonic time the image arrived, where known
    image: np.ndarray | None = None         # the decoded image, kept for its outputs


class FrameAssembler:
    def __init__(self, model_fps: float, max_wait_s: float = 5.0,
                 unlisted: Callable[[FrameResult], dict] | None = None) -> None:
        self.tolerance = 0.5 / model_fps + 1e-6
        self.max_wait_s = max_wait_s
        self.unlisted = unlisted
        self._pending: deque[ImageFrame] = deque()
        self._last_released = float("-inf")        # stamp of the newest released image
        self.released_incomplete = 0

    def __len__(self) -> int:
        return len(self._pending)

    def clear(self) -> None:
        self._pending.clear()
        self._last_released = float("-inf")

    def register(self, frame: ImageFrame) -> None:
        """An image was processed; ``frame.expected`` maps the track ids observed in it to
        what the caller wants to keep about them (tracking state, score, box)."""
        self._pending.append(frame)

    def add(self, results: list[FrameResult]) -> int:
        """Attach engine results to the images they belong to. Grid frames between images
        belong to none (the model's grid is finer than the camera's). Returns how many
        results that do belong to an image could not be attached — the image was already
        released, or it did not list the track and there is no ``unlisted`` — for the
        caller to count."""
        stamps = np.array([f.stamp for f in self._pending])
        dropped = 0
        for r in results:
            i = int(np.argmin(np.abs(stamps - r.stamp))) if len(stamps) else -1
            if i >= 0 and abs(stamps[i] - r.stamp) <= self.tolerance:
                frame = self._pending[i]
                if r.track_id not in frame.expected and self.unlisted is not None:
                    frame.expected[r.track_id] = self.unlisted(r)
                if r.track_id in frame.expected:
                    frame.results[r.track_id] = r.seen_from(frame.T_world_camera)
                else:
                    dropped += 1
            elif r.stamp <= self._last_released + self.tolerance:
                dropped += 1
        return dropped

    def release(self, live_tracks: set[int], now: float) -> list[ImageFrame]:
        """Complete images, oldest first: every expected track delivered or is no longer in
        ``live_tracks``; images older than ``now - max_wait_s`` go out regardless."""
        out = []
        while self._pending:
            frame = self._pending[0]
            waiting = {t for t in frame.expected
                       if t not in frame.results and t in live_tracks}
            if waiting and now - frame.stamp <= self.max_wait_s:
                break
            frame.incomplete = bool(waiting)
            self.released_incomplete += frame.incomplete
            self._last_released = frame.stamp
            out.append(self._pending.popleft())
        return out
