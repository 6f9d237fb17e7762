"""Every message one released image produces — ~/humans, ~/trajectories, /tf, ~/markers,
~/debug_image, ROS4HRI's /humans/bodies/... and the live G1's ~/g1/... — built once,
whoever sends them: the node publishes them, fhmr-bag records them with the image's stamp.
Each comes keyed by its output's name (OUTPUT_TOPICS) or, for the per-body topics, by its
topic."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from std_msgs.msg import Header

from fhmr_ros.body.body_model import BodyModel
from fhmr_ros.body.decimated_mesh import DecimatedBody
from fhmr_ros.export.g1_followers import G1Followers
from fhmr_ros.export.humanoid_retarget import g1_joint_names
from fhmr_ros.streaming.frame_assembler import ImageFrame
from fhmr_ros.streaming.settings import NodeSettings
from fhmr_ros.visualization.overlay import RenderedPerson, render_people

from .g1_messages import g1_joint_state_msg, g1_topic
from .hri_messages import TRACKED_TOPIC, body_messages, tracked_msg
from .human_outputs import HumanOutputs
from .image_conversion import bgr_to_image_msg
from .markers import MarkerPerson, delete_all_markers, human_markers
from .messages import trajectory_array_msg
from .odometry import sec_to_stamp
from fhmr_ros.body.person_ids import person_frame

from .tf_frames import body_frame, joint_frames, tf_message, transform_msg

# each output's topic (relative to the node, "~/", except /tf)
OUTPUT_TOPICS = {"humans": "~/humans", "trajectories": "~/trajectories", "tf": "/tf",
                 "markers": "~/markers", "debug_image": "~/debug_image"}
DEFAULT_CAMERA_FRAME = "camera_optical_frame"


class OutputMessages:
    def __init__(self, cfg: NodeSettings, keypoint_format: str, body: BodyModel,
                 mesh: DecimatedBody | None) -> None:
        self.cfg = cfg
        self.outputs = HumanOutputs(keypoint_format, cfg.trajectory_length)
        self.body = body
        self.mesh = mesh
        self.g1: G1Followers | None = None          # made when publish_g1 is first on

    def camera_frame(self, frame: ImageFrame) -> str:
        """The ``camera_frame`` parameter, else the image's own frame_id."""
        return self.cfg.camera_frame or frame.frame_id or DEFAULT_CAMERA_FRAME

    def frame_messages(self, frame: ImageFrame, image: np.ndarray | None,
                       wanted: Callable[[str], bool]) -> list[tuple[str, object]]:
        """(output, message) pairs of one image, in publishing order; ``wanted(output)``
        says whether a costly optional output has a reader: the markers, and the trajectories
        (every person's whole history: ~12 ms to serialise for 6 people x 300 samples)."""
        cfg = self.cfg
        stamp = sec_to_stamp(frame.stamp)
        camera_frame = self.camera_frame(frame)
        out: list[tuple[str, object]] = [
            ("humans", self.outputs.humans_msg(frame, camera_frame, cfg.world_frame))]
        if wanted("trajectories"):          # kept either way: a new reader gets it whole
            out.append(("trajectories", trajectory_array_msg(
                {tid: list(s) for tid, s in self.outputs.trajectories.items()}, stamp,
                cfg.world_frame)))
        results = [frame.results[t] for t in sorted(frame.results)]
        bodies = ({r.track_id: body_frame(r.joints_world) for r in results}
                  if cfg.publish_tf or cfg.publish_hri else {})   # T_world_body (4, 4)
        if cfg.publish_tf and results:
            transforms = []
            for r in results:
                T_body = bodies[r.track_id]
                transforms.append(transform_msg(T_body, stamp, cfg.world_frame,
                                                person_frame(r.track_id)))
                if cfg.publish_joint_frames:
                    transforms += [transform_msg(T, stamp, person_frame(r.track_id), child)
                                   for child, T in joint_frames(r.joints_world, T_body,
                                                                person_frame(r.track_id))]
            out.append(("tf", tf_message(transforms)))
        if cfg.publish_hri:
            out += self._hri_messages(frame, results, bodies, camera_frame)
        if cfg.publish_g1:
            out += self._g1_messages(frame, results)
        if cfg.publish_markers and wanted("markers"):
            out.append(("markers", human_markers(
                [self._marker_person(r) for r in results], cfg.world_frame, stamp,
                cfg.marker_lifetime_s, self.mesh.faces if self.mesh is not None else None)))
        if image is not None:
            people = [RenderedPerson(r.track_id, r.joints_camera, r.joint_source,
                                     keypoints=r.keypoints if r.observed else None)
                      for r in results]
            out.append(("debug_image", bgr_to_image_msg(
                render_people(image, people, frame.K, None), stamp, camera_frame)))
        return out

    def _hri_messages(self, frame: ImageFrame, results, bodies, camera_frame: str
                      ) -> list[tuple[str, object]]:
        """ROS4HRI's /humans/bodies/... messages (ros/hri_messages.py), keyed by topic."""
        stamp = sec_to_stamp(frame.stamp)
        world = Header(stamp=stamp, frame_id=self.cfg.world_frame)
        camera = Header(stamp=stamp, frame_id=camera_frame)
        out: list[tuple[str, object]] = [(TRACKED_TOPIC, tracked_msg(frame.results, world))]
        for r in results:
            out += body_messages(r, bodies[r.track_id], frame.expected.get(r.track_id, {}),
                                 self.outputs.fmt, frame.size, camera, world)
        return out

    def _g1_messages(self, frame: ImageFrame, results) -> list[tuple[str, object]]:
        """Each person's live G1 joint positions (ros/g1_messages.py), keyed by topic."""
        if self.g1 is None:
            self.g1 = G1Followers(self.body)
        header = Header(stamp=sec_to_stamp(frame.stamp))
        return [(g1_topic(r.track_id), g1_joint_state_msg(g1_joint_names(), self.g1.step(
                    r.track_id, r.joints_world, r.global_orient_world, r.body_pose, r.betas,
                    r.contact, frame.floor_z), header))
                for r in results]

    def _marker_person(self, r) -> MarkerPerson:
        vertices = None
        if self.mesh is not None:
            vertices = self.mesh.vertices_at(r.betas, r.global_orient_world, r.body_pose,
                                             r.pelvis_world).numpy()
        history = self.outputs.trajectories.get(r.track_id, ())
        trajectory = np.array([s.position for s in history]) if history else None
        return MarkerPerson(r.track_id, r.joints_world, r.joint_source, r.joint_uncertainty,
                            trajectory, vertices)

    def forget(self, live_tracks: set[int]) -> None:
        self.outputs.forget(live_tracks)
        if self.g1 is not None:
            self.g1.forget(live_tracks)

    def reset_messages(self, stamp: float) -> list[tuple[str, object]]:
        """Time went back: every person's trajectory is forgotten and RViz clears them."""
        self.outputs.clear()
        if not self.cfg.publish_markers:
            return []
        return [("markers", delete_all_markers(self.cfg.world_frame, sec_to_stamp(stamp)))]
