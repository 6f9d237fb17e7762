"""Measures of a body shape at rest (SMPL-X's rest frame is y up): its stature and how high
the foot joints are above the soles.

    stature(β) = max_v y − min_v y          clearance(β) = ȳ(foot joints 10, 11) − min_v y
"""

from __future__ import annotations

import numpy as np
import torch

from .body_model import BodyModel

FOOT_BALLS = (10, 11)             # SMPL-X left_foot, right_foot: the balls of the feet


def _rest(body: BodyModel, betas: np.ndarray):
    with torch.no_grad():
        return body(torch.as_tensor(np.asarray(betas, np.float32))[None], torch.zeros(1, 3),
                    torch.zeros(1, 63), return_vertices=True)


def stature(body: BodyModel, betas: np.ndarray) -> float:
    """Standing height (m) of a body of ``betas`` (10,)."""
    y = _rest(body, betas).vertices[0, :, 1]
    return float(y.max() - y.min())


def sole_clearance(body: BodyModel, betas: np.ndarray) -> float:
    """How high the foot joints (the balls of the feet) are above the soles (m)."""
    rest = _rest(body, betas)
    return float(rest.joints[0, list(FOOT_BALLS), 1].mean() - rest.vertices[0, :, 1].min())
