"""The runtime's output side: each image's people assembled from the engine's results
(streaming/frame_assembler.py) and complete images handed to the OutputSink (the node
publishes them, fhmr-bag records them, fhmr-video keeps them), with the output rate,
latency and publish time measured and what cannot be published counted."""

from __future__ import annotations

import time
from typing import Protocol

import numpy as np

from ..perception.tracker import TrackState
from .frame_assembler import FrameAssembler, ImageFrame
from .meters import Counters
from .runtime_report import RuntimeMeters


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


class OutputStage:
    """Owned by the model thread: registers images, adds results, releases complete
    images in order."""

    def __init__(self, sink: OutputSink, fps: float, meters: RuntimeMeters,
                 counters: Counters) -> None:
        self.sink = sink
        self.meters = meters
        self.counters = counters
        # a person the detector missed in an image, interpolated there by the engine,
        # is published with that image as tracking state "lost" (predicted)
        self.assembler = FrameAssembler(fps, unlisted=lambda r: {
            "state": TrackState.LOST.value, "score": 0.0, "bbox": r.bbox})

    def __len__(self) -> int:
        """Images registered and not yet released."""
        return len(self.assembler)

    def register(self, frame: ImageFrame) -> None:
        """An image whose people are expected (in image order)."""
        self.assembler.register(frame)

    def add(self, results, live: set[int], now: float) -> None:
        """The engine's results; release the images now complete (``live``: the tracks
        that may still add to them; ``now``: the newest image stamp, inf on a flush)."""
        dropped = self.assembler.add(results)
        if dropped:
            self.counters.warn("states_unpublished", f"{dropped} person state(s) at an "
                               "image stamp came after that image was published (the "
                               "detector had missed the person there)", dropped)
        tic = time.perf_counter()
        for frame in self.assembler.release(live, now):
            self._publish(frame)
        self.meters.stage_ms["publish"].add(1000 * (time.perf_counter() - tic))
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
        self.meters.output_rate.tick(now)
        if frame.received is not None:
            self.meters.latency_ms.add(1000 * (now - frame.received))
        self.counters.add("people_published", len(frame.results))
        self.counters.add("images_published")

    def reset(self, stamp: float) -> None:
        """Time went back to ``stamp`` (or the runtime stopped): forget pending images."""
        self.assembler.clear()
        self.sink.reset(stamp)

    @property
    def released_incomplete(self) -> int:
        return self.assembler.released_incomplete
