"""fhmr_ros/PersonKeypointsArray: another node's 2D people, to and from the message.

``keypoints_from_msg`` is the node's reader (input:=keypoints); ``keypoints_msg`` builds the
message from PersonDetection records, for a bridge from another detector and for tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from builtin_interfaces.msg import Time

from fhmr_ros.msg import PersonKeypoints, PersonKeypointsArray
from fhmr_ros.perception.detection import PersonDetection
from fhmr_ros.perception.external_keypoints import (ExternalPerson, KeypointsFrame,
                                                    keypoints_frame)


def keypoints_from_msg(msg: PersonKeypointsArray, model_format: str) -> KeypointsFrame:
    """The message's people in ``model_format``; ValueError for what cannot be used."""
    people = [ExternalPerson(p.id, p.score, np.asarray(p.bbox, np.float32),
                             np.asarray(p.keypoints, np.float32)) for p in msg.people]
    return keypoints_frame(msg.format, (msg.image_width, msg.image_height), people,
                           model_format)


def keypoints_msg(stamp: Time, frame_id: str, size: tuple[int, int],
                  people: Sequence[PersonDetection]) -> PersonKeypointsArray:
    """The message of the people one detector found in one image of ``size`` (width,
    height); their format is the first one's (all must share it)."""
    formats = {p.keypoint_format for p in people}
    if len(formats) > 1:
        raise ValueError(f"one message holds one keypoint format, got {sorted(formats)}")
    msg = PersonKeypointsArray()
    msg.header.stamp, msg.header.frame_id = stamp, frame_id
    msg.format = formats.pop() if formats else "coco17"
    msg.image_width, msg.image_height = (int(v) for v in size)
    msg.people = [PersonKeypoints(
        id=-1 if p.source_id is None else int(p.source_id), score=float(p.score),
        bbox=np.asarray(p.bbox, np.float32), keypoints=np.asarray(
            p.keypoints, np.float32).reshape(-1)) for p in people]
    return msg
