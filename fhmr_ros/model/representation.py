"""The per-frame variable vector both stages work on, and its codec.

Per frame the full vector x (D = 215) is
    [ root6d (6) | torso6d (7x6) | betas (10) | root_cam (3) ]            anchor A, 61 dims
    [ limb6d (14x6) | joints_rel (21x3) | root_vel (3) | contact (4) ]    completed, 154 dims
with
  root6d      camera-space root orientation R_cam_root in 6D,
  torso6d     local rotations of spine1, spine2, spine3, neck, collars, head,
  betas       body shape (repeated per frame; the window average is used),
  root_cam    pelvis position p = (x, y, z) in the camera as (x/z, y/z, log z),
  limb6d      local rotations of hips, knees, ankles, feet, shoulders, elbows, wrists,
  joints_rel  camera-space joints 1..21 minus the pelvis (the auxiliary geometry branch),
  root_vel    pelvis velocity in the body's heading frame (m/s; geometry/trajectory.py),
  contact     left foot, right foot, left hand, right hand in [0, 1].
Stage 1 predicts A; Stage 2 generates x with A known.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..body.skeleton import NON_TORSO_JOINTS, NUM_BODY_JOINTS, TORSO_JOINTS
from ..geometry.rotations import matrix_to_rot6d, rot6d_to_matrix

TORSO_LOCAL = tuple(j for j in TORSO_JOINTS if j != 0)    # 7 joints with a parent
NUM_BETAS = 10
CONTACT_JOINTS = (10, 11, 20, 21)                         # left/right foot, left/right wrist


def _layout() -> dict[str, slice]:
    sizes = [("root6d", 6), ("torso6d", 6 * len(TORSO_LOCAL)), ("betas", NUM_BETAS),
             ("root_cam", 3), ("limb6d", 6 * len(NON_TORSO_JOINTS)),
             ("joints_rel", 3 * (NUM_BODY_JOINTS - 1)), ("root_vel", 3), ("contact", 4)]
    out, start = {}, 0
    for name, n in sizes:
        out[name] = slice(start, start + n)
        start += n
    return out


LAYOUT: dict[str, slice] = _layout()
DIM: int = LAYOUT["contact"].stop                          # 215
ANCHOR_DIM: int = LAYOUT["root_cam"].stop                  # 61: the anchor is a prefix


@dataclass
class BodyVariables:
    """Decoded per-frame variables (leading dims (..., T))."""

    root_rotation: Tensor     # (..., T, 3, 3) R_cam_root
    local_rotations: Tensor   # (..., T, 21, 3, 3) joints 1..21, SMPL-X order
    betas: Tensor             # (..., T, 10)
    pelvis_camera: Tensor     # (..., T, 3) metres
    joints_rel: Tensor        # (..., T, 22, 3) camera-space joints minus pelvis (row 0 = 0)
    root_velocity: Tensor     # (..., T, 3) heading-frame pelvis velocity, m/s
    contact: Tensor           # (..., T, 4)


def anchor_mask(device: torch.device | str = "cpu") -> Tensor:
    """(D,) bool: True on the anchor coordinates (known to Stage 2)."""
    m = torch.zeros(DIM, dtype=torch.bool, device=device)
    m[:ANCHOR_DIM] = True
    return m


def encode_root(p: Tensor, min_depth: float = 0.1) -> Tensor:
    """Pelvis (..., 3) -> (x/z, y/z, log z)."""
    z = p[..., 2:].clamp(min=min_depth)
    return torch.cat([p[..., :2] / z, torch.log(z)], dim=-1)


def decode_root(c: Tensor) -> Tensor:
    """(x/z, y/z, log z) (..., 3) -> pelvis (..., 3)."""
    z = torch.exp(c[..., 2:])
    return torch.cat([c[..., :2] * z, z], dim=-1)


def encode(v: BodyVariables) -> Tensor:
    """BodyVariables -> x (..., T, D)."""
    lead = v.root_rotation.shape[:-2]
    local = v.local_rotations                                             # (..., T, 21, 3, 3)
    torso = matrix_to_rot6d(local[..., [j - 1 for j in TORSO_LOCAL], :, :])
    limbs = matrix_to_rot6d(local[..., [j - 1 for j in NON_TORSO_JOINTS], :, :])
    parts = [matrix_to_rot6d(v.root_rotation), torso.reshape(*lead, -1), v.betas,
             encode_root(v.pelvis_camera), limbs.reshape(*lead, -1),
             v.joints_rel[..., 1:, :].reshape(*lead, -1), v.root_velocity, v.contact]
    return torch.cat(parts, dim=-1)


def decode(x: Tensor) -> BodyVariables:
    """x (..., T, D) -> BodyVariables (rotations re-orthogonalised through 6D)."""
    lead = x.shape[:-1]
    local6 = x.new_zeros(*lead, NUM_BODY_JOINTS - 1, 6)
    local6[..., [j - 1 for j in TORSO_LOCAL], :] = x[..., LAYOUT["torso6d"]].reshape(*lead, -1, 6)
    local6[..., [j - 1 for j in NON_TORSO_JOINTS], :] = x[..., LAYOUT["limb6d"]].reshape(
        *lead, -1, 6)
    rel = x[..., LAYOUT["joints_rel"]].reshape(*lead, -1, 3)
    return BodyVariables(
        root_rotation=rot6d_to_matrix(x[..., LAYOUT["root6d"]]),
        local_rotations=rot6d_to_matrix(local6),
        betas=x[..., LAYOUT["betas"]],
        pelvis_camera=decode_root(x[..., LAYOUT["root_cam"]]),
        joints_rel=torch.cat([torch.zeros_like(rel[..., :1, :]), rel], dim=-2),
        root_velocity=x[..., LAYOUT["root_vel"]],
        contact=x[..., LAYOUT["contact"]])
