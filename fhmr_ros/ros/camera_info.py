"""Pinhole intrinsics <-> sensor_msgs/CameraInfo.

K is the row-major 3x3 camera matrix of the raw (distorted) image,
    K = [[fx, s, cx], [0, fy, cy], [0, 0, 1]]   (pixels),
projecting a point (x, y, z) of the camera optical frame (REP-103: x right, y down,
z forward) to u = fx x/z + s y/z + cx, v = fy y/z + cy.
"""

from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import CameraInfo

from fhmr_ros.geometry.lens_distortion import SUPPORTED, LensDistortion


class CameraInfoError(ValueError):
    """A CameraInfo whose intrinsics cannot be used (the message says why)."""


def intrinsics_from_camera_info(msg: CameraInfo) -> np.ndarray:
    """K (3, 3) float64 from ``msg.k``. Raises CameraInfoError for a zero image size, an
    all-zero K (uncalibrated camera), non-finite entries, fx or fy <= 0, or a last row
    other than [0, 0, 1]."""
    if msg.width == 0 or msg.height == 0:
        raise CameraInfoError(f"camera_info has a zero image size {msg.width} x {msg.height}")
    K = np.asarray(msg.k, np.float64).reshape(3, 3)
    if not np.any(K):
        raise CameraInfoError("camera_info has an all-zero K: the camera is not calibrated")
    if not np.all(np.isfinite(K)):
        raise CameraInfoError(f"camera_info K has non-finite entries: {K.ravel().tolist()}")
    if K[0, 0] <= 0 or K[1, 1] <= 0:
        raise CameraInfoError(f"camera_info K has a non-positive focal length: "
                              f"fx = {K[0, 0]}, fy = {K[1, 1]}")
    if not np.array_equal(K[2], [0.0, 0.0, 1.0]):
        raise CameraInfoError(f"camera_info K has last row {K[2].tolist()}, expected "
                              "[0, 0, 1]")
    return K


def distortion_from_camera_info(msg: CameraInfo) -> LensDistortion | None:
    """The lens distortion ``msg`` declares; None for none (no coefficients, or all zero).
    Raises CameraInfoError for a model this package cannot remove while its coefficients
    are not all zero (treating such an image as pinhole would misplace people)."""
    d = tuple(float(v) for v in msg.d)
    if not any(d):
        return None
    if msg.distortion_model not in SUPPORTED:
        raise CameraInfoError(
            f"camera_info distortion model {msg.distortion_model!r} with coefficients {d} "
            f"is not supported ({', '.join(SUPPORTED)} are): subscribe to the rectified "
            "image (image_proc's image_rect) and its camera_info instead")
    try:
        return LensDistortion(msg.distortion_model, d)
    except ValueError as e:
        raise CameraInfoError(f"camera_info distortion: {e}") from e


def camera_info_msg(K: np.ndarray, width: int, height: int, stamp: Time,
                    frame_id: str) -> CameraInfo:
    """CameraInfo of an undistorted pinhole camera: distortion_model "plumb_bob" with
    d = 0 (5,), r = I, p = [K | 0] (3, 4)."""
    K = np.asarray(K, np.float64)  # (3, 3)
    msg = CameraInfo()
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.width, msg.height = int(width), int(height)
    msg.distortion_model = "plumb_bob"
    msg.d = [0.0] * 5
    msg.k = K.ravel()
    msg.r = np.eye(3).ravel()
    msg.p = np.hstack([K, np.zeros((3, 1))]).ravel()  # (12,)
    return msg
