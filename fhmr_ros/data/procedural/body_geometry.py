"""Rest-pose measurements of one body shape that the motion generator needs: bone lengths,
the ground plane and the foot contact points.

Canonical (rest) frame: x = body left, y = up, z = forward; the rest pose stands on its
soles, so the ground is the lowest rest vertex, y = sole_y. Contact points of a foot,
relative to its ankle joint A and with F its foot (ball) joint:
    heel = (A_x, sole_y, z_heel) - A,   ball = (F_x, sole_y, F_z) - A,
z_heel being the rearmost sole vertex behind the ankle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ...body.body_model import BodyModel

REFERENCE_LEG_LENGTH = 0.80  # m, hip-to-ankle length that the gait laws are written for
SOLE_BAND = 0.02             # m above the sole that counts as the sole of the foot
LEFT, RIGHT = 0, 1
HIP, KNEE, ANKLE, FOOT = (1, 2), (4, 5), (7, 8), (10, 11)  # joint ids (left, right)


@dataclass(frozen=True)
class BodyGeometry:
    """Measurements of one shape (``betas``); per-side arrays are (left, right)."""

    rest: np.ndarray          # (22, 3) rest joints, canonical frame, metres
    sole_y: float             # rest height of the ground (lowest vertex)
    thigh: np.ndarray         # (2,) |knee - hip|
    shank: np.ndarray         # (2,) |ankle - knee|
    heel: np.ndarray          # (2, 3) heel contact point relative to the ankle joint
    ball: np.ndarray          # (2, 3) ball contact point relative to the ankle joint
    foot: np.ndarray          # (2, 3) foot (ball) joint relative to the ankle joint

    @property
    def pelvis_height(self) -> float:
        """Pelvis joint height above the ground when standing in the rest pose."""
        return float(self.rest[0, 1] - self.sole_y)

    @property
    def leg_length(self) -> float:
        """Mean hip-to-ankle length (thigh + shank)."""
        return float((self.thigh + self.shank).mean())

    @property
    def scale(self) -> float:
        """Leg length relative to the length the gait laws are written for."""
        return self.leg_length / REFERENCE_LEG_LENGTH

    @property
    def ankle_height(self) -> np.ndarray:
        """(2,) ankle joint height above the ground with the foot flat."""
        return -self.heel[:, 1]

    @property
    def ball_height(self) -> np.ndarray:
        """(2,) foot (ball) joint height above the ground with the foot flat."""
        return self.foot[:, 1] - self.ball[:, 1]

    def hip_offset(self, side: int) -> np.ndarray:
        """(3,) rest hip joint relative to the pelvis joint."""
        return self.rest[HIP[side]] - self.rest[0]


def body_geometry(body_model: BodyModel, betas: np.ndarray) -> BodyGeometry:
    """Measure the rest body of shape ``betas`` (10,)."""
    b = torch.as_tensor(np.asarray(betas, dtype=np.float32))[: body_model.num_betas]
    with torch.no_grad():
        rest = body_model.rest_joints(b).double().numpy()                       # (22, 3)
        layer = body_model.layer
        shapedirs = layer.shapedirs[..., : body_model.num_betas]
        verts = (layer.v_template + torch.einsum("vcb,b->vc", shapedirs, b)).double().numpy()
    sole_y = float(verts[:, 1].min())
    heel, ball, foot = np.zeros((2, 3)), np.zeros((2, 3)), np.zeros((2, 3))
    for side, sign in ((LEFT, 1.0), (RIGHT, -1.0)):
        a, f = rest[ANKLE[side]], rest[FOOT[side]]
        sole = verts[(verts[:, 0] * sign > 0) & (verts[:, 1] < sole_y + SOLE_BAND)]
        behind = sole[sole[:, 2] < a[2]]
        z_heel = float(behind[:, 2].min()) if len(behind) else a[2]
        heel[side] = np.array([a[0], sole_y, z_heel]) - a
        ball[side] = np.array([f[0], sole_y, f[2]]) - a
        foot[side] = f - a
    thigh = np.array([np.linalg.norm(rest[KNEE[s]] - rest[HIP[s]]) for s in (LEFT, RIGHT)])
    shank = np.array([np.linalg.norm(rest[ANKLE[s]] - rest[KNEE[s]]) for s in (LEFT, RIGHT)])
    return BodyGeometry(rest=rest, sole_y=sole_y, thigh=thigh, shank=shank, heel=heel,
                        ball=ball, foot=foot)
