"""Colours shared by the overlays and plots. OpenCV order: every colour here is BGR, 0..255.

Skeleton legend (the same in every overlay):
  ANCHOR_BGR (orange): torso joints and the limbs ending in them, estimated by Stage 1;
  COMPLETED_BGR (blue): limb joints and the limbs ending in them, completed by Stage 2.
A limb is coloured by the source of its child joint (the one farther from the pelvis).
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

BGR = tuple[int, int, int]

ANCHOR_BGR: BGR = (60, 180, 255)      # orange
COMPLETED_BGR: BGR = (255, 160, 40)   # blue
CAMERA_BGR: BGR = (120, 120, 120)     # grey: the camera / robot path

SKELETON_LEGEND: tuple[tuple[str, BGR], ...] = (
    ("anchor joints (torso, Stage 1)", ANCHOR_BGR),
    ("completed joints (Stage 2)", COMPLETED_BGR),
)

_GOLDEN = 0.618033988749895  # hue step: consecutive ids get far-apart hues
# Hue bands (degrees) kept free for ANCHOR_BGR (~36) and COMPLETED_BGR (~213), so a track
# colour is never mistaken for a joint source.
_RESERVED_HUES = ((16.0, 56.0), (193.0, 233.0))


def _free_hue(fraction: float) -> float:
    """Map ``fraction`` in [0, 1) onto the hue circle minus the reserved bands (degrees)."""
    hue = fraction * (360.0 - sum(hi - lo for lo, hi in _RESERVED_HUES))
    for lo, hi in _RESERVED_HUES:
        if hue >= lo:
            hue += hi - lo
    return hue


@lru_cache(maxsize=1024)
def track_color(track_id: int) -> BGR:
    """A stable, distinct BGR colour for an integer track id (same id, same colour)."""
    hue = _free_hue((int(track_id) * _GOLDEN) % 1.0) / 360.0
    value = 0.95 if int(track_id) % 2 == 0 else 0.8
    r, g, b = colorsys.hsv_to_rgb(hue, 0.75, value)
    return round(b * 255), round(g * 255), round(r * 255)


def bgr_to_rgb01(color: Sequence[int]) -> tuple[float, float, float]:
    """BGR 0..255 -> RGB 0..1, the form matplotlib takes."""
    b, g, r = color
    return r / 255.0, g / 255.0, b / 255.0


def joint_source_colors(joint_source: np.ndarray) -> list[BGR]:
    """Per-joint colours (J,) from a joint source array (J,): 0 anchor, 1 completed."""
    return [COMPLETED_BGR if s else ANCHOR_BGR for s in np.asarray(joint_source).tolist()]
