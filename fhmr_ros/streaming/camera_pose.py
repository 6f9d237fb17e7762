"""Where the camera was at an image stamp: odometry interpolated to the stamp (never "the
latest pose") composed with the camera extrinsics, or a fixed levelled pose for a static
camera.

    T_world_camera(t) = T_world_base(t) · T_base_camera

T_world_base(t) interpolates the two odometry poses around t (slerp + lerp). An image newer
than the newest odometry must wait for it (``NotYetAvailable``); one older than the buffer
cannot be placed (``LookupError``).
"""

from __future__ import annotations

import math

import numpy as np

from ..geometry.gravity_view import static_camera_pose
from .pose_buffer import PoseBuffer


class NotYetAvailable(LookupError):
    """Odometry has not reached this stamp yet."""


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
    x, y, z, w = v[3:] / np.linalg.norm(v[3:])
    T = np.eye(4)
    T[:3, :3] = [[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                 [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                 [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]]
    T[:3, 3] = v[:3]
    return T


class CameraPoses:
    """Camera poses at image stamps from odometry, or the static pose without odometry."""

    def __init__(self, T_base_camera: np.ndarray, static_T_world_camera: np.ndarray,
                 use_odometry: bool, max_age_s: float = 10.0) -> None:
        self.T_base_camera = T_base_camera
        self.static = static_T_world_camera
        self.use_odometry = use_odometry
        self.odometry = PoseBuffer(max_age_s=max_age_s)

    def add_odometry(self, stamp: float, T_world_base: np.ndarray) -> None:
        """Raises ValueError for a stamp older than the newest (the caller counts it)."""
        self.odometry.add(stamp, T_world_base)

    def clear(self) -> None:
        self.odometry.clear()

    def at(self, stamp: float) -> np.ndarray:
        """(4, 4) T_world_camera at ``stamp``; NotYetAvailable / LookupError as above."""
        if not self.use_odometry:
            return self.static
        newest = self.odometry.latest_stamp
        if newest is None or stamp > newest:
            raise NotYetAvailable(f"no odometry at or after {stamp:.3f} s yet")
        return self.odometry.at(stamp) @ self.T_base_camera
