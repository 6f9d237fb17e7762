"""Training losses (DESIGN §1).

Stage 1:   L = ‖Â − A‖₁ (normalised, smooth-L1) + λ_3d L_3d + λ_2d L_2d (anchor joints)
Stage 2:   L = (1 − t)² ‖(v_θ − (x1 − x0)) ⊙ (1 − m)‖² / |1 − m|  +  L_geo(x̂1)
           = ‖(x̂1 − x1) ⊙ (1 − m)‖² / |1 − m|  +  L_geo(x̂1),
           with v_θ = (x̂1 − x_t) / (1 − t): the velocity loss weighted by (1 − t)², which
           keeps t → 1 from dominating
Baseline:  L = ‖x̂ − x‖₁ (normalised, smooth-L1) + L_geo(x̂)
with the geometry terms on decoded variables
  L_3d     root-aligned camera-space joints of the rotation branch (forward kinematics) vs truth,
  L_joint  the joint branch vs truth, and the joint branch vs the rotation branch (consistency),
  L_bone   bone lengths of the joint branch vs truth,
  L_2d     reprojection (x/z, y/z) of non-torso joints,
  L_world  pelvis trajectory rolled out from the local velocities (truth heading) vs truth,
and, optionally (``temporal_terms``), the frame-to-frame change of the joints, of the pelvis
velocity and of the anchor's camera-frame joints (depth included) vs truth: Stage 1 gets the
anchor's, Stage 2 the others, the baseline all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import torch.nn.functional as F
from torch import Tensor

from ..body.skeleton import BODY_PARENTS, NON_TORSO_JOINTS
from ..geometry.trajectory import rollout_root_trajectory
from ..data.windows import WorldTruth
from ..model.config import parse_overrides
from ..model.kinematics import BodyGeometry
from ..model.representation import BodyVariables

# Joints whose camera-space position the anchor alone determines (torso rotations + root).
ANCHOR_POSITION_JOINTS = (0, 1, 2, 3, 6, 9, 12, 13, 14, 15, 16, 17)


@dataclass(frozen=True)
class LossWeights:
    joints3d: float = 10.0
    joint_branch: float = 5.0
    bone: float = 5.0
    reprojection: float = 20.0
    world: float = 2.0
    accel: float = 50.0              # joint acceleration (temporal_terms)
    anchor_accel: float = 10.0       # anchor acceleration in the camera frame (temporal_terms);
    #                                  10 has the best validation MPJPE of 0/10/20/50 (docs/history.md)
    velocity_change: float = 1.0

    @classmethod
    def parse(cls, text: str) -> "LossWeights":
        """Defaults overridden by ``"name=value,..."`` (e.g. ``"accel=10,anchor_accel=5"``)."""
        values = parse_overrides(text, [f.name for f in fields(cls)], "loss weight")
        return cls(**{name: float(value) for name, value in values.items()})


def project(points: Tensor, min_depth: float = 0.1) -> Tensor:
    """(..., 3) camera points -> (..., 2) normalised image coordinates (x/z, y/z)."""
    return points[..., :2] / points[..., 2:].clamp(min=min_depth)


def bone_lengths(joints: Tensor) -> Tensor:
    """(..., 22, 3) -> (..., 21) lengths of the bones to joints 1..21."""
    parents = list(BODY_PARENTS[1:])
    return (joints[..., 1:, :] - joints[..., parents, :]).norm(dim=-1)


def _per_sample(x: Tensor) -> Tensor:
    """Mean over all but the batch dimension: (B, ...) -> (B,)."""
    return x.flatten(1).mean(1)


def geometry_terms(body: BodyGeometry, pred: BodyVariables, gt: BodyVariables,
                   world: WorldTruth, fps: float, w: LossWeights) -> dict[str, Tensor]:
    """Per-sample geometry losses (B,) on decoded predictions."""
    fk = body.joints_rel(pred)                                               # (B, T, 22, 3)
    gt_rel = gt.joints_rel
    limbs = list(NON_TORSO_JOINTS)
    proj_pred = project(pred.pelvis_camera[..., None, :] + fk[..., limbs, :])
    proj_gt = project(gt.pelvis_camera[..., None, :] + gt_rel[..., limbs, :])
    rolled = rollout_root_trajectory(world.R_world_root, pred.root_velocity, fps)
    true_path = world.pelvis_world - world.pelvis_world[:, :1]
    return {
        "joints3d": w.joints3d * _per_sample((fk - gt_rel).abs()),
        "joint_branch": w.joint_branch * _per_sample(
            (pred.joints_rel - gt_rel).abs() + (pred.joints_rel - fk).abs()),
        "bone": w.bone * _per_sample((bone_lengths(pred.joints_rel) - bone_lengths(gt_rel)).abs()),
        "reprojection": w.reprojection * _per_sample((proj_pred - proj_gt).abs()),
        "world": w.world * _per_sample((rolled - true_path).abs()),
    }


def _second_difference(x: Tensor) -> Tensor:
    """Δ²x along the frames: (B, T, ...) -> (B, T − 2, ...)."""
    return x[:, 2:] - 2 * x[:, 1:-1] + x[:, :-2]


def temporal_terms(body: BodyGeometry, pred: BodyVariables, gt: BodyVariables,
                   w: LossWeights, joints: bool = True, anchor: bool = False
                   ) -> dict[str, Tensor]:
    """Per-sample smoothness losses (B,): the frame-to-frame change of the motion must be
    the true one, where noisy keypoints would make it shake. ``joints``:
        L_accel = ‖Δ²J(x̂) − Δ²J(x)‖₁ (root-aligned camera joints of the rotation branch),
        L_vel   = ‖Δv̂ − Δv‖₁ (the pelvis velocity in the heading frame);
    ``anchor``: the joints the anchor determines, in the camera frame with the pelvis (so
    the depth too),
        L_anchor_accel = ‖Δ²(p̂ + J_a(x̂)) − Δ²(p + J_a(x))‖₁."""
    def accel(a: Tensor, b: Tensor) -> Tensor:                  # (B,)
        return _per_sample((_second_difference(a) - _second_difference(b)).abs())

    fk, gt_rel = body.joints_rel(pred), gt.joints_rel                    # (B, T, 22, 3)
    terms = {}
    if joints:
        terms["accel"] = w.accel * accel(fk, gt_rel)
        terms["velocity_change"] = w.velocity_change * _per_sample(
            (pred.root_velocity.diff(dim=1) - gt.root_velocity.diff(dim=1)).abs())
    if anchor:
        a = list(ANCHOR_POSITION_JOINTS)
        terms["anchor_accel"] = w.anchor_accel * accel(
            pred.pelvis_camera[..., None, :] + fk[..., a, :],
            gt.pelvis_camera[..., None, :] + gt_rel[..., a, :])
    return terms


def anchor_terms(body: BodyGeometry, pred: BodyVariables, gt: BodyVariables,
                 w: LossWeights) -> dict[str, Tensor]:
    """Per-sample Stage-1 geometry losses (B,): joints the anchor determines, with the
    true limb rotations filled in (they do not move those joints)."""
    fk = body.joints_rel(pred)[..., ANCHOR_POSITION_JOINTS, :]
    gt_rel = gt.joints_rel[..., ANCHOR_POSITION_JOINTS, :]
    proj_pred = project(pred.pelvis_camera[..., None, :] + fk)
    proj_gt = project(gt.pelvis_camera[..., None, :] + gt_rel)
    return {"joints3d": w.joints3d * _per_sample((fk - gt_rel).abs()),
            "reprojection": w.reprojection * _per_sample((proj_pred - proj_gt).abs())}


def regression_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Per-sample smooth-L1 on normalised variables (B,)."""
    return _per_sample(F.smooth_l1_loss(pred, target, reduction="none"))


def flow_matching_loss(x1_hat: Tensor, x1: Tensor, known: Tensor) -> Tensor:
    """Per-sample (1 − t)²-weighted velocity loss on the unknown coordinates (B,), written
    through the predicted clean sample:
        (1 − t)² ‖v_θ − (x1 − x0)‖² = ‖x̂1 − x1‖²."""
    unknown = (~known).to(x1_hat.dtype)
    err = (x1_hat - x1) ** 2 * unknown
    return err.flatten(1).sum(1) / unknown.flatten(1).sum(1).clamp(min=1.0)
