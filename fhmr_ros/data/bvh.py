"""BVH motion-capture files: parser and forward kinematics.

A BVH file has a HIERARCHY block (joints with an OFFSET from their parent, a CHANNELS list
of any length and order, and End Sites: channel-less leaf points) and a MOTION block
(``Frames:``, ``Frame Time:`` and one row of channel values per frame, joints in hierarchy
order). Angles are in degrees; lengths are in the file's own units.

Every End Site becomes a pseudo-joint named ``<parent>:end`` with no channels, so forward
kinematics returns its position like any other joint's.

Forward kinematics (column vectors, x' = R x). For joint j with parent p and the rotation
channels (a_1, θ_1) ... (a_k, θ_k) in the listed order (intrinsic, the BVH convention),
    R_j = Rot(a_1, θ_1) Rot(a_2, θ_2) ... Rot(a_k, θ_k),
    t_j = OFFSET_j with each listed position channel replacing its component,
    G_j = G_p R_j,   P_j = P_p + G_p t_j.
For a root, P = t (no parent) and G = R.
"""

from __future__ import annotations

import gzip
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..geometry.rotations import rotation_about_axis_np

ROTATION_CHANNELS = ("Xrotation", "Yrotation", "Zrotation")
POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
END_SITE_SUFFIX = ":end"


@dataclass
class BvhJoint:
    """One joint (or End Site) of the hierarchy."""

    name: str
    parent: int                 # index into BvhFile.joints, -1 for a root
    offset: np.ndarray          # (3,) rest translation from the parent, file units
    channels: tuple[str, ...]   # e.g. ("Xposition", "Yposition", "Zposition", "Zrotation", ...)
    first_column: int           # column of channels[0] in BvhFile.motion

    @property
    def is_end_site(self) -> bool:
        return self.name.endswith(END_SITE_SUFFIX)


@dataclass
class BvhFile:
    """A parsed BVH file: the hierarchy and the raw channel values."""

    joints: list[BvhJoint]      # parents always come before their children
    frame_time: float           # seconds per frame
    motion: np.ndarray          # (T, C) channel values, C = total channel count
    frames_in_header: int       # the ``Frames:`` value (motion may hold fewer if truncated)

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time

    @property
    def num_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def names(self) -> list[str]:
        return [j.name for j in self.joints]

    def index(self, name: str) -> int:
        """Index of the joint (or ``<parent>:end`` End Site) called ``name``."""
        for i, joint in enumerate(self.joints):
            if joint.name == name:
                return i
        raise KeyError(f"BVH has no joint {name!r}; joints are {self.names}")

    def channel_values(self, joint: int) -> np.ndarray:
        """(T, len(channels)) values of one joint's channels."""
        j = self.joints[joint]
        return self.motion[:, j.first_column:j.first_column + len(j.channels)]


@dataclass
class BvhPose:
    """Forward-kinematics result in the file's frame and units."""

    positions: np.ndarray       # (T, J, 3) global joint positions (End Sites included)
    rotations: np.ndarray       # (T, J, 3, 3) global joint frames, joint -> file frame
                                #   (an End Site carries its parent's frame)


class BvhParseError(ValueError):
    """The text is not a well-formed BVH file."""


MAX_FILE_BYTES = 512 * 2 ** 20      # read (after gunzip): mocap clips are a few MB
MAX_DEPTH = 64                      # joint nesting (a human skeleton has ~10 levels)
MAX_JOINTS = 1024


def read_bvh(path: str | os.PathLike, max_frames: int | None = None) -> BvhFile:
    """Read a ``.bvh`` or gzipped ``.bvh.gz`` file (gzip is detected from the content); a
    file larger than MAX_FILE_BYTES, packed or unpacked, is refused before it is read."""
    path = Path(path)
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BvhParseError(f"{path}: {path.stat().st_size} bytes exceeds the limit of "
                            f"{MAX_FILE_BYTES}")
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        with gzip.open(path, "rb") as f:
            raw = f.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise BvhParseError(f"{path}: unpacks to more than {MAX_FILE_BYTES} bytes")
    try:
        return parse_bvh(raw.decode("utf-8", errors="replace"), max_frames=max_frames)
    except BvhParseError as e:
        raise BvhParseError(f"{path}: {e}") from None


