"""TF frames of tracked people (ROS4HRI / REP-155 style) and tf2_msgs/TFMessage.

Body frame ``body_<id>`` (REP-155 / REP-103; the name: body/person_ids.py): origin at the midpoint of the hips,
z = world up (0, 0, 1), x = the body's forward direction in the horizontal plane,
y = z x x (to the body's left). With L = left_hip - right_hip (pointing to the body's
left, SMPL-X joints 1 and 2) and L_h its horizontal part,
    x = L_h x z / |L_h x z|
(a person whose left is world +y faces world +x: (+y) x (+z) = +x).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from builtin_interfaces.msg import Time
from geometry_msgs.msg import TransformStamped

from fhmr_ros.body.person_ids import PERSON_FRAME_PREFIX
from fhmr_ros.body.skeleton import BODY_JOINT_NAMES
from fhmr_ros.geometry.rotations import matrix_to_quaternion

LEFT_HIP, RIGHT_HIP = 1, 2
MIN_HIP_WIDTH = 1e-3  # m: a shorter horizontal hip vector leaves the heading undefined
_UP = np.array([0.0, 0.0, 1.0])


def is_person_frame(frame: str) -> bool:
    """A person's frame or one of their joint frames (what this node publishes on /tf)."""
    return frame.startswith(PERSON_FRAME_PREFIX)


def transform_msg(T: np.ndarray, stamp: Time, parent: str, child: str) -> TransformStamped:
    """T_parent_child (4, 4) -> geometry_msgs/TransformStamped (parent -> child)."""
    T = np.asarray(T, np.float64)
    msg = TransformStamped()
    msg.header.stamp = stamp
    msg.header.frame_id = parent
    msg.child_frame_id = child
    tr, rot = msg.transform.translation, msg.transform.rotation
    tr.x, tr.y, tr.z = (float(v) for v in T[:3, 3])
    q = matrix_to_quaternion(torch.from_numpy(np.ascontiguousarray(T[:3, :3]))).numpy()
    rot.x, rot.y, rot.z, rot.w = (float(v) for v in q)
    return msg


def body_frame(joints_world: np.ndarray, previous: np.ndarray | None = None) -> np.ndarray:
    """T_world_body (4, 4) from the world-frame body joints (22, 3) (see the module
    docstring). When the hips are (nearly) vertically aligned the heading is undefined: it
    is taken from ``previous`` (the last T_world_body (4, 4)) or is the world x axis."""
    joints_world = np.asarray(joints_world, np.float64)       # (22, 3)
    left = joints_world[LEFT_HIP] - joints_world[RIGHT_HIP]   # (3,)
    forward = np.cross(np.array([left[0], left[1], 0.0]), _UP)  # (3,), horizontal
    norm = np.linalg.norm(forward)
    T = np.eye(4)
    if norm >= MIN_HIP_WIDTH:
        x = forward / norm
        T[:3, :3] = np.stack([x, np.cross(_UP, x), _UP], axis=1)
    elif previous is not None:
        T[:3, :3] = np.asarray(previous)[:3, :3]
    T[:3, 3] = 0.5 * (joints_world[LEFT_HIP] + joints_world[RIGHT_HIP])
    return T


def joint_frames(joints_world: np.ndarray, body_T: np.ndarray, body_id: str,
                 names: Sequence[str] = BODY_JOINT_NAMES) -> list[tuple[str, np.ndarray]]:
    """One frame per joint as a child of the body frame: [(f"{body_id}_{name}", T_body_joint
    (4, 4))], identity rotation and translation R_wb^T (p_joint - t_wb)."""
    R, t = body_T[:3, :3], body_T[:3, 3]
    local = (np.asarray(joints_world, np.float64) - t) @ R   # (22, 3)
    frames = []
    for name, p in zip(names, local):
        T = np.eye(4)
        T[:3, 3] = p
        frames.append((f"{body_id}_{name}", T))
    return frames


def tf_message(transforms: list[TransformStamped]):
    """tf2_msgs/TFMessage holding ``transforms`` (for /tf). tf2_msgs is imported here, so
    the rest of the module works without it."""
    try:
        from tf2_msgs.msg import TFMessage
    except ImportError as e:
        raise ImportError("tf2_msgs is not installed: source a ROS 2 install that has it, "
                          "or build the stand-in in scripts/ros_shims (scripts/setup_env.sh)"
                          ) from e
    return TFMessage(transforms=list(transforms))
