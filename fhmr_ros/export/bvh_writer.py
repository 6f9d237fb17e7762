"""A track as BVH of the SMPL-X body skeleton, y up, for animation tools.

Hierarchy: the 22 SMPL-X body joints under their SMPL-X names (``pelvis``, ``left_hip``,
..., ``right_wrist``), with End Sites beyond the head, hands and feet. OFFSETs are the rest
(T-pose) joints of the track's betas, J_j − J_parent, in the SMPL-X canonical frame, which is
y up already. Lengths are in centimetres (``UNITS_PER_M``).

Motion: the root has position channels and every joint has ``Zrotation Xrotation
Yrotation``, in degrees, R = Rz · Rx · Ry (intrinsic, the BVH convention). SMPL-X forward
kinematics, G_j = G_parent · R_j and P_j = P_parent + G_parent (J_j − J_parent), is BVH's.
So the local rotations are written unchanged. Only the root changes frame: with
C = [[1, 0, 0], [0, 0, 1], [0, −1, 0]] taking the z-up world to y up (x' = x, y' = z,
z' = −y),
    root rotation = C · R_world_root,   root position = C · (transl + J0) · UNITS_PER_M.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from ..body.body_model import BodyModel
from ..body.skeleton import BODY_JOINT_NAMES, BODY_PARENTS
from ..geometry.rotations import axis_angle_to_matrix
from .joint_tables import joint_angles
from .person_track import PersonTrack

UNITS_PER_M = 100.0                                  # centimetres
Z_UP_TO_Y_UP = np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])
EULER = "ZXY"                                        # channel order, intrinsic
# End Sites: joint -> offset from it in the rest frame (m): head top, hand tips, toes
END_SITES = {15: (0.0, 0.12, 0.0), 20: (0.08, 0.0, 0.0), 21: (-0.08, 0.0, 0.0),
             10: (0.0, -0.02, 0.06), 11: (0.0, -0.02, 0.06)}


def write_bvh(path: str | Path, track: PersonTrack, fps: float, body: BodyModel) -> Path:
    """Write the track (median betas for the offsets) to ``path``."""
    betas = torch.from_numpy(np.median(track.betas, axis=0)).float()
    rest = body.rest_joints(betas).double().numpy()                  # (22, 3) canonical, m
    lines = ["HIERARCHY"]
    _joint_lines(0, rest, lines, depth=0)
    R = axis_angle_to_matrix(torch.from_numpy(joint_angles(track))).numpy()  # (T, 22, 3, 3)
    R[:, 0] = Z_UP_TO_Y_UP @ R[:, 0]
    # at X = ±90° (e.g. a knee bent square) scipy warns of gimbal lock and picks one of
    # the equal decompositions, which is still exact
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Gimbal lock", UserWarning)
        euler = Rotation.from_matrix(R.reshape(-1, 3, 3)).as_euler(EULER, degrees=True)
    euler = euler.reshape(track.num_frames, -1, 3)                   # (T, 22, 3) z, x, y
    root = (track.transl + rest[0]) @ Z_UP_TO_Y_UP.T * UNITS_PER_M    # (T, 3)
    order = _hierarchy_order()
    rows = np.concatenate([root, euler[:, order].reshape(track.num_frames, -1)], axis=1)
    lines += ["MOTION", f"Frames: {track.num_frames}", f"Frame Time: {1.0 / fps:.8f}"]
    lines += [" ".join(f"{v:.6f}" for v in row) for row in rows]
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)


def _children(joint: int) -> list[int]:
    return [j for j, p in enumerate(BODY_PARENTS) if p == joint]


def _hierarchy_order(joint: int = 0) -> list[int]:
    """Joints in the order the hierarchy lists them (depth first): the channel order."""
    out = [joint]
    for child in _children(joint):
        out += _hierarchy_order(child)
    return out


def _joint_lines(joint: int, rest: np.ndarray, lines: list[str], depth: int) -> None:
    pad = "  " * depth
    parent = BODY_PARENTS[joint]
    offset = (rest[joint] - rest[parent] if parent >= 0 else np.zeros(3)) * UNITS_PER_M
    channels = ("CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"
                if parent < 0 else "CHANNELS 3 Zrotation Xrotation Yrotation")
    lines += [f"{pad}{'ROOT' if parent < 0 else 'JOINT'} {BODY_JOINT_NAMES[joint]}",
              f"{pad}{{", f"{pad}  OFFSET {_xyz(offset)}", f"{pad}  {channels}"]
    for child in _children(joint):
        _joint_lines(child, rest, lines, depth + 1)
    if joint in END_SITES:
        lines += [f"{pad}  End Site", f"{pad}  {{",
                  f"{pad}    OFFSET {_xyz(np.array(END_SITES[joint]) * UNITS_PER_M)}",
                  f"{pad}  }}"]
    lines.append(f"{pad}}}")


def _xyz(v: np.ndarray) -> str:
    return " ".join(f"{x:.6f}" for x in v)
