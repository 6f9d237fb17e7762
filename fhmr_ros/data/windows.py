"""Labelled windows for training and evaluation: a motion window seen by a simulated robot
camera.

For a clip, the body is posed once (ClipGeometry: world joints, detector keypoints, root
rotations, local velocities, contacts). A sample then takes a window, places a camera rig
around the person's path, moves everything into the true camera frame, simulates the 2D
detector, and builds the model inputs from what the robot would know (detections,
intrinsics, odometry poses) and the targets from the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass

import numpy as np
import torch
from torch import Tensor

from ..body.body_model import BodyModel
from ..body.keypoints import KeypointFormat
from ..geometry.rotations import axis_angle_to_matrix
from ..geometry.trajectory import local_root_velocity
from ..model.inputs import FrameInputs, build_inputs
from ..model.representation import CONTACT_JOINTS, BodyVariables
from .camera_rigs import CameraRigConfig, sample_camera_rig
from .motion import MotionClip
from .observations import DetectorNoiseConfig, simulate_detections

CONTACT_HEIGHT = (0.08, 0.08, 0.12, 0.12)   # metres above the ground: feet, hands
CONTACT_SPEED = 0.3                          # m/s


@dataclass
class ClipGeometry:
    """A clip posed once on the body model (world frame, z up)."""

    clip: MotionClip
    joints_world: np.ndarray      # (T, 22, 3)
    keypoints_world: np.ndarray   # (T, K, 3) detector keypoints on the body surface
    R_world_root: np.ndarray      # (T, 3, 3)
    local_rotations: np.ndarray   # (T, 21, 3, 3)
    root_velocity: np.ndarray     # (T, 3) heading-frame pelvis velocity, m/s
    contact: np.ndarray           # (T, 4) {0, 1}: left/right foot, left/right hand


def contact_targets(joints_world: np.ndarray, fps: float) -> np.ndarray:
    """(T, 22, 3) -> (T, 4): a foot/hand is in contact when it is within CONTACT_HEIGHT of
    the ground (the lowest foot point of the clip) and slower than CONTACT_SPEED."""
    pts = joints_world[:, list(CONTACT_JOINTS)]                            # (T, 4, 3)
    ground = joints_world[:, [10, 11], 2].min()
    speed = np.linalg.norm(np.gradient(pts, axis=0), axis=-1) * fps
    low = pts[..., 2] - ground < np.asarray(CONTACT_HEIGHT)
    return (low & (speed < CONTACT_SPEED)).astype(np.float32)


@torch.no_grad()
def prepare_clip(clip: MotionClip, body: BodyModel, fmt: KeypointFormat,
                 chunk: int = 512) -> ClipGeometry:
    """Pose a clip on the body model (in chunks of frames to bound memory)."""
    joints, keypoints = [], []
    betas = torch.from_numpy(clip.betas)
    index = list(range(22)) + fmt.landmark_index                          # joints, keypoints
    for s in range(0, clip.num_frames, chunk):
        go = torch.from_numpy(clip.global_orient[s:s + chunk])
        pts = body.landmarks(betas.expand(go.shape[0], -1), go,
                             torch.from_numpy(clip.body_pose[s:s + chunk]).reshape(-1, 63),
                             torch.from_numpy(clip.transl[s:s + chunk]), index)
        joints.append(pts[:, :22])
        keypoints.append(pts[:, 22:])
    joints_w = torch.cat(joints)
    R = axis_angle_to_matrix(torch.from_numpy(clip.global_orient))
    vel = local_root_velocity(R, joints_w[:, 0], clip.fps)
    jw = joints_w.numpy()
    return ClipGeometry(
        clip=clip, joints_world=jw, keypoints_world=torch.cat(keypoints).numpy(),
        R_world_root=R.numpy(), local_rotations=axis_angle_to_matrix(
            torch.from_numpy(clip.body_pose)).numpy(),
        root_velocity=vel.numpy(), contact=contact_targets(jw, clip.fps))


@dataclass
class WorldTruth:
    """The true world motion of a window (the world-trajectory loss and world metrics)."""

    R_world_root: Tensor    # (B, T, 3, 3)
    pelvis_world: Tensor    # (B, T, 3)


@dataclass
class Batch:
    """Model inputs with everything the losses and metrics need (B, T)."""

    inputs: FrameInputs
    truth: BodyVariables            # camera-frame targets (true camera)
    world: WorldTruth               # true world root rotation and pelvis
    T_world_camera: Tensor          # (B, T, 4, 4) what the robot believes (odometry)
    T_world_camera_true: Tensor     # (B, T, 4, 4)
    keypoint_visible: Tensor        # (B, T, K) bool: truly visible keypoints
    keypoints: Tensor               # (B, T, K, 3) simulated detections (pixels, confidence)
    K: Tensor                       # (B, 3, 3)
    names: list[str]

    def to(self, device: torch.device | str) -> Batch:
        """Every tensor, nested records' too, on ``device``."""
        return _moved(self, device)


