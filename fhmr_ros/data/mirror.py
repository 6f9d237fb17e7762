"""Left/right mirroring of a motion clip (training augmentation: a real motion and its mirror
image are both plausible people).

The world is reflected across its x-z plane, M_w = diag(1, −1, 1), and the body across its
sagittal plane, M_b = diag(−1, 1, 1) (SMPL-X canonical x points to the body's left):
    R_root' = M_w R_root M_b,            R_j' = M_b R_σ(j) M_b   (σ swaps left and right),
    p_pelvis' = M_w p_pelvis,            transl' = M_w (transl + J0) − J0,
so the mirrored clip's joints are M_w times the original's, left and right swapped. In
axis-angle, M_b R M_b turns (x, y, z) into (x, −y, −z). Body shape is kept (the shape
space is left/right symmetric).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch

from ..body.body_model import BodyModel
from ..body.skeleton import NUM_BODY_JOINTS, SMPLX_MIRROR
from ..geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .motion import MotionClip

M_WORLD = np.diag([1.0, -1.0, 1.0])
M_BODY = np.diag([-1.0, 1.0, 1.0])
BODY_MIRROR = np.asarray(SMPLX_MIRROR[1:NUM_BODY_JOINTS]) - 1   # body_pose rows, swapped


def mirrored_clip(clip: MotionClip, body_model: BodyModel) -> MotionClip:
    """The clip's mirror image (module docstring), named ``<name>/mirror``."""
    R = axis_angle_to_matrix(torch.from_numpy(clip.global_orient).double()).numpy()
    root = matrix_to_axis_angle(torch.from_numpy(M_WORLD @ R @ M_BODY)).numpy()
    pose = clip.body_pose[:, BODY_MIRROR] * np.array([1.0, -1.0, -1.0])
    J0 = body_model.pelvis_offset(torch.as_tensor(
        clip.betas, dtype=body_model.J_template.dtype)).double().cpu().numpy()
    transl = (clip.transl + J0) @ M_WORLD.T - J0
    return replace(clip, name=f"{clip.name}/mirror", global_orient=root, body_pose=pose,
                   transl=transl)
