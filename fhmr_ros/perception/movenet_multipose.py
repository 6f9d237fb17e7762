"""Whole-image person search with MoveNet MultiPose (Google, Apache-2.0; models/pose/).

MoveNet MultiPose Lightning is a single-pass bottom-up network: one call on the whole
image returns up to six people, each with a box, a score and 17 COCO keypoints. It takes
any input whose sides are multiples of 32; the image is resized so that its longer side
is one of ``input_sizes`` (each side rounded to a multiple of 32; x and y are scaled
separately, so normalised outputs map back exactly). A large input finds small people
(at quadratic cost) but loses people who fill the frame, whom the network's native 256
finds, so the search runs at every size and merges the people by non-maximum suppression
(measured in docs/benchmarks.md, "2D front-end").

Six is the network's limit, so people who are already tracked can be hidden from it:
``search(image, hide=boxes)`` paints those boxes in the image's mean colour first, and the
six slots go to people not yet followed.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .boxes import nms
from .onnx_session import make_session, pose_model_path

MODEL_FILE = "movenet_multipose.onnx"


@dataclass
class MultiPoseConfig:
    input_sizes: tuple[int, ...] = (256, 512)   # longer sides of the network inputs (x 32)
    min_score: float = 0.15        # person score of a kept person
    nms_iou: float = 0.5           # people found at two sizes: the better one is kept
    model_path: str | None = None  # default: models/pose/movenet_multipose.onnx


@dataclass
class PersonSearch:
    """People found in one image."""

    boxes: np.ndarray        # (N, 4) float32 xyxy image pixels
    scores: np.ndarray       # (N,) float32
    keypoints: np.ndarray    # (N, 17, 3) float32 u, v pixels and confidence (COCO-17)


def input_shape(width: int, height: int, size: int) -> tuple[int, int]:
    """(w, h) of the network input: the longer side ~``size``, both multiples of 32."""
    scale = size / max(width, height)
    return (max(32, int(round(width * scale / 32)) * 32),
            max(32, int(round(height * scale / 32)) * 32))


class MultiPoseSearch:
    """Stateless: one network call per ``search``."""

    def __init__(self, config: MultiPoseConfig | None = None, device: str = "cpu",
                 threads: int = 0) -> None:
        self.config = config or MultiPoseConfig()
        self.session = make_session(self.config.model_path or pose_model_path(MODEL_FILE),
                                    device, threads)
        self._input = self.session.get_inputs()[0].name

    def search(self, image_bgr: np.ndarray, hide: np.ndarray | None = None,
               sizes: tuple[int, ...] | None = None) -> PersonSearch:
        """People in a (H, W, 3) uint8 BGR image; ``hide`` (R, 4) xyxy boxes are painted
        over first (people already tracked); ``sizes``: input sizes to run (default: all
        of the config's)."""
        found = [self._search_at(image_bgr, size, hide)
                 for size in (sizes or self.config.input_sizes)]
        out = np.concatenate(found)                                         # (N, 56)
        out = out[nms(out[:, 51:55], out[:, 55], self.config.nms_iou)]
        H, W = image_bgr.shape[:2]
        kp = out[:, :51].reshape(-1, 17, 3)                             # y, x, score
        keypoints = np.stack([kp[..., 1] * W - 0.5, kp[..., 0] * H - 0.5, kp[..., 2]], -1)
        boxes = out[:, [52, 51, 54, 53]] * [W, H, W, H] - 0.5           # xyxy
        return PersonSearch(boxes.astype(np.float32), out[:, 55].astype(np.float32),
                            keypoints.astype(np.float32))

    def _search_at(self, image_bgr: np.ndarray, size: int, hide: np.ndarray | None
                   ) -> np.ndarray:
        """(N, 56) raw rows (17 x [y, x, score], ymin, xmin, ymax, xmax, score; normalised)
        of the people scoring at least min_score at one input size."""
        H, W = image_bgr.shape[:2]
        w, h = input_shape(W, H, size)
        small = cv2.resize(image_bgr, (w, h), interpolation=cv2.INTER_AREA)
        if hide is not None and len(hide):
            fill = small.reshape(-1, 3).mean(axis=0)
            for x0, y0, x1, y1 in np.asarray(hide, np.float64).reshape(-1, 4) * [
                    w / W, h / H, w / W, h / H]:
                small[max(int(y0), 0):max(int(np.ceil(y1)), 0),
                      max(int(x0), 0):max(int(np.ceil(x1)), 0)] = fill
        x = np.ascontiguousarray(small[None, :, :, ::-1], dtype=np.int32)  # (1, h, w, 3) RGB
        out = self.session.run(None, {self._input: x})[0][0]            # (6, 56)
        return out[out[:, 55] >= self.config.min_score]
