"""Lens distortion of a calibrated camera (sensor_msgs/CameraInfo's models), and its removal
from 2D keypoints so that the model, which assumes a pinhole camera, sees where a
distortion-free lens would have imaged them.

    plumb_bob / rational_polynomial (Brown–Conrady, OpenCV's model; d = k1 k2 p1 p2 [k3
    [k4 k5 k6]]): x_d = x (1 + k1 r² + k2 r⁴ + k3 r⁶) / (1 + k4 r² + k5 r⁴ + k6 r⁶)
                        + 2 p1 x y + p2 (r² + 2 x²), and likewise for y;
    equidistant (fisheye; d = k1 k2 k3 k4): θ_d = θ (1 + k1 θ² + k2 θ⁴ + k3 θ⁶ + k4 θ⁸),
                        x_d = (θ_d / r) x, with θ = atan r,
on normalised coordinates (x, y) = K⁻¹ (u, v, 1) before K maps them back to pixels.
Undistortion inverts this iteratively (OpenCV's undistortPoints) and maps back with the same
K, so undistorted keypoints live in the pinhole image of the same intrinsics.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BROWN_CONRADY = ("plumb_bob", "rational_polynomial")
FISHEYE = ("equidistant",)
SUPPORTED = BROWN_CONRADY + FISHEYE
COEFFICIENTS = {"plumb_bob": (4, 5, 8), "rational_polynomial": (8, 12, 14),
                "equidistant": (4,)}


@dataclass(frozen=True)
class LensDistortion:
    model: str              # one of SUPPORTED
    coefficients: tuple     # as in CameraInfo.d

    def __post_init__(self) -> None:
        if self.model not in SUPPORTED:
            raise ValueError(f"distortion model {self.model!r} is not supported (supported: "
                             f"{', '.join(SUPPORTED)})")
        if len(self.coefficients) not in COEFFICIENTS[self.model]:
            counts = " or ".join(map(str, COEFFICIENTS[self.model]))
            raise ValueError(f"{self.model} takes {counts} coefficients, got "
                             f"{len(self.coefficients)}")
        if not np.all(np.isfinite(self.coefficients)):
            raise ValueError(f"distortion coefficients are not finite: {self.coefficients}")

    @property
    def is_identity(self) -> bool:
        return not any(self.coefficients)

    def undistort(self, uv: np.ndarray, K: np.ndarray) -> np.ndarray:
        """Pixels (..., 2) of the distorted image -> pixels (..., 2) a pinhole camera with
        the same K would have seen."""
        uv = np.asarray(uv, np.float64)
        if self.is_identity or uv.size == 0:
            return uv.copy()
        points = uv.reshape(-1, 1, 2)
        d = np.asarray(self.coefficients, np.float64)
        K = np.asarray(K, np.float64)
        if self.model in FISHEYE:
            out = cv2.fisheye.undistortPoints(points, K, d, P=K)
        else:
            out = cv2.undistortPoints(points, K, d, P=K)
        return out.reshape(uv.shape)
