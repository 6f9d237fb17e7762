"""Conversion of people's estimates and trajectories (numpy) into fhmr_ros messages."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point, Pose

from fhmr_ros.geometry.rotations import axis_angle_to_matrix, matrix_to_quaternion
from fhmr_ros.msg import HumanState, HumanTrajectory, HumanTrajectoryArray, HumanTrajectoryPoint
from fhmr_ros.body.person_ids import person_frame


def pose_msg(position: np.ndarray, rotation: np.ndarray) -> Pose:
    """Pose from a position (3,) and a rotation matrix (3, 3)."""
    p = Pose()
    p.position.x, p.position.y, p.position.z = (float(v) for v in position)
    q = matrix_to_quaternion(torch.as_tensor(rotation, dtype=torch.float64)).numpy()
    p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w = (float(v) for v in q)
    return p


def points_msg(points: np.ndarray) -> list[Point]:
    """(N, 3) array -> list of geometry_msgs/Point."""
    rows = np.asarray(points, np.float64).reshape(-1, 3).tolist()  # Python floats: fast
    return [Point(x=x, y=y, z=z) for x, y, z in rows]


def rotation(aa: np.ndarray) -> np.ndarray:
    """(3,) axis-angle -> (3, 3)."""
    return axis_angle_to_matrix(torch.as_tensor(aa, dtype=torch.float64)).numpy()


def human_state_msg(*, track_id: int, tracking_state: int, confidence: float,
                    bbox: np.ndarray, betas: np.ndarray, global_orient: np.ndarray,
                    body_pose: np.ndarray, transl: np.ndarray, joints_camera: np.ndarray,
                    joint_confidence: np.ndarray, joint_source: np.ndarray,
                    joint_uncertainty: np.ndarray, T_world_camera: np.ndarray | None = None,
                    joints_world: np.ndarray | None = None,
                    R_world_root: np.ndarray | None = None,
                    velocity_world: np.ndarray = np.zeros(6)) -> HumanState:
    """HumanState of one person. SMPL-X parameters and joints_camera (22, 3) are in the
    camera optical frame. The world placement is joints_world (22, 3) with the pelvis
    rotation R_world_root (3, 3) where given (the node's filtered world motion), else the
    camera one moved by T_world_camera (4, 4): J_w = R_wc J_c + t_wc, R_wr = R_wc R_cr.
    velocity_world (6,): linear (m/s), then angular (rad/s)."""
    R_root = rotation(global_orient)
    if (joints_world is None) != (R_world_root is None):
        raise ValueError("human_state_msg: give joints_world and R_world_root together")
    if joints_world is None:
        if T_world_camera is None:
            raise ValueError("human_state_msg needs T_world_camera, or joints_world and "
                             "R_world_root")
        R_wc, t_wc = T_world_camera[:3, :3], T_world_camera[:3, 3]
        joints_world, R_world_root = joints_camera @ R_wc.T + t_wc, R_wc @ R_root
    msg = HumanState()
    msg.id = person_frame(track_id)
    msg.track_id = int(track_id)
    msg.tracking_state = int(tracking_state)
    msg.confidence = float(confidence)
    msg.bbox = np.asarray(bbox, np.float32)
    msg.betas = np.asarray(betas, np.float32)
    msg.global_orient = np.asarray(global_orient, np.float32)
    msg.body_pose = np.asarray(body_pose, np.float32)
    msg.transl = np.asarray(transl, np.float32)
    msg.pelvis_pose_camera = pose_msg(joints_camera[0], R_root)
    msg.pelvis_pose_world = pose_msg(joints_world[0], R_world_root)
    lin, ang = msg.velocity_world.linear, msg.velocity_world.angular
    lin.x, lin.y, lin.z, ang.x, ang.y, ang.z = (float(v) for v in velocity_world)
    msg.joints_camera = points_msg(joints_camera)
    msg.joints_world = points_msg(joints_world)
    msg.joint_observation_confidence = np.asarray(joint_confidence, np.float32)
    msg.joint_source = np.asarray(joint_source, np.uint8).tolist()
    msg.joint_uncertainty = np.asarray(joint_uncertainty, np.float32)
    return msg


@dataclass
class TrajectorySample:
    """One world-frame trajectory sample of a person (metres, seconds, REP-103)."""

    stamp: Time                 # image stamp of the sample
    position: np.ndarray        # (3,) pelvis position
    rotation: np.ndarray        # (3, 3) SMPL-X root orientation, R_world_root
    linear_velocity: np.ndarray  # (3,) pelvis velocity, m/s
    contact: np.ndarray         # (4,) [0, 1] left foot, right foot, left hand, right hand
    angular_velocity: np.ndarray = field(default_factory=lambda: np.zeros(3))  # (3,) rad/s

    @functools.cached_property
    def message(self) -> HumanTrajectoryPoint:
        """This sample as a HumanTrajectoryPoint, built once (a trajectory is republished
        with every image, its samples are not)."""
        msg = HumanTrajectoryPoint()
        msg.stamp = self.stamp
        msg.pelvis_pose = pose_msg(self.position, self.rotation)
        lin, ang = msg.velocity.linear, msg.velocity.angular
        lin.x, lin.y, lin.z = (float(v) for v in self.linear_velocity)
        ang.x, ang.y, ang.z = (float(v) for v in self.angular_velocity)
        msg.contact = np.asarray(self.contact, np.float32)
        return msg


def trajectory_msg(track_id: int, samples: Sequence[TrajectorySample],
                   frame_id: str) -> HumanTrajectory:
    """HumanTrajectory of one person from its samples, oldest first; header.stamp is the
    newest sample's stamp (zero when there is none), frame_id the world frame."""
    msg = HumanTrajectory()
    msg.header.frame_id = frame_id
    if samples:
        msg.header.stamp = samples[-1].stamp
    msg.id = person_frame(track_id)
    msg.track_id = int(track_id)
    msg.points = [s.message for s in samples]
    return msg


def trajectory_array_msg(trajectories: Mapping[int, Sequence[TrajectorySample]],
                         stamp: Time, frame_id: str) -> HumanTrajectoryArray:
    """HumanTrajectoryArray from {track_id: samples oldest first} at ``stamp`` (the latest
    image stamp) in the world frame ``frame_id``."""
    msg = HumanTrajectoryArray()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.trajectories = [trajectory_msg(track_id, samples, frame_id)
                        for track_id, samples in trajectories.items()]
    return msg
