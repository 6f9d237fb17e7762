"""The default 2D front-end: MoveNet MultiPose finds people, BlazePose landmarks them
(MediaPipe-33, the keypoints the shipped checkpoint is trained on), all through ONNX
Runtime on the CPU or CUDA.

Per image, ``detect(image, K, regions, search)``:

1. Candidates are the caller's ``regions`` (tracks predicted to this image; the pipeline
   derives them from each track's last keypoints).
2. Only when ``search`` is true (the pipeline's schedule: every N images, when a track was
   lost, or when nobody is tracked) MoveNet MultiPose looks at the whole image, with the
   regions painted over so that its six slots go to people not yet followed. Its people
   that no region already covers become candidates too. With nobody to follow it runs at
   every input size; while people are followed the sizes take turns, one per search (so a
   newcomer of any size is found within two searches at half the cost) — the one piece of
   per-stream state this detector keeps.
3. One BlazePose call landmarks a square crop around every candidate (at most
   ``max_crops``; the rest are counted in ``last_stats["crops_cut"]``).
4. A crop whose pose flag is below ``min_pose_flag`` holds nobody; otherwise its landmarks
   become a person (``person_records.landmark_person``: score = pose flag x mean torso
   visibility, box from the visible landmarks). Duplicates (two regions on one person)
   are removed by box IoU and at most ``max_people`` remain, best first.

``last_timings`` holds the previous call's milliseconds ("search", "landmarks", "total")
and ``last_stats`` its counts ("searched", "candidates", "crops", "crops_cut", "people").
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from .blazepose_landmarks import BlazePoseLandmarks, LandmarkConfig
from .boxes import box_containment, box_iou
from .detection import PersonDetection, register_detector
from .movenet_multipose import MultiPoseConfig, MultiPoseSearch
from .onnx_session import session_device
from .person_records import PersonRule, check_image, deduplicate, landmark_person, valid_boxes


@dataclass
class MoveNetBlazePoseConfig:
    """Settings of ``MoveNetBlazePoseDetector``."""

    max_people: int = 8
    max_crops: int = 16                      # landmark crops per image (regions first)
    min_pose_flag: float = 0.5               # BlazePose: is a person in the crop
    covered_iou: float = 0.3                 # a searched person is already a region when
    covered_containment: float = 0.6         # its box has this IoU or lies this much inside
    dedup_iou: float = 0.5                   # final duplicate removal
    search: MultiPoseConfig = field(default_factory=MultiPoseConfig)
    landmarks: LandmarkConfig = field(default_factory=LandmarkConfig)
    person: PersonRule = field(default_factory=PersonRule)


class MoveNetBlazePoseDetector:
    """Multi-person mediapipe33 keypoints; ``tracks_regions``: the caller may skip the
    whole-image search on images where tracked regions suffice."""

    keypoint_format = "mediapipe33"
    tracks_regions = True

    def __init__(self, config: MoveNetBlazePoseConfig | None = None, device: str = "cpu",
                 threads: int = 0, **overrides) -> None:
        cfg = replace(config or MoveNetBlazePoseConfig(), **overrides)
        for name, kind in (("search", MultiPoseConfig), ("landmarks", LandmarkConfig),
                           ("person", PersonRule)):
            if isinstance(getattr(cfg, name), dict):              # e.g. from a YAML file
                cfg = replace(cfg, **{name: kind(**getattr(cfg, name))})
        self.config = cfg
        self.searcher = MultiPoseSearch(cfg.search, device, threads)
        self.landmarker = BlazePoseLandmarks(cfg.landmarks, device, threads)
        self.device = session_device(self.landmarker.session)
        self.last_timings: dict[str, float] = {}
        self.last_stats: dict[str, int] = {}
        self.dropped: Counter[str] = Counter()   # what the limits cut, since construction
        self._searches = 0                   # searches while following people (size turns)

    def detect(self, image_bgr: np.ndarray, K: np.ndarray | None = None,
               regions: np.ndarray | None = None, search: bool = True
               ) -> list[PersonDetection]:
        """People in a (H, W, 3) uint8 BGR image. ``regions`` (R, 4) xyxy: where tracked
        people are expected; ``search``: also look at the whole image. K is not used."""
        image = check_image(image_bgr)
        cfg = self.config
        H, W = image.shape[:2]
        tic = time.perf_counter()
        candidates = valid_boxes(regions)                              # (R, 4) xyxy
        searched = bool(search or not len(candidates))
        if searched:
            sizes = None
            if len(candidates):
                all_sizes = cfg.search.input_sizes
                sizes = (all_sizes[self._searches % len(all_sizes)],)
                self._searches += 1
            found = self.searcher.search(image, hide=candidates, sizes=sizes).boxes  # (F, 4)
            if len(candidates) and len(found):
                covered = ((box_iou(found, candidates) >= cfg.covered_iou).any(1)
                           | (box_containment(found, candidates)
                              >= cfg.covered_containment).any(1))
                found = found[~covered]
            candidates = np.concatenate([candidates, found.astype(np.float32)])
        t_search = time.perf_counter()
        crops = candidates[:cfg.max_crops]
        self.dropped["regions_over_crop_limit"] += len(candidates) - len(crops)
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        marks = self.landmarker.landmarks(rgb, crops)
        people = [landmark_person(kp, W, H, cfg.person, float(flag), region)
                  for kp, flag, region in zip(marks.keypoints, marks.pose_flag, marks.regions)
                  if flag >= cfg.min_pose_flag]
        people = deduplicate([p for p in people if p is not None], cfg.dedup_iou)
        self.dropped["people_over_detector_limit"] += max(0, len(people) - cfg.max_people)
        people = people[:cfg.max_people]
        toc = time.perf_counter()
        self.last_timings = {"search": (t_search - tic) * 1e3,
                             "landmarks": (toc - t_search) * 1e3, "total": (toc - tic) * 1e3}
        self.last_stats = {"searched": int(searched), "candidates": len(candidates),
                           "crops": len(crops), "crops_cut": len(candidates) - len(crops),
                           "people": len(people)}
        return people


register_detector("movenet_blazepose", MoveNetBlazePoseDetector)
