"""The node's per-image outputs from the streaming engine's results: HumanStateArray,
trajectory samples, and the per-track bookkeeping (world velocity, yaw rate) they need.

World velocity of the pelvis: v_world = H(R_world_root) v_heading, H the heading rotation
(the model predicts v in the body's heading frame). Yaw rate: the change of heading yaw
between a track's consecutive published samples over their time difference.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import torch

from fhmr_ros.body.keypoints import body_joint_confidence, keypoint_format
from fhmr_ros.geometry.gravity_view import heading_rotation, heading_yaw
from fhmr_ros.msg import HumanState, HumanStateArray
from fhmr_ros.streaming.engine import FrameResult
from fhmr_ros.streaming.frame_assembler import ImageFrame

from .messages import TrajectorySample, human_state_msg, rotation
from .odometry import sec_to_stamp, stamp_to_sec

TRACKING_STATES = {"tentative": HumanState.TRACKING_TENTATIVE,
                   "confirmed": HumanState.TRACKING_CONFIRMED,
                   "lost": HumanState.TRACKING_LOST}


class HumanOutputs:
    """Builds the messages of each released image and keeps each track's world trajectory."""

    def __init__(self, keypoint_format_name: str, trajectory_length: int) -> None:
        self.fmt = keypoint_format(keypoint_format_name)
        self.trajectory_length = trajectory_length
        self.trajectories: dict[int, deque[TrajectorySample]] = {}

    def clear(self) -> None:
        self.trajectories.clear()

    def forget(self, live_tracks: set[int]) -> None:
        """Drop the trajectories of tracks that ended."""
        for tid in [t for t in self.trajectories if t not in live_tracks]:
            del self.trajectories[tid]

    def _velocity(self, r: FrameResult, R_wr: np.ndarray) -> np.ndarray:
        H = heading_rotation(torch.as_tensor(R_wr, dtype=torch.float64)).numpy()
        linear = H @ r.root_velocity.astype(np.float64)
        yaw_rate = 0.0
        history = self.trajectories.get(r.track_id)
        if history:
            prev = history[-1]
            dt = r.stamp - stamp_to_sec(prev.stamp)
            if dt > 1e-6:
                yaw = lambda R: float(heading_yaw(torch.as_tensor(R)))  # noqa: E731
                d = yaw(R_wr) - yaw(prev.rotation)
                yaw_rate = math.atan2(math.sin(d), math.cos(d)) / dt
        return np.concatenate([linear, [0.0, 0.0, yaw_rate]])

    def human_state(self, r: FrameResult, info: dict, velocity: np.ndarray,
                    R_wr: np.ndarray) -> HumanState:
        conf = body_joint_confidence(self.fmt, torch.from_numpy(r.keypoints[:, 2].copy()))
        return human_state_msg(
            track_id=r.track_id, tracking_state=TRACKING_STATES[info["state"]],
            confidence=info["score"], bbox=info["bbox"], betas=r.betas,
            global_orient=r.global_orient_camera, body_pose=r.body_pose,
            transl=r.transl_camera, joints_camera=r.joints_camera,
            joint_confidence=conf.numpy(), joint_source=r.joint_source,
            joint_uncertainty=(np.zeros(0) if r.joint_uncertainty is None
                               else r.joint_uncertainty),
            joints_world=r.joints_world, R_world_root=R_wr, velocity_world=velocity)

    def humans_msg(self, frame: ImageFrame, camera_frame: str, world_frame: str
                   ) -> HumanStateArray:
        """The image's HumanStateArray; records each person's trajectory sample."""
        out = HumanStateArray()
        out.header.stamp = sec_to_stamp(frame.stamp)
        out.header.frame_id = camera_frame
        out.world_frame_id = world_frame
        for tid in sorted(frame.results):
            r = frame.results[tid]
            R_wr = rotation(r.global_orient_world)
            velocity = self._velocity(r, R_wr)
            out.humans.append(self.human_state(r, frame.expected[tid], velocity, R_wr))
            history = self.trajectories.setdefault(
                tid, deque(maxlen=self.trajectory_length))
            history.append(TrajectorySample(
                sec_to_stamp(frame.stamp), r.pelvis_world.astype(np.float64), R_wr,
                velocity[:3], r.contact.astype(np.float64), velocity[3:]))
        return out
