"""Where the camera was at an image stamp: odometry interpolated to the stamp (never "the
latest pose") composed with the camera extrinsics, or a fixed levelled pose for a static
camera.

    T_world_camera(t) = T_world_base(t) · T_base_camera(t)

T_world_base(t) interpolates the two odometry poses around t (slerp + lerp). T_base_camera
is fixed when given (the ``camera_extrinsics`` parameter); otherwise it is looked up from
base frame to the image's frame in the transforms received on /tf_static and /tf
(TransformTree: static links, and stamped ones interpolated at t, e.g. a pan-tilt head).
An image whose odometry or transforms have not reached its stamp must wait for them
(MissingInput, a NotYetAvailable); one older than the buffers cannot be placed
(CameraPoseError); both say what is missing.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..geometry.gravity_view import static_camera_pose
from ..geometry.rotations import axis_angle_to_matrix, quaternion_to_matrix_np
from .pose_buffer import PoseBuffer
from .transform_tree import NotYetAvailable, TransformTree


FORWARD_CAMERA_MOUNT = (0.0, 0.0, 1.0, -0.5, 0.5, -0.5, 0.5)  # base -> optical x y z qx..qw:
# a camera 1 m above the base looking along its +x (optical z forward, x right, y down)


class CameraPoseError(LookupError):
    """The camera pose at a stamp cannot be given; ``what`` is missing: "odometry" or
    "extrinsics"."""

    def __init__(self, what: str, message: str) -> None:
        super().__init__(message)
        self.what = what


class MissingInput(CameraPoseError, NotYetAvailable):
    """... not yet: it may still arrive."""


def static_world_camera(pitch_deg: float, height_m: float) -> np.ndarray:
    """(4, 4) pose of a static camera in the world it defines: the camera frame levelled by
    gravity (z up), tilted down by ``pitch_deg``, ``height_m`` above z = 0. Gravity in the
    optical frame (x right, y down, z forward) of a camera pitched down by θ is
    (0, cos θ, sin θ)."""
    theta = math.radians(pitch_deg)
    T = static_camera_pose(np.array([0.0, math.cos(theta), math.sin(theta)])).astype(np.float64)
    T[2, 3] = height_m
    return T


def pose_from_xyz_quaternion(values) -> np.ndarray:
    """[x, y, z, qx, qy, qz, qw] -> (4, 4); the quaternion is normalised."""
    v = np.asarray(values, dtype=np.float64)
    if v.shape != (7,) or not np.isfinite(v).all() or np.linalg.norm(v[3:]) < 1e-9:
        raise ValueError(f"a pose needs [x, y, z, qx, qy, qz, qw] with a non-zero "
                         f"quaternion, got {list(values)}")
    T = np.eye(4)
    T[:3, :3] = quaternion_to_matrix_np(v[3:])
    T[:3, 3] = v[:3]
    return T


class CameraPoses:
    """Camera poses at image stamps from odometry and extrinsics, or the static pose
    without odometry. ``T_base_camera`` None: extrinsics from the transforms added with
    ``add_transform``, from ``base_frame`` to the image's frame. The floor: z = 0 of
    ``floor_frame`` where the transforms have it, else ``floor_z`` in the world frame."""

    def __init__(self, T_base_camera: np.ndarray | None, static_T_world_camera: np.ndarray,
                 use_odometry: bool, base_frame: str = "base_link",
                 max_age_s: float = 10.0, floor_frame: str = "", floor_z: float = 0.0
                 ) -> None:
        self.T_base_camera = T_base_camera
        self.static = static_T_world_camera
        self.use_odometry = use_odometry
        self.base_frame = base_frame
        self.floor_frame = floor_frame
        self.floor_z = floor_z
        self.floor_source = f"world z = {floor_z:g} m (floor_height_m)"
        self._floor_from_tf: float | None = None
        self.odometry = PoseBuffer(max_age_s=max_age_s)
        self.newest_twist: np.ndarray | None = None          # (6,) of the newest odometry
        self.transforms = TransformTree(max_age_s=max_age_s)

    @property
    def needs_transforms(self) -> bool:
        """Extrinsics (or the floor frame) come from /tf_static and /tf."""
        return self.use_odometry and (self.T_base_camera is None or bool(self.floor_frame))

    def floor_height(self, stamp: float) -> float:
        """The floor's world z at ``stamp``: the origin of ``floor_frame``,
        T_world_base(stamp) · T_base_floor, where odometry and the transforms have it (REP-120:
        base_footprint lies on the floor under the base), else the last height found so
        (an image placed beyond the odometry), else ``floor_z``; ``floor_source`` says
        which."""
        if self.use_odometry and self.floor_frame:
            try:
                T_base_floor = (np.eye(4) if self.floor_frame == self.base_frame else
                                self.transforms.lookup(self.base_frame, self.floor_frame, stamp))
                self._floor_from_tf = float((self.odometry.at(stamp) @ T_base_floor)[2, 3])
                self.floor_source = f"{self.floor_frame} (TF)"
            except LookupError:
                pass
        return self.floor_z if self._floor_from_tf is None else self._floor_from_tf

    def add_odometry(self, stamp: float, T_world_base: np.ndarray,
                     twist: np.ndarray | None = None) -> None:
        """Raises ValueError for a stamp older than the newest (the caller counts it).
        ``twist`` (6,): the base's velocity in its own frame, linear then angular."""
        self.odometry.add(stamp, T_world_base)
        self.newest_twist = None if twist is None else np.asarray(twist, np.float64)

    def extrapolated(self, stamp: float, frame_id: str, max_s: float) -> np.ndarray | None:
        """(4, 4) T_world_camera at a ``stamp`` up to ``max_s`` after the newest odometry,
        moved on by that odometry's twist at constant velocity in the base frame:
            T_world_base(t) = T_n [exp([ω]× Δt), v Δt; 0, 1],   Δt = t − t_n;
        None when that is not possible (no twist, too far, extrinsics missing)."""
        newest = self.odometry.latest_stamp
        if (not self.use_odometry or newest is None or self.newest_twist is None
                or not 0.0 < stamp - newest <= max_s):
            return None
        dt = stamp - newest
        step = np.eye(4)
        step[:3, :3] = axis_angle_to_matrix(torch.from_numpy(self.newest_twist[3:] * dt)).numpy()
        step[:3, 3] = self.newest_twist[:3] * dt
        try:
            return self.odometry.at(newest) @ step @ self.extrinsics(stamp, frame_id)
        except CameraPoseError:
            return None

    def add_transform(self, parent: str, child: str, stamp: float, T_parent_child: np.ndarray,
                      static: bool) -> None:
        """One transform from /tf (static False) or /tf_static; ValueError when refused."""
        self.transforms.add(parent, child, stamp, T_parent_child, static)

    def clear(self) -> None:
        """Forget odometry and stamped transforms (time went back); static ones stay."""
        self.odometry.clear()
        self.newest_twist = None
        self.transforms.clear_stamped()

    def at(self, stamp: float, frame_id: str = "") -> np.ndarray:
        """(4, 4) T_world_camera at ``stamp`` of an image in ``frame_id``; MissingInput /
        LookupError as above."""
        if not self.use_odometry:
            return self.static
        newest = self.odometry.latest_stamp
        if newest is None or stamp > newest:
            raise MissingInput("odometry", f"no odometry at or after {stamp:.3f} s yet")
        try:
            T_world_base = self.odometry.at(stamp)
        except LookupError as e:
            raise CameraPoseError("odometry", str(e)) from e
        return T_world_base @ self.extrinsics(stamp, frame_id)

    def extrinsics(self, stamp: float, frame_id: str) -> np.ndarray:
        """(4, 4) T_base_camera at ``stamp``: the fixed one, or looked up."""
        if self.T_base_camera is not None:
            return self.T_base_camera
        if not frame_id:
            raise CameraPoseError("extrinsics", "the image has no frame_id, so its extrinsics "
                                  "cannot be looked up in TF: set camera_extrinsics")
        try:
            return self.transforms.lookup(self.base_frame, frame_id, stamp)
        except NotYetAvailable as e:
            raise MissingInput("extrinsics", f"{e} (base {self.base_frame!r} -> image frame "
                               f"{frame_id!r}: publish it on /tf_static, e.g. with "
                               "robot_state_publisher, or set camera_extrinsics)") from e
        except LookupError as e:
            raise CameraPoseError("extrinsics", str(e)) from e
