"""Axis-aligned box helpers shared by the person detector and the tracker.

Boxes are float arrays of corners ``x0, y0, x1, y1`` in pixels (xyxy); an empty or inverted
box has zero area.
"""

from __future__ import annotations

import numpy as np


def box_area(boxes: np.ndarray) -> np.ndarray:
    """(N,) areas of (N, 4) xyxy boxes (0 for inverted boxes)."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)


def box_intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) intersection areas of (N, 4) and (M, 4) xyxy boxes."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)[:, None]   # (N, 1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)[None]      # (1, M, 4)
    w = np.minimum(a[..., 2], b[..., 2]) - np.maximum(a[..., 0], b[..., 0])
    h = np.minimum(a[..., 3], b[..., 3]) - np.maximum(a[..., 1], b[..., 1])
    return np.clip(w, 0, None) * np.clip(h, 0, None)


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) intersection over union of (N, 4) and (M, 4) xyxy boxes (0 where both are
    empty)."""
    inter = box_intersection(a, b)
    union = box_area(a)[:, None] + box_area(b)[None] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def box_containment(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, M) fraction of each box of ``a`` that lies inside each box of ``b``."""
    area = box_area(a)[:, None]
    return np.where(area > 0, box_intersection(a, b) / np.maximum(area, 1e-12), 0.0)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy non-maximum suppression: (K,) int64 indices of the kept boxes, best first.
    A box is dropped when its IoU with an already kept, higher-scoring box exceeds
    ``iou_threshold``."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    order = np.argsort(-np.asarray(scores, dtype=np.float64).reshape(-1), kind="stable")
    iou = box_iou(boxes, boxes)
    keep: list[int] = []
    suppressed = np.zeros(len(boxes), dtype=bool)
    for i in order:
        if suppressed[i]:
            continue
        keep.append(int(i))
        suppressed |= iou[i] > iou_threshold
    return np.asarray(keep, dtype=np.int64)


def square_around(boxes: np.ndarray, scale: float) -> np.ndarray:
    """(N, 4) squares centred on (N, 4) xyxy boxes, side ``scale`` × the box's longer side."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    centre = (b[:, :2] + b[:, 2:]) / 2                           # (N, 2)
    half = scale * np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]) / 2
    return np.concatenate([centre - half[:, None], centre + half[:, None]], axis=1)
