"""A track as plain tables for people who script their own retargeting (position-based
retargeters read the world joint positions): per frame the time, every body joint's
rotation (axis-angle: the root's in the world, the others relative to their parent,
SMPL-X order), every body joint's world position and, where known, each foot's contact.

CSV: one row per frame, columns ``time`` then ``<joint>_rx/_ry/_rz`` (radians) then
``<joint>_x/_y/_z`` (metres, world frame z up, floor z = 0) then ``left_foot_contact``,
``right_foot_contact`` (0/1). NPZ: ``time`` (T,), ``joint_angles`` (T, 22, 3),
``joints_world`` (T, 22, 3), ``joint_names``, ``transl`` (T, 3), ``betas`` (10,), ``fps``,
``foot_contact`` (T, 2) bool (left, right).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..body.skeleton import BODY_JOINT_NAMES
from .person_track import PersonTrack


def joint_angles(track: PersonTrack) -> np.ndarray:
    """(T, 22, 3) axis-angle: the root in the world, then joints 1..21."""
    return np.concatenate([track.global_orient[:, None],
                           track.body_pose.reshape(-1, 21, 3)], axis=1)


def write_tables(stem: str | Path, track: PersonTrack, joints_world: np.ndarray,
                 fps: float, contacts: np.ndarray | None = None) -> tuple[Path, Path]:
    """``<stem>_joints.csv`` and ``<stem>_joints.npz``; returns both paths. ``contacts``
    (T, 2) bool, left and right foot, where the clean-up found them."""
    stem = Path(stem)
    time = track.stamps - track.stamps[0]
    angles = joint_angles(track)
    header = ["time"] + [f"{n}_r{a}" for n in BODY_JOINT_NAMES for a in "xyz"] + [
        f"{n}_{a}" for n in BODY_JOINT_NAMES for a in "xyz"]
    columns = [time[:, None], angles.reshape(len(time), -1), joints_world.reshape(len(time), -1)]
    extra = {}
    if contacts is not None:
        header += ["left_foot_contact", "right_foot_contact"]
        columns.append(contacts.astype(float))
        extra["foot_contact"] = np.asarray(contacts, bool)
    table = np.concatenate(columns, axis=1)
    csv = stem.with_name(stem.name + "_joints.csv")
    np.savetxt(csv, table, delimiter=",", header=",".join(header), comments="", fmt="%.6f")
    npz = stem.with_name(stem.name + "_joints.npz")
    np.savez(npz, time=time, joint_angles=angles, joints_world=joints_world,
             joint_names=np.array(BODY_JOINT_NAMES), transl=track.transl,
             betas=np.median(track.betas, axis=0), fps=np.array(float(fps)), **extra)
    return csv, npz
