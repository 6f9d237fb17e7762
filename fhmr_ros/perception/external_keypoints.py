"""People found by another node's pose detector (fhmr_node's keypoints input, instead of
images): checked and converted to the model's keypoint format.

A robot that already runs a (GPU) pose detector publishes, per image, each person's box,
keypoints with confidences in a known format and optionally its own track id
(msg/PersonKeypointsArray.msg). Each keypoint of the model's format takes the input
keypoint of the same name (fhmr_ros.body.keypoints.convert_keypoints); one the input format
lacks is unseen, as an occluded one is. A person whose box is all zero gets the box around
their confident keypoints, enlarged by ``BOX_MARGIN`` of its size on each side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..body.keypoints import convert_keypoints, keypoint_format
from .detection import PersonDetection

BOX_MARGIN = 0.1
CONFIDENCE_SLACK = 1e-3      # confidences this far outside [0, 1] are clipped, not refused


@dataclass
class KeypointsFrame:
    """The people of one image, as an image would have given them to the detector."""

    size: tuple[int, int]                   # (width, height) of the image they are in
    detections: list[PersonDetection]       # in the model's keypoint format


@dataclass
class ExternalPerson:
    """One person as another detector reports them (the message's fields)."""

    id: int                  # the detector's track id; < 0: none
    score: float
    bbox: np.ndarray         # (4,) xyxy pixels, all 0: none
    keypoints: np.ndarray    # (K * 3,) u, v, confidence per keypoint


def keypoints_frame(format_name: str, size: tuple[int, int], people: list[ExternalPerson],
                    model_format: str) -> KeypointsFrame:
    """Check the people of one image and convert them to ``model_format``. Raises
    ValueError naming the problem (the caller counts the message as refused)."""
    try:
        source = keypoint_format(format_name)
    except ValueError as e:
        raise ValueError(f"keypoint format: {e}") from None
    target = keypoint_format(model_format)
    width, height = size
    if width <= 0 or height <= 0:
        raise ValueError(f"image size {width}x{height}: both must be > 0")
    detections = []
    for n, person in enumerate(people):
        flat = np.asarray(person.keypoints, np.float32)
        if flat.shape != (3 * len(source.names),):
            raise ValueError(f"person {n}: {flat.size} keypoint values, but {format_name} "
                             f"needs {len(source.names)} x (u, v, confidence)")
        kp = flat.reshape(-1, 3)                                     # (K, 3)
        box = np.asarray(person.bbox, np.float32).reshape(4)
        if not (np.isfinite(kp).all() and np.isfinite(box).all()
                and np.isfinite(person.score)):
            raise ValueError(f"person {n}: non-finite keypoints, box or score")
        if (kp[:, 2].min() < -CONFIDENCE_SLACK or kp[:, 2].max() > 1 + CONFIDENCE_SLACK
                or not -CONFIDENCE_SLACK <= person.score <= 1 + CONFIDENCE_SLACK):
            raise ValueError(f"person {n}: confidences and score must lie in [0, 1]")
        kp[:, 2] = np.clip(kp[:, 2], 0.0, 1.0)
        if not box.any():
            box = box_around(kp)
        detections.append(PersonDetection(
            box, convert_keypoints(kp, source, target), float(np.clip(person.score, 0, 1)),
            target.name, int(person.id) if person.id >= 0 else None))
    return KeypointsFrame((int(width), int(height)), detections)


def box_around(keypoints: np.ndarray) -> np.ndarray:
    """(4,) xyxy around the keypoints (K, 3) with confidence > 0, enlarged by BOX_MARGIN;
    NaN when none is confident (the tracker counts such a detection as invalid)."""
    seen = keypoints[keypoints[:, 2] > 0, :2]
    if len(seen) == 0:
        return np.full(4, np.nan, np.float32)
    lo, hi = seen.min(0), seen.max(0)
    pad = BOX_MARGIN * (hi - lo)
    return np.concatenate([lo - pad, hi + pad]).astype(np.float32)
