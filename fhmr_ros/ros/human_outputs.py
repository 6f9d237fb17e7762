"""The node's per-image outputs from the streaming engine's results: HumanStateArray and
each track's world trajectory samples (the world velocity and yaw rate come with the
results: streaming/engine.py)."""

from __future__ import annotations

from collections import deque

import numpy as np
import torch

from fhmr_ros.body.keypoints import body_joint_confidence, keypoint_format
from fhmr_ros.msg import HumanState, HumanStateArray
from fhmr_ros.streaming.engine import FrameResult
from fhmr_ros.streaming.frame_assembler import ImageFrame

from .messages import TrajectorySample, human_state_msg
from .odometry import sec_to_stamp

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

    def human_state(self, r: FrameResult, info: dict) -> HumanState:
        conf = body_joint_confidence(self.fmt, torch.from_numpy(r.keypoints[:, 2].copy()))
        return human_state_msg(
            track_id=r.track_id, tracking_state=TRACKING_STATES[info["state"]],
            confidence=info["score"], bbox=info["bbox"], betas=r.betas,
            global_orient=r.global_orient_camera, body_pose=r.body_pose,
            transl=r.transl_camera, joints_camera=r.joints_camera,
            joint_confidence=conf.numpy(), joint_source=r.joint_source,
            joint_uncertainty=(np.zeros(0) if r.joint_uncertainty is None
                               else r.joint_uncertainty),
            joints_world=r.joints_world, R_world_root=r.R_world_root.astype(np.float64),
            velocity_world=r.velocity_world)

    def humans_msg(self, frame: ImageFrame, camera_frame: str, world_frame: str
                   ) -> HumanStateArray:
        """The image's HumanStateArray; records each person's trajectory sample."""
        out = HumanStateArray()
        out.header.stamp = sec_to_stamp(frame.stamp)
        out.header.frame_id = camera_frame
        out.world_frame_id = world_frame
        for tid in sorted(frame.results):
            r = frame.results[tid]
            out.humans.append(self.human_state(r, frame.expected[tid]))
            history = self.trajectories.setdefault(
                tid, deque(maxlen=self.trajectory_length))
            history.append(TrajectorySample(
                sec_to_stamp(frame.stamp), r.pelvis_world.astype(np.float64),
                r.R_world_root.astype(np.float64), r.velocity_world[:3],
                r.contact.astype(np.float64), r.velocity_world[3:]))
        return out
