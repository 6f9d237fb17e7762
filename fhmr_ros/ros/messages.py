"""Conversion of one person's estimate (numpy) into fhmr_ros messages."""

from __future__ import annotations

import numpy as np
import torch
from geometry_msgs.msg import Point, Pose

from fhmr_ros.geometry.rotations import axis_angle_to_matrix, matrix_to_quaternion
from fhmr_ros.msg import HumanState


def pose_msg(position: np.ndarray, rotation: np.ndarray) -> Pose:
    """Pose from a position (3,) and a rotation matrix (3, 3)."""
    p = Pose()
    p.position.x, p.position.y, p.position.z = (float(v) for v in position)
    q = matrix_to_quaternion(torch.as_tensor(rotation, dtype=torch.float64)).numpy()
    p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w = (float(v) for v in q)
    return p


def points_msg(points: np.ndarray) -> list[Point]:
    """(N, 3) array -> list of geometry_msgs/Point."""
    return [Point(x=float(x), y=float(y), z=float(z)) for x, y, z in np.asarray(points)]


def human_state_msg(*, track_id: int, tracking_state: int, confidence: float,
                    bbox: np.ndarray, betas: np.ndarray, global_orient: np.ndarray,
                    body_pose: np.ndarray, transl: np.ndarray, joints_camera: np.ndarray,
                    T_world_camera: np.ndarray, joint_confidence: np.ndarray,
                    joint_source: np.ndarray, joint_uncertainty: np.ndarray,
                    linear_velocity_world: np.ndarray = np.zeros(3),
                    angular_velocity_world: np.ndarray = np.zeros(3)) -> HumanState:
    """HumanState of one person. SMPL-X parameters and joints_camera (22, 3) are in the
    camera optical frame; T_world_camera (4, 4) maps camera points into the world frame."""
    R_wc, t_wc = T_world_camera[:3, :3], T_world_camera[:3, 3]
    R_root = axis_angle_to_matrix(torch.as_tensor(global_orient, dtype=torch.float64)).numpy()
    joints_world = joints_camera @ R_wc.T + t_wc
    msg = HumanState()
    msg.id = f"body_{track_id}"
    msg.track_id = int(track_id)
    msg.tracking_state = int(tracking_state)
    msg.confidence = float(confidence)
    msg.bbox = np.asarray(bbox, np.float32)
    msg.betas = np.asarray(betas, np.float32)
    msg.global_orient = np.asarray(global_orient, np.float32)
    msg.body_pose = np.asarray(body_pose, np.float32)
    msg.transl = np.asarray(transl, np.float32)
    msg.pelvis_pose_camera = pose_msg(joints_camera[0], R_root)
    msg.pelvis_pose_world = pose_msg(joints_world[0], R_wc @ R_root)
    msg.velocity_world.linear.x, msg.velocity_world.linear.y, msg.velocity_world.linear.z = (
        float(v) for v in linear_velocity_world)
    msg.velocity_world.angular.x, msg.velocity_world.angular.y, msg.velocity_world.angular.z = (
        float(v) for v in angular_velocity_world)
    msg.joints_camera = points_msg(joints_camera)
    msg.joints_world = points_msg(joints_world)
    msg.joint_observation_confidence = np.asarray(joint_confidence, np.float32)
    msg.joint_source = np.asarray(joint_source, np.uint8).tolist()
    msg.joint_uncertainty = np.asarray(joint_uncertainty, np.float32)
    return msg
