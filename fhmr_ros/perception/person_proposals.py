"""Person proposals for small people: OpenCV's HOG + linear SVM pedestrian detector.

MediaPipe's pose detector sees the whole frame at 224 x 224, so people below ~150 px in a
VGA-sized frame are invisible to it. The Dalal-Triggs HOG detector scans a 64 x 128 window
over an image pyramid and finds upright pedestrians down to its window size, cheaply and
without any downloaded model (the SVM ships inside OpenCV). To reach people smaller than the
window, the image is also scanned upscaled; each upscaled pass only covers the pyramid
levels that the next smaller upscale does not already reach, since the large levels cost
the most and find nothing new.

A HOG window frames the person with a margin (the person fills ~2/3 of its height and
~1/2 of its width), so boxes are shrunk about their centre to the person's extent before
non-maximum suppression. The person detector proper (MediaPipe on a crop around each
proposal) decides whether a proposal holds a person; proposals only need high recall.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .boxes import nms

_WINDOW = (64, 128)           # HOG people detector window (w, h)


@dataclass
class ProposalConfig:
    """Settings of the HOG person proposals."""

    upscales: tuple[float, ...] = (1.0, 2.0)   # image scan scales; > 1 finds small people
    win_stride: int = 8          # window step in (upscaled) pixels
    padding: int = 8             # image padding in (upscaled) pixels
    scale_step: float = 1.1      # pyramid step (1.05: +2% recall, 1.8x the time)
    group_threshold: int = 2     # OpenCV's rectangle grouping: min neighbours per detection
    min_score: float = 0.7       # SVM margin after grouping (people in vtest.avi: >= 0.9)
    nms_iou: float = 0.4         # between person boxes from all scales
    person_height: float = 0.66  # person height / HOG box height
    person_width: float = 0.5    # person box width / HOG box width
    grayscale: bool = True       # scan the grey image (about 1/3 faster, same recall)


class HogPersonProposals:
    """Boxes where upright people may be, from HOG at several image scales."""

    def __init__(self, config: ProposalConfig | None = None):
        self.config = config or ProposalConfig()
        if not self.config.upscales or min(self.config.upscales) <= 0:
            raise ValueError(f"upscales must be positive, got {self.config.upscales}")
        self._passes = self._make_passes()

    def _make_passes(self) -> list[tuple[float, cv2.HOGDescriptor]]:
        """(upscale, descriptor) pairs; each upscaled pass stops one level after the
        smallest person the next lower upscale sees."""
        cfg = self.config
        ups = sorted(set(cfg.upscales))
        passes = []
        for i, up in enumerate(ups):
            levels = 64                                          # OpenCV's default
            if i > 0:
                levels = int(math.ceil(math.log(up / ups[i - 1]) / math.log(cfg.scale_step))) + 1
            hog = cv2.HOGDescriptor(_WINDOW, (16, 16), (8, 8), (8, 8), 9, 1, -1.0,
                                    cv2.HOGDescriptor_L2Hys, 0.2, False, levels)
            hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
            passes.append((up, hog))
        return passes

    def propose(self, image_bgr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Person boxes (N, 4) xyxy float32 in image pixels and their scores (N,) float32,
        best first."""
        cfg = self.config
        image = image_bgr
        if cfg.grayscale and image.ndim == 3:
            image = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY)
        boxes, scores = [], []
        for up, hog in self._passes:
            scan = image if up == 1.0 else cv2.resize(
                image, None, fx=up, fy=up, interpolation=cv2.INTER_LINEAR)
            rects, weights = hog.detectMultiScale(
                scan, winStride=(cfg.win_stride,) * 2, padding=(cfg.padding,) * 2,
                scale=cfg.scale_step, groupThreshold=cfg.group_threshold)
            if len(rects) == 0:
                continue
            rects = np.asarray(rects, dtype=np.float64).reshape(-1, 4) / up   # (n, 4) xywh
            boxes.append(self._person_box(rects))
            scores.append(np.asarray(weights, dtype=np.float64).reshape(-1))
        if not boxes:
            return np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
        boxes_all, scores_all = np.concatenate(boxes), np.concatenate(scores)
        good = scores_all >= cfg.min_score
        boxes_all, scores_all = boxes_all[good], scores_all[good]
        keep = nms(boxes_all, scores_all, cfg.nms_iou)
        return boxes_all[keep].astype(np.float32), scores_all[keep].astype(np.float32)

    def _person_box(self, rects: np.ndarray) -> np.ndarray:
        """(n, 4) xyxy person boxes from (n, 4) xywh HOG windows, shrunk about the centre."""
        centre = rects[:, :2] + rects[:, 2:] / 2                         # (n, 2)
        half = rects[:, 2:] * [self.config.person_width, self.config.person_height] / 2
        return np.concatenate([centre - half, centre + half], axis=1)