def _moved(record, device):
    """A copy of the dataclass ``record`` with its tensors (and records) on ``device``."""
    values = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if isinstance(value, Tensor):
            value = value.to(device)
        elif is_dataclass(value):
            value = _moved(value, device)
        values[f.name] = value
    return type(record)(**values)


@dataclass
class _Sample:
    keypoints: np.ndarray
    bbox: np.ndarray
    visible: np.ndarray
    K: np.ndarray
    T_odom: np.ndarray
    T_true: np.ndarray
    name: str


def _sample(rng: np.random.Generator, geo: ClipGeometry, start: int, length: int,
            fmt: KeypointFormat, rig_cfg: CameraRigConfig, noise_cfg: DetectorNoiseConfig,
            rig_kind: str | None) -> _Sample:
    sl = slice(start, start + length)
    rig = sample_camera_rig(rng, geo.joints_world[sl, 0], geo.clip.fps, kind=rig_kind,
                            config=rig_cfg)
    T_cw = np.linalg.inv(rig.T_world_camera)                               # (T, 4, 4)
    kp_cam = np.einsum("tij,tkj->tki", T_cw[:, :3, :3], geo.keypoints_world[sl]) \
        + T_cw[:, None, :3, 3]
    det = simulate_detections(rng, kp_cam, rig.K, rig.image_size, fmt=fmt, config=noise_cfg)
    return _Sample(det.keypoints, det.bbox, det.visible, rig.K, rig.T_world_camera_odom,
                   rig.T_world_camera, f"{geo.clip.name}[{start}:{start + length}]/{rig.kind}")


def make_batch(rng: np.random.Generator, items: list[tuple[ClipGeometry, int]], length: int,
               fmt: KeypointFormat, rig_cfg: CameraRigConfig | None = None,
               noise_cfg: DetectorNoiseConfig | None = None, rig_kind: str | None = None
               ) -> Batch:
    """One Batch from (clip, start frame) pairs, all windows ``length`` frames long."""
    rig_cfg = rig_cfg or CameraRigConfig()
    noise_cfg = noise_cfg or DetectorNoiseConfig()
    samples = [_sample(rng, g, s, length, fmt, rig_cfg, noise_cfg, rig_kind) for g, s in items]
    f = lambda xs: torch.from_numpy(np.stack(xs).astype(np.float32))  # noqa: E731
    sl = [slice(s, s + length) for _, s in items]
    T_true = f([s.T_true for s in samples])                               # (B, T, 4, 4)
    R_cw = T_true[..., :3, :3].transpose(-1, -2)
    o = T_true[..., :3, 3]
    joints_w = f([g.joints_world[i] for (g, _), i in zip(items, sl)])     # (B, T, 22, 3)
    R_wr = f([g.R_world_root[i] for (g, _), i in zip(items, sl)])
    pelvis_w = joints_w[..., 0, :]
    joints_cam = torch.einsum("btij,btkj->btki", R_cw, joints_w - o[..., None, :])
    truth = BodyVariables(
        root_rotation=R_cw @ R_wr,
        local_rotations=f([g.local_rotations[i] for (g, _), i in zip(items, sl)]),
        betas=f([g.clip.betas for g, _ in items])[:, None].expand(-1, length, -1),
        pelvis_camera=joints_cam[..., 0, :],
        joints_rel=joints_cam - joints_cam[..., :1, :],
        root_velocity=f([g.root_velocity[i] for (g, _), i in zip(items, sl)]),
        contact=f([g.contact[i] for (g, _), i in zip(items, sl)]))
    K = f([s.K for s in samples])
    T_odom = f([s.T_odom for s in samples])
    keypoints = f([s.keypoints for s in samples])
    inputs = build_inputs(keypoints, K[:, None].expand(-1, length, -1, -1), T_odom,
                          f([s.bbox for s in samples]))
    return Batch(inputs=inputs, truth=truth, world=WorldTruth(R_wr, pelvis_w),
                 T_world_camera=T_odom, T_world_camera_true=T_true,
                 keypoint_visible=torch.from_numpy(np.stack([s.visible for s in samples])),
                 keypoints=keypoints, K=K, names=[s.name for s in samples])
