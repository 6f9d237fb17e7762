"""Shared by the keypoint detectors: input checks, MediaPipe-33 landmarks -> PersonDetection,
and duplicate removal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .boxes import box_iou
from .detection import PersonDetection

TORSO = (11, 12, 23, 24)        # mediapipe33: shoulders, hips


@dataclass
class PersonRule:
    """When landmarks count as a person, and the box they get."""

    min_keypoint_visibility: float = 0.5     # keypoints that make the person's box
    bbox_margin: float = 0.08                # box growth, fraction of its longer side
    min_person_score: float = 0.3            # mean torso visibility
    region_min_height: float = 0.25          # people this tall (share of the image) are
    #                                          followed by their whole body's region


def check_image(image_bgr: np.ndarray) -> np.ndarray:
    """The image as a contiguous (H, W, 3) uint8 array; ValueError for anything else."""
    image = np.asarray(image_bgr)
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 BGR image, got dtype {image.dtype}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected a (H, W, 3) BGR image, got shape {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"empty image, shape {image.shape}")
    return np.ascontiguousarray(image)


def valid_boxes(regions: np.ndarray | None) -> np.ndarray:
    """(R, 4) float32 xyxy: the finite, non-empty boxes of ``regions``."""
    if regions is None:
        return np.zeros((0, 4), np.float32)
    boxes = np.asarray(regions, dtype=np.float32).reshape(-1, 4)
    ok = np.isfinite(boxes).all(axis=1) & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return boxes[ok]


def landmark_person(keypoints: np.ndarray, W: int, H: int, rule: PersonRule,
                    score_factor: float = 1.0, region: np.ndarray | None = None
                    ) -> PersonDetection | None:
    """A mediapipe33 PersonDetection from (33, 3) keypoints (u, v image pixels, confidence
    already 0 outside the image), or None when too weak.

    score = score_factor * mean confidence of the four torso landmarks (about 0.5 when the
    hips are out of view); box = the box of the keypoints with confidence >=
    ``min_keypoint_visibility``, grown by ``bbox_margin`` of its longer side and clipped to
    [0, W] x [0, H] (as in fhmr_ros.data.observations). Where a detector that follows
    people should look next: for a person at least ``region_min_height`` of the image
    tall, ``region``, the whole body's (BlazePoseLandmarks gives it): following the visible
    box of someone close, cut by the image border or below the waist, shrinks them a
    little more at every image (the landmarks of a tighter crop cover less) until they are
    lost; for smaller people the visible box (the body's square, from two auxiliary points,
    is noisier on a person 80 pixels tall: vtest.avi's walkers were found in 24 instead of
    28 of 36 labelled cases with it).
    """
    uv, conf = keypoints[:, :2].astype(np.float64), keypoints[:, 2]
    score = score_factor * float(conf[list(TORSO)].mean())
    seen = conf >= rule.min_keypoint_visibility
    if score < rule.min_person_score or seen.sum() < 2:
        return None
    lo, hi = uv[seen].min(axis=0), uv[seen].max(axis=0)
    pad = rule.bbox_margin * (hi - lo).max()
    bbox = np.concatenate([np.maximum(lo - pad, 0.0), np.minimum(hi + pad, [W, H])])
    close = bbox[3] - bbox[1] >= rule.region_min_height * H
    return PersonDetection(bbox=bbox.astype(np.float32), keypoints=keypoints.astype(np.float32),
                           score=score, keypoint_format="mediapipe33",
                           region=region if close else None)


def deduplicate(people: list[PersonDetection], iou: float) -> list[PersonDetection]:
    """People sorted by score, dropping any whose box overlaps a better one above ``iou``."""
    kept: list[PersonDetection] = []
    for person in sorted(people, key=lambda p: -p.score):
        if not kept or box_iou(person.bbox, np.stack([k.bbox for k in kept])).max() <= iou:
            kept.append(person)
    return kept