def parse_bvh(text: str, max_frames: int | None = None) -> BvhFile:
    """Parse BVH text; with ``max_frames`` only the first frames are kept."""
    parts = re.split(r"^\s*MOTION\s*$", text, maxsplit=1, flags=re.MULTILINE)
    if len(parts) != 2:
        raise BvhParseError("no MOTION section")
    head, tail = parts
    joints = _parse_hierarchy(head.split())
    num_channels = sum(len(j.channels) for j in joints)
    frames, frame_time, rows = _parse_motion_header(tail)
    keep = frames if max_frames is None else min(frames, max_frames)
    values = rows.split(None, keep * num_channels)[:keep * num_channels]
    try:
        motion = np.array(values, dtype=np.float64)
    except ValueError as e:
        raise BvhParseError(f"non-numeric motion value: {e}") from None
    if motion.size != keep * num_channels:
        raise BvhParseError(f"motion has {motion.size} values, expected {keep} frames x "
                            f"{num_channels} channels = {keep * num_channels}")
    if not np.isfinite(motion).all():
        frame = int(np.argwhere(~np.isfinite(motion))[0][0]) // max(num_channels, 1)
        raise BvhParseError(f"motion has non-finite values (NaN or inf), first in frame "
                            f"{frame}")
    return BvhFile(joints=joints, frame_time=frame_time,
                   motion=motion.reshape(keep, num_channels), frames_in_header=frames)


def _parse_hierarchy(tokens: list[str]) -> list[BvhJoint]:
    """Recursive-descent parse of the whitespace-split HIERARCHY block."""
    pos = 0
    joints: list[BvhJoint] = []
    column = 0

    def take(expected: str | None = None) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise BvhParseError(f"unexpected end of HIERARCHY (wanted {expected or 'a token'})")
        tok = tokens[pos]
        pos += 1
        if expected is not None and tok != expected:
            raise BvhParseError(f"expected {expected!r}, found {tok!r} (token {pos})")
        return tok

    def numbers(n: int) -> np.ndarray:
        try:
            values = np.array([float(take()) for _ in range(n)])
        except ValueError:
            raise BvhParseError(f"bad number near token {pos}") from None
        if not np.isfinite(values).all():
            raise BvhParseError(f"non-finite OFFSET near token {pos}")
        return values

    def joint(name: str, parent: int, depth: int) -> None:
        nonlocal column
        if depth > MAX_DEPTH or len(joints) >= MAX_JOINTS:
            raise BvhParseError(f"HIERARCHY nests deeper than {MAX_DEPTH} levels or has more "
                                f"than {MAX_JOINTS} joints (at joint {name!r})")
        take("{")
        take("OFFSET")
        offset = numbers(3)
        channels: tuple[str, ...] = ()
        if pos < len(tokens) and tokens[pos] == "CHANNELS":
            take()
            try:
                count = int(take())
            except ValueError:
                raise BvhParseError(f"bad CHANNELS count for joint {name!r}") from None
            channels = tuple(take() for _ in range(count))
            unknown = set(channels) - set(ROTATION_CHANNELS) - set(POSITION_CHANNELS)
            if unknown:
                raise BvhParseError(f"joint {name!r} has unknown channels {sorted(unknown)}")
        index = len(joints)
        joints.append(BvhJoint(name, parent, offset, channels, column))
        column += len(channels)
        while True:
            tok = take()
            if tok == "}":
                return
            if tok == "JOINT":
                joint(take(), index, depth + 1)
            elif tok == "End":
                take("Site")
                take("{")
                take("OFFSET")
                joints.append(BvhJoint(name + END_SITE_SUFFIX, index, numbers(3), (), column))
                take("}")
            else:
                raise BvhParseError(f"unexpected {tok!r} inside joint {name!r}")

    take("HIERARCHY")
    while pos < len(tokens):
        take("ROOT")
        joint(take(), -1, 0)
    if not joints:
        raise BvhParseError("HIERARCHY has no ROOT")
    return joints


