"""Detector + tracker + search schedule: people with stable ids per image, for one stream.

With a detector that follows regions (``tracks_regions``, as MediaPipe's own tracker
does), every image's regions are the live tracks' predicted boxes, which the detector
landmarks; the whole image is searched for new people only every ``search_every`` images,
on the image after a track was lost, and whenever nobody is tracked. Other detectors get
the predicted boxes as hints (``search_predicted_tracks``) and search every image.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .detection import KeypointDetector, PersonDetection
from .external_keypoints import KeypointsFrame
from .tracker import MultiPersonTracker, TrackedPerson, TrackState

NEVER = 10 ** 9         # "images since the last search" before the first one


class DetectorError(RuntimeError):
    """The detector failed on one image (the tracker and the schedule were not touched, so
    the stream can go on with the next image)."""


class SearchSchedule:
    """When a region-tracking detector searches the whole image (one stream's state)."""

    def __init__(self, search_every: int = 4) -> None:
        if search_every < 1:
            raise ValueError(f"search_every must be >= 1, got {search_every}")
        self.search_every = search_every
        self.reset()

    def reset(self) -> None:
        self._since_search = NEVER                  # images since the last search
        self._lost: frozenset[int] = frozenset()    # ids lost at the previous image

    def due(self, n_regions: int) -> bool:
        """Search this image? ``n_regions``: tracked regions the detector will follow."""
        return self._since_search + 1 >= self.search_every or n_regions == 0

    def record(self, searched: bool, tracks: list[TrackedPerson]) -> None:
        """After the tracker's update: a track lost just now makes the next image search."""
        lost = frozenset(t.track_id for t in tracks if t.state is TrackState.LOST)
        self._since_search = 0 if searched else self._since_search + 1
        if lost - self._lost:
            self._since_search = NEVER
        self._lost = lost


@dataclass
class FrontEndOutput:
    detections: list[PersonDetection]
    tracks: list[TrackedPerson]      # every live track (tentative, confirmed, lost)
    searched: bool                   # the detector searched the whole image
    detector_ms: float
    tracker_ms: float


class TrackedFrontEnd:
    def __init__(self, detector: KeypointDetector | None, tracker: MultiPersonTracker,
                 search_every: int = 4, search_predicted_tracks: bool = True) -> None:
        self.detector = detector
        self.tracker = tracker
        self.schedule = SearchSchedule(search_every)
        self.search_predicted_tracks = search_predicted_tracks

    def process(self, image_bgr: np.ndarray | KeypointsFrame, stamp: float,
                K: np.ndarray | None) -> FrontEndOutput:
        """People in one image at ``stamp`` (s, not older than the previous one). A
        KeypointsFrame brings the people another detector found in it: only the tracker
        runs. Raises DetectorError when the detector fails on this image (or there is
        none)."""
        t0 = time.perf_counter()
        if isinstance(image_bgr, KeypointsFrame):
            tracks = self.tracker.update(image_bgr.detections, stamp)
            t1 = time.perf_counter()
            return FrontEndOutput(image_bgr.detections, tracks, True, 0.0, 1e3 * (t1 - t0))
        if self.detector is None:
            raise DetectorError("no detector: this stream takes keypoints, not images")
        follows = getattr(self.detector, "tracks_regions", False)
        regions = (None if not self.search_predicted_tracks else
                   self.tracker.predicted_regions(stamp) if follows else
                   self.tracker.predicted_boxes(stamp))
        searched = True
        try:
            if follows and regions is not None:
                searched = self.schedule.due(len(regions))
                detections = self.detector.detect(image_bgr, K, regions, search=searched)
            else:
                detections = self.detector.detect(image_bgr, K, regions)
        except Exception as e:
            raise DetectorError(f"the detector failed on the image at {stamp:.3f} s: "
                                f"{e!r}") from e
        t1 = time.perf_counter()
        tracks = self.tracker.update(detections, stamp)
        self.schedule.record(searched, tracks)
        t2 = time.perf_counter()
        return FrontEndOutput(detections, tracks, searched, 1e3 * (t1 - t0), 1e3 * (t2 - t1))

    def reset(self) -> None:
        """Forget tracks; ids keep counting up."""
        self.tracker.reset()
        self.schedule.reset()
