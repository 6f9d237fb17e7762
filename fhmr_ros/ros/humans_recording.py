"""The people of a recording of fhmr_node's ``~/humans`` (MCAP), as PersonTracks.

Per HumanState: world orientation from ``pelvis_pose_world`` (R_world_root), SMPL-X
``body_pose`` and ``betas`` as published, and the world ``transl`` = pelvis_world − J0,
where the rest pelvis J0 = pelvis_camera − transl_camera (the message's camera-frame pelvis
and SMPL-X ``transl``), so no body model is needed to read it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

from fhmr_ros.export.person_track import ExportInputError, PersonTrack
from fhmr_ros.geometry.rotations import quaternion_to_axis_angle

from .mcap_io import McapFormatError, read_messages, topics
from .odometry import stamp_to_sec

HUMANS_TYPE = "fhmr_ros/msg/HumanStateArray"


def tracks_from_recording(path: str | Path, topic: str | None = None) -> list[PersonTrack]:
    """Every person in the recording's HumanStateArray topic (``topic``, or the one such
    topic it has), in id order. ExportInputError when there is none or nobody in it."""
    try:
        available = topics(path)
    except (McapFormatError, OSError) as e:
        raise ExportInputError(f"{path}: not a readable MCAP recording ({e})") from None
    humans = [t for t, type_name in available.items() if type_name == HUMANS_TYPE]
    if topic is None:
        if len(humans) != 1:
            which = f": pass --topic, one of {humans}" if humans else ""
            raise ExportInputError(
                f"{path}: {'no' if not humans else 'more than one'} {HUMANS_TYPE} topic "
                f"(fhmr_node's ~/humans){which}; its topics: "
                f"{sorted(available) or 'none (empty recording)'}")
        topic = humans[0]
    elif topic not in humans:
        raise ExportInputError(f"{path}: no {HUMANS_TYPE} topic {topic!r}; it has {humans}")
    rows: dict[int, list[tuple]] = defaultdict(list)
    for record in read_messages(path, {topic}):
        stamp = stamp_to_sec(record.msg.header.stamp)
        for h in record.msg.humans:
            q = h.pelvis_pose_world.orientation
            pw, pc = h.pelvis_pose_world.position, h.pelvis_pose_camera.position
            rest_pelvis = np.array([pc.x, pc.y, pc.z]) - np.asarray(h.transl, np.float64)
            rows[int(h.track_id)].append((
                stamp, np.asarray(h.betas, np.float64),
                quaternion_to_axis_angle(torch.tensor([q.x, q.y, q.z, q.w],
                                                      dtype=torch.float64)).numpy(),
                np.asarray(h.body_pose, np.float64),
                np.array([pw.x, pw.y, pw.z]) - rest_pelvis))
    if not rows:
        raise ExportInputError(f"{path}: topic {topic} holds no person")
    tracks = []
    for tid in sorted(rows):
        samples = sorted(rows[tid], key=lambda r: r[0])
        stamps, betas, orient, pose, transl = (np.array(c) for c in zip(*samples))
        tracks.append(PersonTrack(tid, stamps, betas, orient, pose, transl))
    return tracks
