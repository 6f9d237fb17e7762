"""AMASS SMPL-X (or SMPL+H) ``.npz`` motion files -> MotionClip.

AMASS stores axis-angle poses in a z-up world, so no frame change is needed:
  poses (T, 165) SMPL-X or (T, 156) SMPL+H: [root (3), 21 body joints (63), jaw/eyes/hands]
    -> global_orient = poses[:, 0:3], body_pose = poses[:, 3:66]
    (AMASS's SMPL-X "N" files may instead carry root_orient (T, 3) and pose_body (T, 63));
  trans (T, 3) -> transl;  betas (B,) -> first 10 (zero-padded when B < 10);
  mocap_frame_rate (SMPL-X) or mocap_framerate (SMPL+H) -> fps.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .motion import SMPLX_NUM_BETAS, MotionClip

FRAME_RATE_KEYS = ("mocap_frame_rate", "mocap_framerate")
AMASS_FIELDS = ("poses", "root_orient", "pose_body", "trans", "betas", *FRAME_RATE_KEYS)


class AmassFormatError(ValueError):
    """An AMASS file lacks a field or holds one with the wrong shape."""


def load_amass(path: str | os.PathLike, name: str | None = None) -> MotionClip:
    """Read one AMASS ``.npz`` into a MotionClip (fields in the module doc)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:  # only the fields used: AMASS files
            data = {k: z[k] for k in z.files if k in AMASS_FIELDS}  # hold others we skip
    except (OSError, ValueError) as e:
        raise AmassFormatError(f"{path}: not a readable .npz file ({e})") from None
    return amass_arrays_to_clip(data, name=name or path.stem, where=str(path))


def amass_arrays_to_clip(data: dict[str, np.ndarray], name: str, where: str = "AMASS data"
                         ) -> MotionClip:
    """The conversion of :func:`load_amass` on already loaded arrays."""
    def field(key: str) -> np.ndarray:
        if key not in data:
            raise AmassFormatError(f"{where}: missing field {key!r} (AMASS fields present: "
                                   f"{sorted(data)})")
        return np.asarray(data[key])

    if "poses" in data:
        poses = field("poses")
        if poses.ndim != 2 or poses.shape[1] < 66:
            raise AmassFormatError(f"{where}: field 'poses' has shape {poses.shape}, expected "
                                   "(T, 165) or (T, 156): at least 66 columns")
        orient, body = poses[:, :3], poses[:, 3:66]
    elif "root_orient" in data and "pose_body" in data:
        orient, body = field("root_orient"), field("pose_body")
        if orient.ndim != 2 or orient.shape[1] != 3:
            raise AmassFormatError(f"{where}: field 'root_orient' has shape {orient.shape}, "
                                   "expected (T, 3)")
        if body.shape != (orient.shape[0], 63):
            raise AmassFormatError(f"{where}: field 'pose_body' has shape {body.shape}, "
                                   f"expected ({orient.shape[0]}, 63)")
    else:
        raise AmassFormatError(f"{where}: missing field 'poses' (or 'root_orient' + "
                               f"'pose_body'); AMASS fields present: {sorted(data)}")
    T = orient.shape[0]
    if T == 0:
        raise AmassFormatError(f"{where}: field 'poses' has no frames")

    trans = field("trans")
    if trans.shape != (T, 3):
        raise AmassFormatError(f"{where}: field 'trans' has shape {trans.shape}, "
                               f"expected ({T}, 3)")

    betas = field("betas")
    if betas.ndim != 1:
        raise AmassFormatError(f"{where}: field 'betas' has shape {betas.shape}, expected (B,)")
    betas = np.pad(betas[:SMPLX_NUM_BETAS], (0, max(0, SMPLX_NUM_BETAS - betas.shape[0])))

    rate_key = next((k for k in FRAME_RATE_KEYS if k in data), None)
    if rate_key is None:
        raise AmassFormatError(f"{where}: missing field 'mocap_frame_rate' "
                               f"(or 'mocap_framerate'); AMASS fields present: {sorted(data)}")
    rate = np.asarray(data[rate_key])
    if rate.size != 1 or not float(rate) > 0:
        raise AmassFormatError(f"{where}: field {rate_key!r} must be one positive number, "
                               f"got {rate!r}")

    try:
        return MotionClip(name=name, fps=float(rate), global_orient=orient,
                          body_pose=body.reshape(T, 21, 3), transl=trans, betas=betas,
                          source="amass")
    except ValueError as e:
        raise AmassFormatError(f"{where}: {e}") from None
