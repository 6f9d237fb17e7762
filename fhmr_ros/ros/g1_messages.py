"""The live Unitree G1 output (``publish_g1``): per tracked person, ``~/g1/<id>/joint_states``
(sensor_msgs/JointState, the G1's 29 joint names as its MJCF spells them, radians), the
person retargeted onto the robot frame by frame (export/g1_followers.py). ``<id>`` is the
REP-155 body id (``b<track id>``), as on /humans/bodies/<id>/."""

from __future__ import annotations

import numpy as np
from sensor_msgs.msg import JointState
from std_msgs.msg import Header

from fhmr_ros.body.person_ids import body_id

G1_PREFIX = "~/g1/"


def g1_topic(track_id: int) -> str:
    return f"{G1_PREFIX}{body_id(track_id)}/joint_states"


def g1_joint_state_msg(names: tuple[str, ...], positions: np.ndarray, header: Header
                       ) -> JointState:
    return JointState(header=header, name=list(names),
                      position=[float(v) for v in positions])
