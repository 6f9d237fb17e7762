"""Stamps, poses and nav_msgs/Odometry <-> numpy.

A pose is a homogeneous transform T_parent_child (4, 4) mapping child-frame points into the
parent frame: p_parent = R p_child + t. Quaternions are (x, y, z, w) (geometry_msgs).
Odometry (REP-105): the pose of ``child_frame_id`` (the robot base) in ``header.frame_id``
(odom, z up); the twist is expressed in ``child_frame_id``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from builtin_interfaces.msg import Time
from geometry_msgs.msg import Pose
from nav_msgs.msg import Odometry

from fhmr_ros.geometry.rotations import quaternion_to_matrix
from fhmr_ros.ros.messages import pose_msg

_NS_PER_S = 1_000_000_000


class OdometryError(ValueError):
    """A pose or odometry message that cannot be used (the message says why)."""


def stamp_to_sec(t: Time) -> float:
    """builtin_interfaces/Time -> seconds: sec + nanosec 1e-9."""
    return t.sec + t.nanosec * 1e-9


def sec_to_stamp(s: float) -> Time:
    """Seconds -> builtin_interfaces/Time, rounded to the nearest nanosecond
    (0 <= nanosec < 1e9, also for negative times)."""
    sec, nanosec = divmod(round(s * _NS_PER_S), _NS_PER_S)
    return Time(sec=int(sec), nanosec=int(nanosec))


def pose_to_matrix(pose: Pose) -> np.ndarray:
    """geometry_msgs/Pose -> T (4, 4) float64; the quaternion is normalised. Raises
    OdometryError for a non-finite position or orientation or a zero quaternion."""
    p, o = pose.position, pose.orientation
    t = np.array([p.x, p.y, p.z], np.float64)           # (3,)
    q = np.array([o.x, o.y, o.z, o.w], np.float64)      # (4,)
    if not np.all(np.isfinite(t)):
        raise OdometryError(f"pose position is not finite: {t.tolist()}")
    if not np.all(np.isfinite(q)):
        raise OdometryError(f"pose orientation is not finite: {q.tolist()}")
    if np.linalg.norm(q) < 1e-9:
        raise OdometryError("pose orientation is a zero quaternion (x = y = z = w = 0)")
    T = np.eye(4)
    T[:3, :3] = quaternion_to_matrix(torch.from_numpy(q)).numpy()
    T[:3, 3] = t
    return T


def matrix_to_pose(T: np.ndarray) -> Pose:
    """T (4, 4) -> geometry_msgs/Pose (quaternion with w >= 0)."""
    T = np.asarray(T, np.float64)
    return pose_msg(T[:3, 3], T[:3, :3])


def odometry_pose(msg: Odometry) -> tuple[float, np.ndarray]:
    """nav_msgs/Odometry -> (stamp in seconds, T_world_base (4, 4)), world =
    ``header.frame_id``, base = ``child_frame_id``. A zero stamp is allowed. Raises
    OdometryError (naming both frames) for a non-finite pose or a zero quaternion."""
    try:
        T = pose_to_matrix(msg.pose.pose)
    except OdometryError as e:
        raise OdometryError(f"odometry of '{msg.child_frame_id}' in "
                            f"'{msg.header.frame_id}': {e}") from e
    return stamp_to_sec(msg.header.stamp), T


def odometry_twist(msg: Odometry) -> np.ndarray | None:
    """The twist (6,): linear (m/s) then angular (rad/s) velocity of ``child_frame_id`` in
    its own frame; None when it is not finite (the pose is still usable)."""
    lin, ang = msg.twist.twist.linear, msg.twist.twist.angular
    twist = np.array([lin.x, lin.y, lin.z, ang.x, ang.y, ang.z], np.float64)
    return twist if np.isfinite(twist).all() else None


def odometry_msg(stamp: Time, T: np.ndarray, frame_id: str, child_frame_id: str,
                 linear_velocity: Sequence[float] = (0.0, 0.0, 0.0),
                 angular_velocity: Sequence[float] = (0.0, 0.0, 0.0)) -> Odometry:
    """nav_msgs/Odometry with pose T = T_frame_child (4, 4) and the twist (m/s, rad/s)
    expressed in ``child_frame_id``; covariances are left at zero (unknown)."""
    msg = Odometry()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.child_frame_id = child_frame_id
    msg.pose.pose = matrix_to_pose(T)
    lin, ang = msg.twist.twist.linear, msg.twist.twist.angular
    lin.x, lin.y, lin.z = (float(v) for v in linear_velocity)
    ang.x, ang.y, ang.z = (float(v) for v in angular_velocity)
    return msg
