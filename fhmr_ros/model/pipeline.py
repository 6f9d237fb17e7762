"""FactorizedHMR on a window: Stage 1 anchor -> Stage 2 completion -> SMPL-X + world motion.

Stateless: the networks and the decoding. Sliding windows over long sequences live in
model/sequence.py, per-track streaming state in fhmr_ros/streaming.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor, nn

from ..body.skeleton import NON_TORSO_JOINTS, NUM_BODY_JOINTS
from ..geometry.rotations import matrix_to_axis_angle
from .config import ModelConfig
from .flow_sampler import guided_velocity, sample_flow
from .inputs import FrameInputs
from .kinematics import BodyGeometry
from .normalizer import Normalizer
from .regressor import DeterministicRegressor
from .representation import ANCHOR_DIM, DIM, BodyVariables, decode
from .stage2 import Stage2
from .world import camera_to_world, fuse_world_pelvis, world_root_rotation, world_to_camera

# two_stage: FactorizedHMR; stage1: the anchor alone; baseline: the deterministic model;
# baseline_anchor: Stage 2 completing the baseline's anchor instead of Stage 1's (a
# diagnostic: what a Stage 1 as good as the baseline at the anchor would give)
MODES = ("two_stage", "stage1", "baseline", "baseline_anchor")


def check_mode(mode: str) -> None:
    """ValueError naming the known modes for one that is not."""
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; known: {MODES}")


def joint_source() -> Tensor:
    """(22,) uint8: 0 = anchor (torso, from Stage 1), 1 = completed by Stage 2."""
    src = torch.zeros(NUM_BODY_JOINTS, dtype=torch.uint8)
    src[list(NON_TORSO_JOINTS)] = 1
    return src


@dataclass
class SamplingOptions:
    steps: int
    solver: str
    guidance: float
    temperature: float
    hypotheses: int = 1
    seed: int | None = None
    guidance_until: float = 1.0
    blend_frames: int = 0       # model/sequence.py; streaming/engine.py


@dataclass
class Prediction:
    """Decoded outputs for a batch of windows (B, T)."""

    betas: Tensor                  # (B, 10)
    global_orient_camera: Tensor   # (B, T, 3) axis-angle
    body_pose: Tensor              # (B, T, 63) axis-angle, joints 1..21
    transl_camera: Tensor          # (B, T, 3) SMPL-X transl (pelvis − J0(betas))
    joints_camera: Tensor          # (B, T, 22, 3) metres
    global_orient_world: Tensor    # (B, T, 3)
    transl_world: Tensor           # (B, T, 3)
    joints_world: Tensor           # (B, T, 22, 3)
    pelvis_world: Tensor           # (B, T, 3)
    root_velocity: Tensor          # (B, T, 3) heading frame, m/s
    contact: Tensor                # (B, T, 4) left/right foot, left/right hand
    joints_camera_samples: Tensor | None = None   # (N, B, T, 22, 3) with N hypotheses
    R_world_root: Tensor | None = None            # (B, T, 3, 3): global_orient_world's matrix


class FactorizedHMR(nn.Module):
    """Stage 1 + Stage 2 (+ the same-size deterministic baseline, when trained)."""

    def __init__(self, cfg: ModelConfig, body: BodyGeometry, with_baseline: bool = True) -> None:
        super().__init__()
        self.cfg = cfg
        self.body = body
        self.normalizer = Normalizer(DIM)
        self.stage1 = DeterministicRegressor(cfg.inputs, cfg.stage1, ANCHOR_DIM)
        self.stage2 = Stage2(cfg)
        self.baseline = (DeterministicRegressor(cfg.inputs, cfg.baseline, DIM)
                         if with_baseline else None)

    def default_sampling(self, **overrides) -> SamplingOptions:
        f = self.cfg.flow
        opts = dict(steps=f.sample_steps, solver=f.solver, guidance=f.guidance,
                    temperature=f.temperature, guidance_until=f.guidance_until,
                    blend_frames=f.blend_frames)
        opts.update({k: v for k, v in overrides.items() if v is not None})
        return SamplingOptions(**opts)

    def anchor(self, inputs: FrameInputs, frame_mask: Tensor | None = None,
               mode: str = "two_stage") -> Tensor:
        """Normalised anchor (B, T, 61): Stage 1's, or in mode baseline_anchor the
        baseline's first 61 variables. frame_mask (B, T) bool: False marks the padding in
        front of windows shorter than the batch's (model/transformer.py)."""
        if mode == "baseline_anchor":
            return self.baseline_network()(inputs, frame_mask)[..., :ANCHOR_DIM]
        return self.stage1(inputs, frame_mask)

    def deterministic_pass(self, mode: str) -> Callable[..., Tensor]:
        """What ``mode`` runs before any sampling, (inputs, frame_mask=None) -> normalised:
        the baseline's whole state (B, T, D) in mode baseline, else the anchor (B, T, 61).
        With ``state_without_sampling`` the one place that says what each mode runs."""
        check_mode(mode)
        if mode == "baseline":
            return self.baseline_network()
        return lambda inputs, frame_mask=None: self.anchor(inputs, frame_mask, mode)

    def state_without_sampling(self, mode: str, first: Tensor) -> Tensor | None:
        """The normalised state (B, T, D) of a mode that does not sample (baseline, stage1)
        from its ``deterministic_pass`` output; None where Stage 2 completes ``first``."""
        if mode == "baseline":
            return first
        if mode == "stage1":
            return self.stage1_only(first)
        return None

    def baseline_network(self) -> DeterministicRegressor:
        """The same-size deterministic model (ValueError if the checkpoint has none)."""
        if self.baseline is None:
            raise ValueError("this checkpoint has no baseline network")
        return self.baseline

    def complete(self, inputs: FrameInputs, anchor: Tensor, opts: SamplingOptions,
                 x_known: Tensor | None = None, known: Tensor | None = None,
                 frame_mask: Tensor | None = None) -> Tensor:
        """Stage 2 samples (N, B, T, D), normalised. The anchor is always known; x_known and
        known (B, T, D) add further known coordinates (e.g. frames already published);
        frame_mask as for ``anchor``."""
        B, T, _ = anchor.shape
        N = opts.hypotheses
        if x_known is None:
            x_known = anchor.new_zeros(B, T, DIM)
            known = torch.zeros(B, T, DIM, dtype=torch.bool, device=anchor.device)
        x_known = x_known.clone()
        known = known.clone()
        x_known[..., :ANCHOR_DIM] = torch.where(known[..., :ANCHOR_DIM],
                                                x_known[..., :ANCHOR_DIM], anchor)
        known[..., :ANCHOR_DIM] = True
        rep = lambda x: x.repeat(N, *([1] * (x.dim() - 1)))  # noqa: E731
        anchor_n = rep(anchor)
        inputs_n = FrameInputs.cat([inputs] * N)
        cond = self.stage2.condition(inputs_n, anchor_n)
        uncond = (self.stage2.unconditional(inputs_n, anchor_n)
                  if opts.guidance != 1.0 else None)
        velocity = guided_velocity(self.stage2, rep(known), cond, uncond, opts.guidance,
                                   None if frame_mask is None else rep(frame_mask),
                                   opts.guidance_until)
        gen = None
        if opts.seed is not None:
            gen = torch.Generator(device=anchor.device).manual_seed(opts.seed)
        x = sample_flow(velocity, rep(x_known), rep(known), opts.steps, opts.solver,
                        opts.temperature, gen)
        return x.view(N, B, T, DIM)

    def stage1_only(self, anchor: Tensor) -> Tensor:
        """Anchor + the training-set mean of every other variable (B, T, D), normalised."""
        x = anchor.new_zeros(*anchor.shape[:-1], DIM)        # normalised mean = 0
        x[..., :ANCHOR_DIM] = anchor
        return x

    def _variables(self, x: Tensor) -> BodyVariables:
        """Normalised state (B, T, D) -> body variables, one shape per sequence."""
        v = decode(self.normalizer.denormalize(x))
        v.betas = v.betas.mean(-2, keepdim=True).expand_as(v.betas)
        return v

    def camera_skeleton(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """Pelvis (B, T, 3) and pelvis-relative joints (B, T, 22, 3) in the camera frame."""
        v = self._variables(x)
        return v.pelvis_camera, self.body.joints_rel(v)

    def decode(self, x: Tensor, T_world_camera: Tensor, samples: Tensor | None = None,
               predicted_first_pelvis: Tensor | None = None,
               pelvis_camera: Tensor | None = None,
               body_scale: Tensor | None = None) -> Prediction:
        """Normalised state (B, T, D) + camera poses (B, T, 4, 4) -> Prediction.
        ``predicted_first_pelvis`` (B, 3) continues the world filter of an earlier chunk
        (model/world.py); ``pelvis_camera`` (B, T, 3) replaces the decoded camera-frame
        pelvis before anything is derived from it (streaming/root_alignment.py);
        ``body_scale`` s (B,) makes each person s times as large and s times as far along
        the camera's rays, which leaves the image unchanged (monocular scale; the floor
        sets it: streaming/floor_scale.py): pelvis_c ← s pelvis_c, β ← scaled_betas(β, s),
        and the root velocity ← s v (the motion scales with the person).

        One place per person: the world pelvis p_w is the filtered one (model/world.py), and
        the camera-frame pelvis is that same point seen from the camera,
        p_c = R_wcᵀ (p_w − o_wc), so camera and world outputs agree exactly through
        T_world_camera. (Chosen on held-out data: the filtered position is as accurate as
        the per-frame one and far smoother in both frames; docs/robot.md, One place per person.)"""
        v = self._variables(x)
        decoded_pelvis = v.pelvis_camera                                     # (B, T, 3)
        if pelvis_camera is not None:
            v.pelvis_camera = pelvis_camera
        if body_scale is not None:
            s = body_scale.to(v.pelvis_camera)[:, None, None]                # (B, 1, 1)
            v.pelvis_camera = s * v.pelvis_camera
            v.root_velocity = s * v.root_velocity
            v.betas = self.body.scaled_betas(v.betas, s[..., 0].expand(v.betas.shape[:-1]))
        rel = self.body.joints_rel(v)                                        # (B, T, 22, 3)
        J0 = self.body.J_template[0] + torch.einsum(
            "cb,...b->...c", self.body.J_shapedirs[0], v.betas)             # (B, T, 3)
        R_wr = world_root_rotation(T_world_camera, v.root_rotation)
        pelvis_cam_world = camera_to_world(T_world_camera,
                                           v.pelvis_camera[..., None, :])[..., 0, :]
        pelvis_world = fuse_world_pelvis(pelvis_cam_world, T_world_camera[..., :3, 3], R_wr,
                                         v.root_velocity, self.cfg.fps,
                                         self.cfg.world_velocity_weight,
                                         self.cfg.world_depth_velocity_weight,
                                         predicted_first_pelvis)
        pelvis_cam = world_to_camera(T_world_camera, pelvis_world[..., None, :])[..., 0, :]
        joints_cam = pelvis_cam[..., None, :] + rel                          # (B, T, 22, 3)
        rel_world = (T_world_camera[..., None, :3, :3] @ rel[..., None])[..., 0]
        joints_samples = None
        if samples is not None:        # each sample keeps its offset from the mean pelvis
            s = decode(self.normalizer.denormalize(samples))
            s.betas = v.betas.expand_as(s.betas)
            pelvis_s = pelvis_cam + (s.pelvis_camera - decoded_pelvis)       # (N, B, T, 3)
            joints_samples = pelvis_s[..., None, :] + self.body.joints_rel(s)
        return Prediction(
            betas=v.betas[:, 0], global_orient_camera=matrix_to_axis_angle(v.root_rotation),
            body_pose=matrix_to_axis_angle(v.local_rotations).flatten(-2),
            transl_camera=pelvis_cam - J0, joints_camera=joints_cam,
            global_orient_world=matrix_to_axis_angle(R_wr), transl_world=pelvis_world - J0,
            joints_world=pelvis_world[..., None, :] + rel_world, pelvis_world=pelvis_world,
            root_velocity=v.root_velocity, contact=v.contact.clamp(0, 1),
            joints_camera_samples=joints_samples, R_world_root=R_wr)
