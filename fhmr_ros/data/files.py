"""The offline file contract: OBS.npz in, PRED.npz out (docs/offline_tools.md, "Offline inference").

OBS.npz
  keypoints        (T, K, 3) pixels u, v and confidence in [0, 1] (0 = unobserved)
  keypoint_format  "mediapipe33" or "coco17"
  K                (3, 3) or (T, 3, 3) intrinsics
  image_size       (2,) width, height
  fps              frame rate
  T_world_camera   optional (T, 4, 4) camera-to-world poses from odometry (metric, z up)
  gravity_camera   optional (3,) gravity direction in the camera optical frame (no odometry)
  bbox             optional (T, 4) xyxy pixels
PRED.npz: see Prediction fields written by save_predictions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..body.keypoints import KEYPOINT_FORMATS
from ..geometry.gravity_view import static_camera_pose

DEFAULT_GRAVITY_CAMERA = (0.0, 1.0, 0.0)    # a level camera: gravity along +y (image down)


class ObservationFileError(ValueError):
    """An OBS file is missing a field or has a malformed one."""


@dataclass
class Observations:
    keypoints: np.ndarray        # (T, K, 3)
    keypoint_format: str
    K: np.ndarray                # (T, 3, 3)
    image_size: tuple[int, int]  # (width, height)
    fps: float
    T_world_camera: np.ndarray   # (T, 4, 4): odometry, or a static levelled camera
    has_odometry: bool
    bbox: np.ndarray | None      # (T, 4)

    @property
    def num_frames(self) -> int:
        return int(self.keypoints.shape[0])


def _field(z, name: str, path: Path) -> np.ndarray:
    if name not in z.files:
        raise ObservationFileError(f"{path}: missing required field '{name}'")
    return z[name]


def _check(cond: bool, path: Path, name: str, msg: str) -> None:
    if not cond:
        raise ObservationFileError(f"{path}: field '{name}' {msg}")


def load_observations(path: str | os.PathLike) -> Observations:
    """Read and validate an OBS.npz; every problem names the field."""
    path = Path(path)
    if not path.is_file():
        raise ObservationFileError(f"observation file not found: {path}")
    try:
        z = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise ObservationFileError(f"{path}: not a readable .npz file ({e})") from None
    with z:
        kp = np.asarray(_field(z, "keypoints", path), dtype=np.float64)
        _check(kp.ndim == 3 and kp.shape[-1] == 3 and kp.shape[0] >= 1, path, "keypoints",
               f"must have shape (T, K, 3), got {kp.shape}")
        T, K = kp.shape[:2]
        fmt = str(_field(z, "keypoint_format", path))
        _check(fmt in KEYPOINT_FORMATS, path, "keypoint_format",
               f"must be one of {sorted(KEYPOINT_FORMATS)}, got {fmt!r}")
        n = len(KEYPOINT_FORMATS[fmt].names)
        _check(K == n, path, "keypoints", f"has {K} keypoints but {fmt} has {n}")
        conf = kp[..., 2]
        _check(bool(np.isfinite(conf).all() and (conf >= 0).all() and (conf <= 1).all()),
               path, "keypoints", "confidence (last column) must be finite and in [0, 1]")
        _check(bool(np.isfinite(kp[..., :2][conf > 0]).all()), path, "keypoints",
               "has NaN/Inf pixel coordinates on keypoints with confidence > 0")
        Kmat = np.asarray(_field(z, "K", path), dtype=np.float64)
        _check(Kmat.shape in ((3, 3), (T, 3, 3)), path, "K",
               f"must have shape (3, 3) or ({T}, 3, 3), got {Kmat.shape}")
        Kmat = np.broadcast_to(Kmat, (T, 3, 3))
        _check(bool(np.isfinite(Kmat).all() and (Kmat[:, 0, 0] > 0).all()
                    and (Kmat[:, 1, 1] > 0).all()), path, "K",
               "must be finite with positive focal lengths fx, fy")
        size = np.asarray(_field(z, "image_size", path))
        _check(size.shape == (2,) and bool((size > 0).all()), path, "image_size",
               f"must be (width, height) > 0, got {size}")
        fps = np.asarray(_field(z, "fps", path), dtype=np.float64)
        _check(fps.size == 1 and np.isfinite(fps).all() and float(fps) > 0, path, "fps",
               f"must be one positive number, got {fps}")
        bbox = None
        if "bbox" in z.files:
            bbox = np.asarray(z["bbox"], dtype=np.float64)
            _check(bbox.shape == (T, 4), path, "bbox",
                   f"must have shape ({T}, 4), got {bbox.shape}")
        if "T_world_camera" in z.files:
            pose = np.asarray(z["T_world_camera"], dtype=np.float64)
            _check(pose.shape == (T, 4, 4), path, "T_world_camera",
                   f"must have shape ({T}, 4, 4), got {pose.shape}")
            _check(bool(np.isfinite(pose).all()), path, "T_world_camera", "has NaN/Inf values")
            R = pose[:, :3, :3]
            ortho = np.abs(R @ R.transpose(0, 2, 1) - np.eye(3)).max()
            _check(ortho < 1e-3 and bool((np.linalg.det(R) > 0).all()), path, "T_world_camera",
                   f"rotations are not proper rotations (max |R R^T - I| = {ortho:.2g})")
            has_odom = True
        else:
            g = np.asarray(z["gravity_camera"] if "gravity_camera" in z.files
                           else DEFAULT_GRAVITY_CAMERA, dtype=np.float64)
            _check(g.shape == (3,) and bool(np.isfinite(g).all()) and np.linalg.norm(g) > 1e-6,
                   path, "gravity_camera", f"must be a non-zero 3-vector, got {g}")
            pose = np.broadcast_to(static_camera_pose(g / np.linalg.norm(g)), (T, 4, 4))
            has_odom = False
    return Observations(keypoints=kp.astype(np.float32), keypoint_format=fmt,
                        K=Kmat.astype(np.float32), image_size=(int(size[0]), int(size[1])),
                        fps=float(fps), T_world_camera=np.ascontiguousarray(pose, np.float32),
                        has_odometry=has_odom,
                        bbox=None if bbox is None else bbox.astype(np.float32))


def save_observations(path: str | os.PathLike, keypoints: np.ndarray, keypoint_format: str,
                      K: np.ndarray, image_size, fps: float, T_world_camera=None,
                      gravity_camera=None, bbox=None) -> Path:
    arrays = dict(keypoints=keypoints, keypoint_format=np.array(keypoint_format), K=K,
                  image_size=np.asarray(image_size), fps=np.array(fps))
    for name, value in (("T_world_camera", T_world_camera), ("gravity_camera", gravity_camera),
                        ("bbox", bbox)):
        if value is not None:
            arrays[name] = value
    np.savez_compressed(path, **arrays)
    return Path(path)
