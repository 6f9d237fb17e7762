"""Image in, published human states out: detector -> tracker -> streaming engine.

One object per camera stream, shared by the video runner and the ROS node so that both run
the same code. Stateless parts (the detector's networks, the model) are handed in; the
front end (tracker and search schedule, fhmr_ros.perception.tracked_front_end) and the
engine hold the per-stream state. Every stage is timed per image.

An image goes through two steps that touch disjoint state: ``perceive`` (detector and
tracker) and ``estimate`` (the streaming engine). The ROS node runs them in two threads, so
the next image is perceived while the model works on this one; ``process`` runs both.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..geometry.lens_distortion import LensDistortion
from ..perception.detection import KeypointDetector, PersonDetection
from ..perception.external_keypoints import KeypointsFrame
from ..perception.tracked_front_end import FrontEndOutput, TrackedFrontEnd
from ..perception.tracker import MultiPersonTracker, TrackedPerson
from .engine import FrameResult, PersonObservation, StreamingEngine


EXTRA_DETECTIONS = 4    # the detector may find this many more people than are tracked (counted)


@dataclass
class StageTimings:
    """Milliseconds spent on one image."""

    detector: float = 0.0
    tracker: float = 0.0
    model: float = 0.0      # engine update: grid resampling, and model runs when due


@dataclass
class PipelineOutput:
    detections: list[PersonDetection]
    tracks: list[TrackedPerson]             # every live track (tentative, confirmed, lost)
    results: list[FrameResult]              # grid frames that became final with this image
    timings: StageTimings = field(default_factory=StageTimings)
    searched: bool = True                   # the detector searched the whole image


class HumanPipeline:
    def __init__(self, detector: KeypointDetector | None, tracker: MultiPersonTracker,
                 engine: StreamingEngine, search_predicted_tracks: bool = True,
                 search_every: int = 4) -> None:
        self.front_end = TrackedFrontEnd(detector, tracker, search_every,
                                         search_predicted_tracks)
        self.engine = engine

    @property
    def detector(self) -> KeypointDetector | None:
        return self.front_end.detector

    @property
    def tracker(self) -> MultiPersonTracker:
        return self.front_end.tracker

    def process(self, image_bgr: np.ndarray, stamp: float, K: np.ndarray,
                T_world_camera: np.ndarray) -> PipelineOutput:
        """One image with its stamp (s), intrinsics (3, 3) and camera pose (4, 4). Raises
        DetectorError when the detector fails on the image, ValueError for a stamp older
        than the last one (call ``reset`` to start over, e.g. when a recording loops)."""
        return self.estimate(self.perceive(image_bgr, stamp, K), stamp, K, T_world_camera)

    def perceive(self, image_bgr: np.ndarray | KeypointsFrame, stamp: float, K: np.ndarray
                 ) -> FrontEndOutput:
        """Detector and tracker on one image, or the tracker on the people another detector
        found in it (touches the front end's state only)."""
        return self.front_end.process(image_bgr, stamp, K)

    def estimate(self, front: FrontEndOutput, stamp: float, K: np.ndarray,
                 T_world_camera: np.ndarray, distortion: LensDistortion | None = None,
                 floor_z: float | None = None) -> PipelineOutput:
        """The streaming engine on a perceived image (touches the engine's state only).
        With ``distortion``, keypoints and boxes are undistorted first (the model assumes
        a pinhole camera with intrinsics K); ``floor_z``: the floor's world height now. A
        track the tracker has deleted (a tentative one that missed, a lost one past its
        time) is finished at once: images that list it need not wait for the engine's own
        idle time to learn it will say no more."""
        timings = StageTimings(front.detector_ms, front.tracker_ms)
        t = time.perf_counter()
        live = {tr.track_id for tr in front.tracks}
        results = [r for tid in self.engine.track_ids() - live
                   for r in self.engine.finish(tid)]
        people = [self._observation(tr, K, distortion)
                  for tr in front.tracks if tr.detection is not None]
        if floor_z is not None:
            self.engine.set_floor_height(floor_z)
        results += self.engine.update(stamp, T_world_camera, K, people)
        timings.model = 1000 * (time.perf_counter() - t)
        return PipelineOutput(front.detections, front.tracks, results, timings, front.searched)

    @staticmethod
    def _observation(track: TrackedPerson, K: np.ndarray,
                     distortion: LensDistortion | None) -> PersonObservation:
        keypoints, bbox = track.detection.keypoints, track.detection.bbox
        if distortion is not None and not distortion.is_identity:
            keypoints = keypoints.copy()
            keypoints[:, :2] = distortion.undistort(keypoints[:, :2], K)
            corners = np.array([[bbox[0], bbox[1]], [bbox[2], bbox[1]],
                                [bbox[0], bbox[3]], [bbox[2], bbox[3]]])
            moved = distortion.undistort(corners, K)                  # (4, 2)
            bbox = np.concatenate([moved.min(0), moved.max(0)]).astype(np.float32)
        return PersonObservation(track.track_id, keypoints, bbox)

    def set_max_people(self, n: int) -> None:
        """Track at most ``n`` people from the next image on (a live parameter)."""
        self.tracker.config.max_tracks = n
        detector_cfg = getattr(self.detector, "config", None)
        if hasattr(detector_cfg, "max_people"):
            detector_cfg.max_people = n + EXTRA_DETECTIONS

    def set_hypotheses(self, n: int) -> None:
        """Stage-2 samples per window from the next run on (a live parameter)."""
        self.engine.set_hypotheses(n)

    @property
    def fps(self) -> float:
        """The model's frame grid (Hz)."""
        return self.engine.fps

    def live_tracks(self) -> set[int]:
        """Ids of the tracks the engine still holds."""
        return self.engine.track_ids()

    def counts(self) -> dict[str, int]:
        """Engine, tracker and detector counters, by the names /diagnostics reports."""
        stats, tracker = self.engine.stats, self.tracker
        return {
            "tracks": len(self.engine.track_ids()),
            "model_runs": stats.runs,
            "frames_published": stats.frames_published,
            "short_tracks_dropped": stats.short_tracks_dropped,
            "unseen_runs": stats.unseen_runs,
            "people_over_limit": tracker.num_rejected_over_limit,
            "detections_ignored_low_score": tracker.num_ignored_low_score,
            "detections_ignored_invalid": tracker.num_ignored_invalid,
            **{f"detector_{k}": v for k, v in
               dict(getattr(self.detector, "dropped", {})).items()},
        }

    def set_search_every(self, n: int) -> None:
        """Search the whole image every ``n`` images from now on (a live parameter)."""
        self.front_end.schedule.search_every = n

    def flush(self) -> list[FrameResult]:
        """Publish everything still pending (end of a video or recording)."""
        return self.engine.flush()

    def reset(self) -> None:
        """Forget tracks and windows; track ids keep counting up."""
        self.reset_front_end()
        self.reset_estimates()

    def reset_front_end(self) -> None:
        """Forget the tracker's tracks and the detector's regions (the perception side)."""
        self.front_end.reset()

    def reset_estimates(self) -> None:
        """Forget the engine's tracks and windows (the model side)."""
        self.engine.reset()
