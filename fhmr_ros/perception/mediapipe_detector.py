"""Embedded, offline multi-person 2D keypoints: MediaPipe BlazePose (33 landmarks) with
person proposals for small people.

MediaPipe's PoseLandmarker runs a person detector on the whole image (resized to 224 x 224)
and the landmark network on a 256 x 256 crop around each detected person. That finds
people taking up a good part of the frame but misses everyone below ~150 px in a VGA-sized
image. So ``detect`` works in two passes:

1. Full frame: the landmarker on the whole image (``max_people`` poses) for large people.
2. Crops: candidate boxes are HOG person proposals (``person_proposals``) plus the caller's
   ``regions`` (e.g. tracks predicted to this frame; they go first). Candidates that a
   person already found covers are skipped. Around each other candidate a square of
   ``crop_scale`` x its longer side is cut out and resized to ``crop_size`` (small people
   are upscaled), with everything outside the candidate box (grown by ``mask_scale``)
   painted neutral grey so that the landmarker sees the candidate and not its neighbours.
   The landmarker returns up to ``crop_num_poses`` poses; the one whose keypoint box
   overlaps the candidate most is kept if that IoU reaches ``min_match_iou``.

Every person's keypoints are mapped back to image pixels (OpenCV convention: the centre of
pixel (0, 0) is u = v = 0). A keypoint's confidence is MediaPipe's visibility, 0 where the
keypoint lies outside the image. The person's box is the box of its keypoints with
confidence >= ``min_keypoint_visibility``, grown by ``bbox_margin`` of its longer side and
clipped to [0, W] x [0, H] (as in fhmr_ros.data.observations). The person's score is the
mean confidence of the four torso landmarks (shoulders and hips): about 0.5 when the hips
are out of view. People below ``min_person_score`` are dropped; people whose boxes overlap
more than ``dedup_iou`` keep the higher score; at most ``max_people`` remain.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from .boxes import box_containment, box_iou, square_around
from .detection import PersonDetection, register_detector
from .person_records import (PersonRule, check_image, deduplicate, landmark_person,
                             valid_boxes)
from .person_proposals import HogPersonProposals, ProposalConfig
from .pose_bundle import ensure_pose_bundle, import_mediapipe

_FILL = 128                      # grey outside the image and outside the crop's mask


@dataclass
class MediaPipeConfig:
    """Settings of ``MediaPipePoseDetector``."""

    max_people: int = 8
    min_detection_confidence: float = 0.3    # MediaPipe's person detector
    min_presence_confidence: float = 0.3     # MediaPipe's landmark network: pose present
    use_proposals: bool = True               # HOG proposals for small people
    max_crops: int = 12                      # crops per image (regions, then proposals)
    crop_scale: float = 1.6                  # crop side / candidate's longer side
    crop_size: int = 256                     # crop side in pixels given to the landmarker
    crop_num_poses: int = 2                  # poses asked for in one crop
    mask_scale: float = 1.3                  # unmasked region / candidate box (0: no mask)
    min_match_iou: float = 0.3               # crop pose keypoint box vs candidate box
    covered_iou: float = 0.4                 # candidate skipped when a person found has
    covered_containment: float = 0.8         # this IoU, or holds this much of it
    person: PersonRule = field(default_factory=PersonRule)   # landmarks -> person
    dedup_iou: float = 0.5                   # final duplicate removal
    model_path: str | None = None            # .task bundle; None: built from the wheel
    proposals: ProposalConfig = field(default_factory=ProposalConfig)


class MediaPipePoseDetector:
    """Multi-person MediaPipe pose (mediapipe33) with crops around HOG proposals and given
    regions. ``last_timings`` holds the previous call's stage times in ms: "full_frame",
    "proposals", "crops" (all crops), "total", and "n_crops"."""

    keypoint_format = "mediapipe33"

    def __init__(self, config: MediaPipeConfig | None = None, **overrides):
        cfg = replace(config or MediaPipeConfig(), **overrides)
        if isinstance(cfg.proposals, dict):                    # e.g. from a YAML file
            cfg = replace(cfg, proposals=ProposalConfig(**cfg.proposals))
        if isinstance(cfg.person, dict):
            cfg = replace(cfg, person=PersonRule(**cfg.person))
        self.config = cfg
        self.dropped: Counter[str] = Counter()   # what the limits cut, since construction
        self._mp = import_mediapipe()
        from mediapipe.tasks.python import vision
        from mediapipe.tasks.python.core.base_options import BaseOptions

        model_path = str(cfg.model_path or ensure_pose_bundle())
        self._landmarkers = {                  # num_poses -> PoseLandmarker (~0.1 s to make)
            n: vision.PoseLandmarker.create_from_options(vision.PoseLandmarkerOptions(
                base_options=BaseOptions(model_asset_path=model_path),
                running_mode=vision.RunningMode.IMAGE, num_poses=n,
                min_pose_detection_confidence=cfg.min_detection_confidence,
                min_pose_presence_confidence=cfg.min_presence_confidence))
            for n in {cfg.max_people, cfg.crop_num_poses}}
        self._proposals = HogPersonProposals(cfg.proposals) if cfg.use_proposals else None
        self.last_timings: dict[str, float] = {}

    def _poses(self, rgb: np.ndarray, num_poses: int) -> list[np.ndarray]:
        """(33, 3) normalised x, y and visibility of each pose found in an RGB image."""
        image = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
        result = self._landmarkers[num_poses].detect(image)
        return [np.array([[p.x, p.y, p.visibility or 0.0] for p in pose], dtype=np.float64)
                for pose in result.pose_landmarks]

    def detect(self, image_bgr: np.ndarray, K: np.ndarray | None = None,
               regions: np.ndarray | None = None) -> list[PersonDetection]:
        """People in a (H, W, 3) uint8 BGR image; regions (R, 4) xyxy are searched first.
        K is not used."""
        image = check_image(image_bgr)
        cfg = self.config
        H, W = image.shape[:2]
        tic = time.perf_counter()
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        people = [self._person(pose, -0.5, -0.5, W, H, W, H)
                  for pose in self._poses(rgb, cfg.max_people)]
        people = [p for p in people if p is not None]
        t_full = time.perf_counter()

        candidates = [valid_boxes(regions)]                   # (R, 4) xyxy
        if self._proposals is not None:
            candidates.append(self._proposals.propose(image)[0])
        t_prop = time.perf_counter()

        n_crops = 0
        boxes = np.concatenate(candidates)
        for i, box in enumerate(boxes):
            if n_crops == cfg.max_crops:
                self.dropped["regions_over_crop_limit"] += len(boxes) - i
                break
            if self._covered(box, people):
                continue
            n_crops += 1
            person = self._from_crop(rgb, box)
            if person is not None:
                people.append(person)
        t_crops = time.perf_counter()

        self.last_timings = {"full_frame": (t_full - tic) * 1e3,
                             "proposals": (t_prop - t_full) * 1e3,
                             "crops": (t_crops - t_prop) * 1e3,
                             "total": (t_crops - tic) * 1e3, "n_crops": float(n_crops)}
        people = deduplicate(people, cfg.dedup_iou)
        self.dropped["people_over_detector_limit"] += max(0, len(people) - cfg.max_people)
        return people[:cfg.max_people]

    def _covered(self, box: np.ndarray, people: list[PersonDetection]) -> bool:
        if not people:
            return False
        boxes = np.stack([p.bbox for p in people])             # (P, 4) xyxy
        return bool((box_iou(box, boxes) >= self.config.covered_iou).any()
                    or (box_containment(box, boxes) >= self.config.covered_containment).any())

    def _from_crop(self, rgb: np.ndarray, box: np.ndarray) -> PersonDetection | None:
        """The person in a square crop around ``box`` (4,) xyxy, or None."""
        cfg = self.config
        H, W = rgb.shape[:2]
        left, top, right, _ = square_around(box, cfg.crop_scale)[0]
        side = right - left
        a = cfg.crop_size / side                                # crop pixels per image pixel
        M = np.array([[a, 0.0, -left * a - 0.5], [0.0, a, -top * a - 0.5]])
        crop = cv2.warpAffine(rgb, M, (cfg.crop_size, cfg.crop_size), flags=cv2.INTER_CUBIC,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=(_FILL,) * 3)
        if cfg.mask_scale > 0:
            _mask_outside(crop, (box - [left, top, left, top]) * a, cfg.mask_scale)
        best, best_iou = None, cfg.min_match_iou
        for pose in self._poses(crop, cfg.crop_num_poses):
            person = self._person(pose, left, top, side, side, W, H)
            if person is None:
                continue
            iou = float(box_iou(person.bbox, box)[0, 0])
            if iou >= best_iou:
                best, best_iou = person, iou
        return best

    def _person(self, pose: np.ndarray, left: float, top: float, width: float, height: float,
                W: int, H: int) -> PersonDetection | None:
        """A PersonDetection from one (33, 3) normalised pose of an image region whose top
        left corner lies at image pixel (left, top) and which spans width x height pixels;
        None when too weak."""
        uv = pose[:, :2] * [width, height] + [left, top]        # (33, 2) image pixels
        inside = ((uv >= -0.5) & (uv <= [W - 0.5, H - 0.5])).all(axis=1)
        conf = np.where(inside, np.clip(pose[:, 2], 0.0, 1.0), 0.0)
        return landmark_person(np.concatenate([uv, conf[:, None]], axis=1), W, H,
                               self.config.person)


def _mask_outside(crop: np.ndarray, box: np.ndarray, scale: float) -> None:
    """Paint the crop grey outside ``box`` (4,) xyxy crop pixels grown by ``scale`` about its
    centre; at least 0.7 x its height wide, so that spread arms stay in view."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    h = (box[3] - box[1]) * scale
    w = max((box[2] - box[0]) * scale, 0.7 * h)
    n = crop.shape[0]
    x0, x1 = (int(np.clip(round(c), 0, n)) for c in (cx - w / 2, cx + w / 2))
    y0, y1 = (int(np.clip(round(c), 0, n)) for c in (cy - h / 2, cy + h / 2))
    crop[:y0] = _FILL
    crop[y1:] = _FILL
    crop[y0:y1, :x0] = _FILL
    crop[y0:y1, x1:] = _FILL


register_detector("mediapipe", MediaPipePoseDetector)
