"""RViz markers of tracked people (visualization_msgs/MarkerArray) in the world frame.

Namespaces, one marker per person with id = track_id unless noted:
  skeleton     LINE_LIST, one segment per limb (parent -> child), both ends coloured by the
               child joint's source (ANCHOR_BGR: Stage 1, COMPLETED_BGR: Stage 2)
  joints       SPHERE_LIST of the 22 joints, track colour
  mesh         TRIANGLE_LIST of the decimated body mesh, track colour, translucent
  id           TEXT_VIEW_FACING "body_<id>" above the head (joint 15)
  trajectory   LINE_STRIP of the pelvis path, track colour
  uncertainty  one translucent SPHERE per completed joint, diameter 2 x uncertainty (m);
               id = track_id * 22 + joint
Every marker has a ``lifetime``, so the markers of people no longer published disappear.
Colours: BGR 0..255 (fhmr_ros.visualization.colors) -> RGBA 0..1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from builtin_interfaces.msg import Duration, Time
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from fhmr_ros.body.skeleton import BODY_PARENTS, NUM_BODY_JOINTS
from fhmr_ros.msg import HumanState
from fhmr_ros.ros.messages import points_msg
from fhmr_ros.body.person_ids import person_frame
from fhmr_ros.visualization.colors import ANCHOR_BGR, COMPLETED_BGR, track_color

HEAD = 15
LINE_WIDTH = 0.02       # m, skeleton limbs
JOINT_DIAMETER = 0.05   # m
TRAJECTORY_WIDTH = 0.03  # m
TEXT_HEIGHT = 0.15      # m, height of a capital letter
TEXT_LIFT = 0.3         # m, text above the head joint
MESH_ALPHA = 0.5
UNCERTAINTY_ALPHA = 0.25


@dataclass
class MarkerPerson:
    """What the markers of one person are drawn from (world frame, metres)."""

    track_id: int
    joints_world: np.ndarray                    # (22, 3)
    joint_source: np.ndarray                    # (22,) uint8, HumanState.JOINT_SOURCE_*
    joint_uncertainty: np.ndarray | None = None  # (22,) m
    trajectory_world: np.ndarray | None = None   # (N, 3) pelvis path, oldest first
    vertices_world: np.ndarray | None = None     # (M, 3) decimated mesh vertices


def _rgba(bgr: Sequence[int], alpha: float = 1.0) -> ColorRGBA:
    b, g, r = bgr
    return ColorRGBA(r=r / 255.0, g=g / 255.0, b=b / 255.0, a=float(alpha))


def _duration(seconds: float) -> Duration:
    sec, nanosec = divmod(round(seconds * 1e9), 1_000_000_000)
    return Duration(sec=int(sec), nanosec=int(nanosec))


def _marker(ns: str, marker_id: int, marker_type: int, frame_id: str, stamp: Time,
            lifetime: Duration, color: ColorRGBA, scale: float) -> Marker:
    m = Marker(ns=ns, id=int(marker_id), type=marker_type, action=Marker.ADD,
               lifetime=lifetime, frame_locked=False, color=color)
    m.header.frame_id = frame_id
    m.header.stamp = stamp
    m.pose.orientation.w = 1.0
    m.scale.x = m.scale.y = m.scale.z = float(scale)
    return m


def _person_markers(p: MarkerPerson, frame_id: str, stamp: Time, lifetime: Duration,
                    mesh_faces: np.ndarray | None) -> list[Marker]:
    args = (frame_id, stamp, lifetime)
    color = _rgba(track_color(p.track_id))
    joints = np.asarray(p.joints_world, np.float64)                  # (22, 3)
    completed = np.asarray(p.joint_source) == HumanState.JOINT_SOURCE_COMPLETED  # (22,)
    source_colors = [_rgba(COMPLETED_BGR if c else ANCHOR_BGR) for c in completed]

    limbs = [(parent, child) for child, parent in enumerate(BODY_PARENTS) if parent >= 0]
    skeleton = _marker("skeleton", p.track_id, Marker.LINE_LIST, *args, color, LINE_WIDTH)
    skeleton.points = points_msg(joints[np.array(limbs).ravel()])  # (2 x 21, 3)
    skeleton.colors = [source_colors[child] for _, child in limbs for _ in range(2)]

    spheres = _marker("joints", p.track_id, Marker.SPHERE_LIST, *args, color, JOINT_DIAMETER)
    spheres.points = points_msg(joints)

    text = _marker("id", p.track_id, Marker.TEXT_VIEW_FACING, *args, color, TEXT_HEIGHT)
    text.text = person_frame(p.track_id)
    text.pose.position.x, text.pose.position.y = float(joints[HEAD, 0]), float(joints[HEAD, 1])
    text.pose.position.z = float(joints[HEAD, 2]) + TEXT_LIFT
    out = [skeleton, spheres, text]

    if mesh_faces is not None and p.vertices_world is not None:
        triangles = _marker("mesh", p.track_id, Marker.TRIANGLE_LIST, *args,
                            _rgba(track_color(p.track_id), MESH_ALPHA), 1.0)
        corners = np.asarray(p.vertices_world)[mesh_faces]            # (G, 3, 3)
        triangles.points = points_msg(corners.reshape(-1, 3))         # (3G, 3)
        out.append(triangles)
    if p.trajectory_world is not None and len(p.trajectory_world) >= 2:
        path = _marker("trajectory", p.track_id, Marker.LINE_STRIP, *args, color,
                       TRAJECTORY_WIDTH)
        path.points = points_msg(p.trajectory_world)
        out.append(path)
    if p.joint_uncertainty is not None:
        spread = np.asarray(p.joint_uncertainty, np.float64)          # (22,)
        for j in np.flatnonzero(completed & (spread > 0)):
            sphere = _marker("uncertainty", p.track_id * NUM_BODY_JOINTS + j, Marker.SPHERE,
                             *args, _rgba(COMPLETED_BGR, UNCERTAINTY_ALPHA), 2.0 * spread[j])
            sphere.pose.position.x, sphere.pose.position.y, sphere.pose.position.z = (
                float(v) for v in joints[j])
            out.append(sphere)
    return out


def human_markers(people: Sequence[MarkerPerson], frame_id: str, stamp: Time,
                  lifetime_s: float, mesh_faces: np.ndarray | None = None) -> MarkerArray:
    """MarkerArray of all ``people`` (see the module docstring) in ``frame_id``. The mesh is
    drawn only with ``mesh_faces`` (G, 3), triangles into each person's decimated
    ``vertices_world`` (fhmr_ros.body.decimated_mesh); the trajectory only with at least
    two samples."""
    lifetime = _duration(lifetime_s)
    return MarkerArray(markers=[
        m for p in people for m in _person_markers(p, frame_id, stamp, lifetime, mesh_faces)])


def delete_all_markers(frame_id: str, stamp: Time) -> MarkerArray:
    """One DELETEALL marker: clears every marker of this publisher (e.g. on a reset)."""
    m = Marker(action=Marker.DELETEALL)
    m.header.frame_id = frame_id
    m.header.stamp = stamp
    return MarkerArray(markers=[m])
