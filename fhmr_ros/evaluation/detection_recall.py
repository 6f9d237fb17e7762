"""Person-detection recall and precision against hand-labelled boxes on real footage.

The labels (``test/data/person_boxes.json``) hold, per image, a box for everyone at least
half visible and "ignore" regions (people cut by the image edge, a blurred crowd). A
detection matches a labelled person when their boxes overlap with IoU >= ``min_iou``
(greedy, best IoU first, one to one). An unmatched detection is a false positive unless
at least half of its box lies inside an ignore region.

    recall = matched people / labelled people,  precision = matched / (matched + false)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.footage import astronaut_bgr, read_image
from ..perception.boxes import box_containment, box_iou

LABELS = Path(__file__).resolve().parents[2] / "test" / "data" / "person_boxes.json"


@dataclass
class LabelledImage:
    name: str                 # "vtest.avi#120", "messi5.jpg", "skimage:astronaut"
    video_frame: int | None   # frame index when it comes from vtest.avi
    people: np.ndarray        # (P, 4) xyxy
    ignore: np.ndarray        # (G, 4) xyxy


@dataclass
class MatchCounts:
    people: int = 0
    matched: int = 0
    false: int = 0

    def add(self, other: "MatchCounts") -> None:
        self.people += other.people
        self.matched += other.matched
        self.false += other.false

    @property
    def recall(self) -> float:
        return self.matched / max(self.people, 1)

    @property
    def precision(self) -> float:
        return self.matched / max(self.matched + self.false, 1)


def load_labels(path: str | Path = LABELS) -> list[LabelledImage]:
    images = []
    for entry in json.loads(Path(path).read_text())["images"]:
        frame = entry.get("frame")
        name = f"{entry['video']}#{frame}" if "video" in entry else entry["image"]
        images.append(LabelledImage(name, frame, np.asarray(entry["people"], np.float64),
                                    np.asarray(entry["ignore"], np.float64).reshape(-1, 4)))
    return images


def read_labelled(image: LabelledImage) -> np.ndarray:
    """(H, W, 3) uint8 BGR pixels of a labelled still (video frames: footage.vtest_frames)."""
    if image.name == "skimage:astronaut":
        return astronaut_bgr()
    return read_image(image.name)


def match(detected: np.ndarray, image: LabelledImage, min_iou: float = 0.5) -> MatchCounts:
    """Counts for (D, 4) xyxy detected boxes against one labelled image."""
    detected = np.asarray(detected, np.float64).reshape(-1, 4)
    iou = box_iou(detected, image.people)                                 # (D, P)
    matched_det, matched_person = set(), set()
    for d, p in zip(*np.unravel_index(np.argsort(-iou, axis=None), iou.shape)):
        if iou[d, p] < min_iou:
            break
        if d not in matched_det and p not in matched_person:
            matched_det.add(d)
            matched_person.add(p)
    false = 0
    for d in range(len(detected)):
        if d in matched_det:
            continue
        ignored = len(image.ignore) and box_containment(detected[d], image.ignore).max() >= 0.5
        false += not ignored
    return MatchCounts(len(image.people), len(matched_person), false)


def score_each_image(detect: Callable[[np.ndarray], np.ndarray], images: list[LabelledImage],
                     frames: dict[int, np.ndarray]) -> tuple[dict[str, MatchCounts],
                                                             list[float]]:
    """Every labelled image on its own: ``detect`` (BGR image -> (N, 4) xyxy boxes) scored
    on the vtest frames ("vtest"; their pixels from ``frames``, e.g. footage.vtest_frames)
    and on the stills ("stills"), and its milliseconds per image."""
    counts = {"vtest": MatchCounts(), "stills": MatchCounts()}
    times = []
    for image in images:
        pixels = (frames[image.video_frame] if image.video_frame is not None
                  else read_labelled(image))
        tic = time.perf_counter()
        boxes = detect(pixels)
        times.append(1000 * (time.perf_counter() - tic))
        counts["vtest" if image.video_frame is not None else "stills"].add(match(boxes, image))
    return counts, times
