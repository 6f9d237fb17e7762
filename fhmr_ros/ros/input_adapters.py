"""ROS messages into the ROS-free runtime: images, camera_info, odometry and TF, each
checked and converted here; what is refused is counted (and logged, throttled) by the
runtime's counters. Used by the node's callbacks and by fhmr-bag."""

from __future__ import annotations

from nav_msgs.msg import Odometry
from sensor_msgs.msg import CameraInfo

from ..streaming.camera_pose import pose_from_xyz_quaternion
from ..streaming.stream_runtime import StreamRuntime
from .camera_info import CameraInfoError, distortion_from_camera_info, intrinsics_from_camera_info
from .odometry import OdometryError, odometry_pose, odometry_twist, stamp_to_sec
from .tf_frames import is_person_frame

TF_TOPICS = {"/tf": False, "/tf_static": True}     # topic -> its transforms are static


def feed_image(runtime: StreamRuntime, msg, wait: bool = False) -> bool:
    """An Image or CompressedImage message into the runtime (decoded by its perception
    thread); ``wait``: block while the queue is full instead of dropping."""
    return runtime.add_image(stamp_to_sec(msg.header.stamp), msg.header.frame_id, msg, wait)


def feed_camera_info(runtime: StreamRuntime, msg: CameraInfo) -> bool:
    """Intrinsics and lens distortion from camera_info; False when refused (counted)."""
    try:
        K = intrinsics_from_camera_info(msg)
        distortion = distortion_from_camera_info(msg)
    except CameraInfoError as e:
        runtime.counters.warn("bad_camera_info", f"camera_info refused: {e}")
        return False
    runtime.set_camera_info(K, (int(msg.width), int(msg.height)), msg.header.frame_id,
                            distortion)
    return True


def feed_odometry(runtime: StreamRuntime, msg: Odometry, world_frame: str,
                  base_frame: str) -> bool:
    """One odometry pose with its twist (which bridges short gaps to later images); False
    when refused (counted). Odometry in another frame than ``world_frame``, or of another
    child frame than ``base_frame``, is used but counted: the world outputs would be
    labelled wrongly, or the extrinsics taken from the wrong frame."""
    try:
        stamp, T = odometry_pose(msg)
    except OdometryError as e:
        runtime.counters.warn("bad_odometry", f"odometry refused: {e}")
        return False
    if msg.header.frame_id and msg.header.frame_id != world_frame:
        runtime.counters.warn("odometry_frame_mismatch", f"odometry is in frame "
                              f"{msg.header.frame_id!r}, but world outputs are labelled "
                              f"{world_frame!r}: set the world_frame parameter to it")
    if msg.child_frame_id and msg.child_frame_id != base_frame:
        runtime.counters.warn("odometry_child_frame_mismatch", f"odometry moves frame "
                              f"{msg.child_frame_id!r}, but the camera extrinsics are from "
                              f"{base_frame!r}: set the base_frame parameter to it")
    return runtime.add_odometry(stamp, T, odometry_twist(msg))


def feed_transforms(runtime: StreamRuntime, msg, static: bool) -> int:
    """A tf2_msgs/TFMessage from /tf (``static`` False) or /tf_static into the runtime's
    transform tree; returns how many were taken (the refused ones are counted). The node's
    own person frames (body_<id>, on /tf too) are skipped."""
    taken = 0
    for t in msg.transforms:
        if is_person_frame(t.child_frame_id):
            continue
        tr, q = t.transform.translation, t.transform.rotation
        try:
            T = pose_from_xyz_quaternion([tr.x, tr.y, tr.z, q.x, q.y, q.z, q.w])
        except ValueError as e:
            runtime.counters.warn("bad_transforms", f"transform {t.header.frame_id!r} -> "
                                  f"{t.child_frame_id!r} refused: {e}")
            continue
        taken += runtime.add_transform(t.header.frame_id, t.child_frame_id,
                                       stamp_to_sec(t.header.stamp), T, static)
    return taken
