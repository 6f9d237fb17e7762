"""ROS4HRI (REP-155) body messages of one released image: ``/humans/bodies/tracked``
(hri_msgs/IdsList) and, per tracked body ``<id>`` (the id of its ``body_<id>`` TF frame and
of ~/humans), ``/humans/bodies/<id>/``

- ``roi`` (hri_msgs/NormalizedRegionOfInterest2D): the tracker's box, divided by the image
  size; only while the body is detected in the image;
- ``skeleton2d`` (hri_msgs/Skeleton2D): the detector's keypoints in the message's 18-point
  OpenPose order (the neck is the shoulders' midpoint), normalised to [0, 1], confidence c
  (0 for a point the detector does not give); only while detected;
- ``position`` (geometry_msgs/PointStamped): the midpoint of the hips in the world frame,
  the origin of ``body_<id>``;
- ``velocity`` (geometry_msgs/TwistStamped): the pelvis' world velocity (m/s) and its
  angular velocity (rad/s; the yaw rate about world z), in the world frame;
- ``joint_states`` (sensor_msgs/JointState): the angles of ROS4HRI's human model
  (body/human_model_joints.py), joint names suffixed ``_<id>`` as the model's URDF names
  them, relative to ``body_<id>``.
"""

from __future__ import annotations

import numpy as np
from geometry_msgs.msg import PointStamped, TwistStamped
from hri_msgs.msg import IdsList, NormalizedRegionOfInterest2D, Skeleton2D
from sensor_msgs.msg import JointState
from std_msgs.msg import Header

from fhmr_ros.body.human_model_joints import JOINT_NAMES, head_rotation, human_model_angles
from fhmr_ros.body.keypoints import KeypointFormat
from fhmr_ros.body.person_ids import body_id, person_frame
from fhmr_ros.streaming.engine import FrameResult

HRI_PREFIX = "/humans/"
TRACKED_TOPIC = f"{HRI_PREFIX}bodies/tracked"
BODY_TOPICS = {"roi": NormalizedRegionOfInterest2D, "skeleton2d": Skeleton2D,
               "position": PointStamped, "velocity": TwistStamped, "joint_states": JointState}
# Skeleton2D's point names (its constants), in message order; NECK is not a detector point
SKELETON_POINTS = tuple(sorted(
    (name for name in dir(Skeleton2D) if name.isupper() and not name.startswith("_")
     and isinstance(getattr(Skeleton2D, name), int)), key=lambda n: getattr(Skeleton2D, n)))


def body_topic(bid: str, name: str) -> str:
    return f"/humans/bodies/{bid}/{name}"


def tracked_msg(track_ids, header) -> IdsList:
    return IdsList(header=header, ids=[body_id(t) for t in sorted(track_ids)])


def skeleton2d_msg(keypoints: np.ndarray, fmt: KeypointFormat, size: tuple[int, int],
                   header) -> Skeleton2D:
    """The detector's keypoints (K, 3) (pixels, confidence) as Skeleton2D (module doc)."""
    scale = np.array([1.0 / size[0], 1.0 / size[1], 1.0])
    index = {name: k for k, name in enumerate(fmt.names)}
    msg = Skeleton2D(header=header)
    for k, name in enumerate(SKELETON_POINTS):
        if name == "NECK":
            pair = [keypoints[index[s]] for s in ("left_shoulder", "right_shoulder")]
            point = np.array([*(0.5 * (pair[0][:2] + pair[1][:2])),
                              min(pair[0][2], pair[1][2])])
        elif name.lower() in index:
            point = np.asarray(keypoints[index[name.lower()]], np.float64)
        else:
            continue
        x, y, c = np.clip(point * scale, 0.0, 1.0)
        msg.skeleton[k].x, msg.skeleton[k].y, msg.skeleton[k].c = float(x), float(y), float(c)
    return msg


def roi_msg(bbox: np.ndarray, size: tuple[int, int], confidence: float,
            header) -> NormalizedRegionOfInterest2D:
    """The box (4,) xyxy in pixels as NormalizedRegionOfInterest2D."""
    x0, y0, x1, y1 = np.clip(np.asarray(bbox, np.float64) / (size * 2), 0.0, 1.0)
    return NormalizedRegionOfInterest2D(header=header, xmin=float(x0), ymin=float(y0),
                                        xmax=float(x1), ymax=float(y1),
                                        c=float(np.clip(confidence, 0.0, 1.0)))


def joint_state_msg(r: FrameResult, T_world_body: np.ndarray, bid: str, stamp) -> JointState:
    """ROS4HRI's human model angles of ``r``, relative to its body frame (4, 4)."""
    R, t = T_world_body[:3, :3], T_world_body[:3, 3]
    joints = (r.joints_world.astype(np.float64) - t) @ R                  # (22, 3)
    head = R.T @ head_rotation(r.global_orient_world, r.body_pose)
    return JointState(header=Header(stamp=stamp, frame_id=person_frame(r.track_id)),
                      name=[f"{n}_{bid}" for n in JOINT_NAMES],
                      position=[float(a) for a in human_model_angles(joints, head)])


def body_messages(r: FrameResult, T_world_body: np.ndarray, info: dict, fmt: KeypointFormat,
                  size: tuple[int, int], camera_header, world_header
                  ) -> list[tuple[str, object]]:
    """(topic, message) pairs of one body (module docstring); the image-space ones
    only where it was detected in an image of known ``size`` (width, height)."""
    bid = body_id(r.track_id)
    out = []
    box = np.asarray(info.get("bbox", np.full(4, np.nan)), np.float64)
    if r.observed and min(size) > 0 and np.isfinite(box).all():
        out += [(body_topic(bid, "roi"), roi_msg(box, size, info["score"], camera_header)),
                (body_topic(bid, "skeleton2d"),
                 skeleton2d_msg(r.keypoints, fmt, size, camera_header))]
    position = PointStamped(header=world_header)
    position.point.x, position.point.y, position.point.z = (float(v) for v in T_world_body[:3, 3])
    velocity = TwistStamped(header=world_header)
    lin, ang = velocity.twist.linear, velocity.twist.angular
    lin.x, lin.y, lin.z = (float(v) for v in r.velocity_world[:3])
    ang.x, ang.y, ang.z = (float(v) for v in r.velocity_world[3:])
    return out + [(body_topic(bid, "position"), position),
                  (body_topic(bid, "velocity"), velocity),
                  (body_topic(bid, "joint_states"),
                   joint_state_msg(r, T_world_body, bid, world_header.stamp))]
