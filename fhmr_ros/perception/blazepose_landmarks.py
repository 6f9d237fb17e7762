"""BlazePose GHUM landmarks (Google, Apache-2.0; models/pose/) on a batch of person crops.

The landmark network sees a 256 x 256 RGB crop in [0, 1] with one person roughly centred
and returns, per crop, 39 points (33 MediaPipe pose landmarks + 6 auxiliary ones) as
crop-pixel x, y, a relative depth and two logits (visibility, presence), plus a pose flag
in [0, 1] (is there a person in the crop at all). This module runs it directly on many
crops at once, in one network call, instead of through MediaPipe's per-image graph.

A crop is the square of side ``scale`` x the longer side of a box, centred on the box,
mapped to 256 x 256 by the similarity transform

    [x, y]^T = a * ([u, v]^T - [left, top]^T),   a = 256 / side

(u, v image pixels with OpenCV's pixel centres, x, y the network's crop coordinates in
[0, 256] from the crop's corner), and landmarks go back by its inverse. A landmark's
confidence is sigmoid(visibility logit), 0 where it falls outside the image.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .boxes import square_around
from .onnx_session import make_session, pose_model_path

NETWORKS = ("full", "lite")          # models/pose/blazepose_<network>.onnx
CROP = 256
NUM_LANDMARKS = 33


@dataclass
class LandmarkConfig:
    crop_scale: float = 1.25        # crop side / the box's longer side
    max_batch: int = 16             # crops per network call
    network: str = "full"           # full | lite (faster, less exact; docs/benchmarks.md)
    model_path: str | None = None   # default: models/pose/blazepose_<network>.onnx

    def __post_init__(self) -> None:
        if self.network not in NETWORKS:
            raise ValueError(f"BlazePose landmark network must be one of {NETWORKS}, got "
                             f"{self.network!r}")


@dataclass
class Landmarks:
    keypoints: np.ndarray    # (N, 33, 3) float32 u, v image pixels and confidence
    pose_flag: np.ndarray    # (N,) float32 in [0, 1]
    regions: np.ndarray      # (N, 4) float32 xyxy: where to look for the person next
    #                          (the whole body, out of view too; see ``landmarks``)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


class BlazePoseLandmarks:
    """Stateless: ``landmarks(image, boxes)`` runs the network on one crop per box."""

    def __init__(self, config: LandmarkConfig | None = None, device: str = "cpu",
                 threads: int = 0) -> None:
        self.config = config or LandmarkConfig()
        self.session = make_session(
            self.config.model_path or pose_model_path(f"blazepose_{self.config.network}.onnx"),
            device, threads)
        self._input = self.session.get_inputs()[0].name
        shapes = {o.name: o.shape for o in self.session.get_outputs()}
        # outputs by shape: (N, 195) landmarks, (N, 1) pose flag
        self._landmarks = next(n for n, s in shapes.items() if s[-1] == 5 * 39)
        self._flag = next(n for n, s in shapes.items() if len(s) == 2 and s[-1] == 1)

    def crops(self, image_rgb: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 256, 256, 3) float32 crops in [0, 1] and (N, 3) [left, top, a] of each."""
        squares = square_around(np.asarray(boxes, np.float64).reshape(-1, 4),
                                self.config.crop_scale)                 # (N, 4) xyxy
        crops = np.empty((len(squares), CROP, CROP, 3), np.float32)
        frames = np.empty((len(squares), 3))
        for i, (left, top, right, _) in enumerate(squares):
            a = CROP / (right - left)
            M = np.array([[a, 0.0, -left * a - 0.5], [0.0, a, -top * a - 0.5]])
            crop = cv2.warpAffine(image_rgb, M, (CROP, CROP), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))
            crops[i] = crop * np.float32(1 / 255)
            frames[i] = left, top, a
        return crops, frames

    def landmarks(self, image_rgb: np.ndarray, boxes: np.ndarray) -> Landmarks:
        """Landmarks of the person in a crop around each of (N, 4) xyxy ``boxes`` of a
        (H, W, 3) uint8 RGB image; and where to look next: two of the auxiliary points are
        BlazePose's own alignment pair (the hips' centre c and a point s on the circle
        that holds the whole body), so the body's region is the square of half side
        |s − c| around c, wherever the limbs are (a person cut by the image border keeps
        the region of their whole body, as MediaPipe's pose tracking does)."""
        H, W = image_rgb.shape[:2]
        n = len(boxes)
        if n == 0:
            return Landmarks(np.zeros((0, NUM_LANDMARKS, 3), np.float32), np.zeros(0, np.float32),
                             np.zeros((0, 4), np.float32))
        crops, frames = self.crops(image_rgb, boxes)
        raw, flags = [], []
        for start in range(0, n, self.config.max_batch):
            batch = crops[start:start + self.config.max_batch]
            out = self.session.run([self._landmarks, self._flag], {self._input: batch})
            raw.append(out[0].reshape(-1, 39, 5)[:, :NUM_LANDMARKS + 2])
            flags.append(out[1].reshape(-1))
        raw = np.concatenate(raw)                                        # (N, 35, 5)
        left_top, a = frames[:, None, :2], frames[:, None, 2:]
        everything = raw[..., :2] / a + left_top                         # (N, 35, 2)
        uv, raw = everything[:, :NUM_LANDMARKS], raw[:, :NUM_LANDMARKS]  # (N, 33, 2)
        centre, edge = everything[:, NUM_LANDMARKS], everything[:, NUM_LANDMARKS + 1]
        radius = np.linalg.norm(edge - centre, axis=-1, keepdims=True)   # (N, 1)
        regions = np.concatenate([centre - radius, centre + radius], -1).astype(np.float32)
        inside = ((uv >= -0.5) & (uv <= [W - 0.5, H - 0.5])).all(-1)
        conf = np.where(inside, _sigmoid(raw[..., 3]), 0.0)
        keypoints = np.concatenate([uv, conf[..., None]], -1).astype(np.float32)
        return Landmarks(keypoints, np.concatenate(flags).astype(np.float32), regions)