def _parse_motion_header(tail: str) -> tuple[int, float, str]:
    """(Frames, Frame Time, the text of the rows) from the text after ``MOTION``."""
    lines = tail.lstrip().split("\n", 2)
    if len(lines) < 2 or not lines[0].strip().startswith("Frames:"):
        raise BvhParseError("MOTION must start with 'Frames: N'")
    if not lines[1].strip().startswith("Frame Time:"):
        raise BvhParseError("'Frame Time: dt' must follow 'Frames:'")
    try:
        frames = int(lines[0].split(":", 1)[1])
        frame_time = float(lines[1].split(":", 1)[1])
    except ValueError:
        raise BvhParseError("malformed 'Frames:' or 'Frame Time:' line") from None
    if frames < 0 or not frame_time > 0:
        raise BvhParseError(f"bad Frames {frames} / Frame Time {frame_time}")
    return frames, frame_time, lines[2] if len(lines) > 2 else ""


def local_transforms(bvh: BvhFile, joint: int) -> tuple[np.ndarray, np.ndarray]:
    """Local rotation (T, 3, 3) and translation (T, 3) of one joint, all frames.

    R = product of the rotation channels in the listed order; t = OFFSET with the position
    channels replacing their components.
    """
    j = bvh.joints[joint]
    values = bvh.channel_values(joint)
    T = bvh.num_frames
    R = np.broadcast_to(np.eye(3), (T, 3, 3)).copy()
    t = np.broadcast_to(j.offset, (T, 3)).copy()
    for k, channel in enumerate(j.channels):
        if channel in ROTATION_CHANNELS:
            R = R @ rotation_about_axis_np(channel[0], np.deg2rad(values[:, k]))
        else:
            t[:, POSITION_CHANNELS.index(channel)] = values[:, k]
    return R, t


def forward_kinematics(bvh: BvhFile, add_root_offset: bool = True) -> BvhPose:
    """Global joint positions and frames for every frame (equations in the module doc).

    BVH writers disagree about the root: CMU-style files have a zero root OFFSET and absolute
    root position channels, while Blender-style files (ReActIdle) store the root's rest
    height in the OFFSET and only the displacement from it in the position channels. With
    ``add_root_offset`` the root position is OFFSET + channels, right for both kinds when
    the root OFFSET is zero; set it False for files whose root channels are absolute and
    whose root OFFSET is not zero.
    """
    T, J = bvh.num_frames, len(bvh.joints)
    positions = np.zeros((T, J, 3))
    rotations = np.zeros((T, J, 3, 3))
    for index, joint in enumerate(bvh.joints):
        R, t = local_transforms(bvh, index)
        p = joint.parent
        if p < 0:
            if add_root_offset:
                has = [c in joint.channels for c in POSITION_CHANNELS]
                t = t + np.where(has, joint.offset, 0.0)
            positions[:, index] = t
            rotations[:, index] = R
        else:
            positions[:, index] = positions[:, p] + np.einsum("tij,tj->ti", rotations[:, p], t)
            rotations[:, index] = rotations[:, p] @ R
    return BvhPose(positions=positions, rotations=rotations)


def rest_positions(bvh: BvhFile) -> np.ndarray:
    """(J, 3) joint positions of the rest pose: every rotation zero, every OFFSET as written,
    the root at its OFFSET."""
    out = np.zeros((len(bvh.joints), 3))
    for index, joint in enumerate(bvh.joints):
        out[index] = joint.offset + (out[joint.parent] if joint.parent >= 0 else 0.0)
    return out
