"""Batched SMPL-X body model: the real ``smplx.SMPLX`` layer on a user's SMPL-X file or on
the stand-in, plus a fast joints-only forward kinematics for training losses.

SMPL-X parameter conventions used across fhmr_ros (axis-angle, radians):
  betas (..., 10), global_orient (..., 3), body_pose (..., 63) = joints 1..21, transl (..., 3).
The root rotates about the rest pelvis joint J0(betas), so the posed pelvis position is
``transl + J0(betas)``: ``transl`` is NOT the pelvis position.
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ..geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .skeleton import BODY_PARENTS, NUM_BODY_JOINTS

SMPLX_HELP = (
    "SMPL-X model files are licence-gated and are not shipped: register at "
    "https://smpl-x.is.tue.mpg.de, download SMPLX_NEUTRAL.npz and point the `body_model_path` "
    "parameter (or --body-model) at it. Tests and the demo use the generated stand-in "
    "(fhmr_ros.body.standin_model.ensure_standin_model)."
)


@dataclass
class BodyModelOutput:
    """Named outputs of :meth:`BodyModel.forward`."""

    joints: Tensor             # (..., 55, 3) SMPL-X skeleton joints, metres
    landmarks: Tensor          # (..., 127, 3) smplx's joint output: 55 joints, 21 vertex
                               #   landmarks (nose, eyes, ears, toes, heels, fingertips), 51 face
    vertices: Tensor | None    # (..., V, 3) or None when not asked for


class BodyModel(torch.nn.Module):
    """SMPL-X body (no hands, face or expression: those are held at zero / flat)."""

    def __init__(self, model_path: str | os.PathLike, num_betas: int = 10,
                 device: str | torch.device = "cpu") -> None:
        super().__init__()
        path = Path(model_path)
        if not path.is_file():
            raise FileNotFoundError(f"SMPL-X body model file not found: {path}. {SMPLX_HELP}")
        if path.suffix != ".npz":
            raise ValueError(f"body model must be an SMPL-X .npz file, got {path} "
                             "(the .pkl variant needs chumpy, which is broken on NumPy 2)")
        import smplx  # heavy import, kept local

        with contextlib.redirect_stdout(io.StringIO()):  # smplx prints warnings on load
            self.layer = smplx.SMPLX(
                model_path=str(path), ext="npz", num_betas=num_betas, use_pca=False,
                flat_hand_mean=True, num_expression_coeffs=10, batch_size=1)
        self.path = path
        self.num_betas = num_betas
        J_reg = self.layer.J_regressor[:NUM_BODY_JOINTS]                # (22, V)
        # Rest body joints are linear in betas: J(b) = J_template + J_shapedirs @ b.
        self.register_buffer("J_template", J_reg @ self.layer.v_template)  # (22, 3)
        self.register_buffer("J_shapedirs", torch.einsum(
            "jv,vcb->jcb", J_reg, self.layer.shapedirs))                 # (22, 3, B)
        J_all = self.layer.J_regressor                                   # (55, V)
        self.register_buffer("J55_template", J_all @ self.layer.v_template)
        self.register_buffer("J55_shapedirs", torch.einsum("jv,vcb->jcb", J_all,
                                                           self.layer.shapedirs))
        self.to(device)

    @property
    def faces(self) -> np.ndarray:
        """(F, 3) triangle indices."""
        return np.asarray(self.layer.faces, dtype=np.int64)

    @property
    def num_vertices(self) -> int:
        return int(self.layer.v_template.shape[0])

    def rest_joints(self, betas: Tensor) -> Tensor:
        """Rest (T-pose) body joints (..., 22, 3) for shape ``betas`` (..., num_betas)."""
        return self.J_template + torch.einsum("jcb,...b->...jc", self.J_shapedirs, betas)

    def pelvis_offset(self, betas: Tensor) -> Tensor:
        """Rest pelvis J0(betas) (..., 3): posed pelvis = transl + this."""
        return self.rest_joints(betas)[..., 0, :]

    def body_joints(self, betas: Tensor, global_orient: Tensor, body_pose: Tensor,
                    transl: Tensor | None = None) -> Tensor:
        """Posed body joints (..., 22, 3) from axis-angle parameters, without vertices.
        Equal to smplx's joints (pose correctives do not move joints), but much cheaper."""
        aa = torch.cat([global_orient[..., None, :],
                        body_pose.reshape(*body_pose.shape[:-1], -1, 3)], dim=-2)
        joints = forward_kinematics(self.rest_joints(betas), axis_angle_to_matrix(aa))
        return joints if transl is None else joints + transl[..., None, :]

    def landmarks(self, betas: Tensor, global_orient: Tensor, body_pose: Tensor,
                  transl: Tensor, index: list[int]) -> Tensor:
        """Selected smplx landmarks (N, len(index), 3) for flat batches (N, ·), equal to
        ``forward(...).landmarks[:, index]`` but skinning only the vertices they need.

        Landmarks 0..54 are joints, 55..75 single vertices, 76..126 face points (barycentric
        on triangles). Skinning: v' = Σ_j w_vj A_j (v + B_P(θ) + B_S(β)), A_j the rigid joint
        transforms.
        """
        from smplx.lbs import batch_rigid_transform, blend_shapes  # heavy import, kept local

        L = self.layer
        N = global_orient.shape[0]
        zeros = global_orient.new_zeros(N, 3 * (55 - 1 - 21))        # jaw, eyes, hands
        aa = torch.cat([global_orient, body_pose, zeros], dim=-1).view(N, 55, 3)
        R = axis_angle_to_matrix(aa)                                    # (N, 55, 3, 3)
        J = self.J55_template + torch.einsum("jcb,nb->njc", self.J55_shapedirs, betas)
        posed_joints, A = batch_rigid_transform(R, J, L.parents)        # (N, 55, 3), (N, 55, 4, 4)
        vertex_ids = L.vertex_joint_selector.extra_joints_idxs
        face_vertices = L.faces_tensor[L.lmk_faces_idx]                 # (51, 3)
        needed = torch.cat([vertex_ids, face_vertices.flatten()])
        v_shaped = L.v_template[needed] + blend_shapes(betas, L.shapedirs[needed])
        pose_feature = (R[:, 1:] - torch.eye(3, dtype=R.dtype)).view(N, -1)   # (N, 486)
        cols = (needed[:, None] * 3 + torch.arange(3)).flatten()
        v = v_shaped + (pose_feature @ L.posedirs[:, cols]).view(N, -1, 3)
        T = torch.einsum("vj,njab->nvab", L.lbs_weights[needed], A)     # (N, n, 4, 4)
        v = (T[..., :3, :3] @ v[..., None])[..., 0] + T[..., :3, 3]
        n_vid = vertex_ids.shape[0]
        face = (v[:, n_vid:].view(N, -1, 3, 3) * L.lmk_bary_coords[None, :, :, None]).sum(2)
        allpts = torch.cat([posed_joints, v[:, :n_vid], face], dim=1) + transl[:, None]
        return allpts[:, index]

    def forward(self, betas: Tensor, global_orient: Tensor, body_pose: Tensor,
                transl: Tensor | None = None, return_vertices: bool = False
                ) -> BodyModelOutput:
        """Run smplx on any leading batch shape (...)."""
        lead = global_orient.shape[:-1]
        n = int(np.prod(lead)) if len(lead) else 1
        flat = lambda x, d: x.reshape(n, d)  # noqa: E731
        betas = betas.expand(*lead, betas.shape[-1])
        zeros = lambda d: global_orient.new_zeros(n, d)  # noqa: E731
        out = self.layer(
            betas=flat(betas, betas.shape[-1]), global_orient=flat(global_orient, 3),
            body_pose=flat(body_pose, 63),
            transl=flat(transl, 3) if transl is not None else zeros(3),
            jaw_pose=zeros(3), leye_pose=zeros(3), reye_pose=zeros(3),
            left_hand_pose=zeros(45), right_hand_pose=zeros(45),
            expression=zeros(self.layer.num_expression_coeffs),
            return_verts=return_vertices)
        landmarks = out.joints.reshape(*lead, -1, 3)
        return BodyModelOutput(
            joints=landmarks[..., :55, :], landmarks=landmarks,
            vertices=out.vertices.reshape(*lead, -1, 3) if return_vertices else None)

    @torch.no_grad()
    def vertices_at(self, betas: Tensor, global_orient: Tensor, body_pose: Tensor,
                    pelvis: Tensor) -> Tensor:
        """Posed vertices (..., V, 3) moved so that the pelvis joint sits at ``pelvis``
        (..., 3): places a mesh where a model put the pelvis, on any body's shape space."""
        out = self.forward(betas, global_orient, body_pose, return_vertices=True)
        return out.vertices - out.joints[..., :1, :] + pelvis[..., None, :]


def forward_kinematics(rest: Tensor, rotations: Tensor) -> Tensor:
    """Posed body joints (..., 22, 3) from rest joints (..., 22, 3) and rotations
    (..., 22, 3, 3) = [root (global), joints 1..21 (local)]; the pelvis stays at rest[0].

    With R_j the local rotations and J the rest joints, the global rotation and position of
    joint j with parent p are
        G_j = G_p R_j,   P_j = P_p + G_p (J_j - J_p),   P_0 = J_0.
    """
    rot = global_rotations(rotations)                                      # (..., 22, 3, 3)
    pos = [rest[..., 0, :]]
    for j in range(1, NUM_BODY_JOINTS):
        p = BODY_PARENTS[j]
        bone = (rest[..., j, :] - rest[..., p, :])[..., None]              # (..., 3, 1)
        pos.append(pos[p] + (rot[..., p, :, :] @ bone)[..., 0])
    return torch.stack(pos, dim=-2)


def global_rotations(rotations: Tensor) -> Tensor:
    """(..., 22, 3, 3) each body joint's rotation in the root's frame of reference,
    G_j = G_p R_j, from [root (global), joints 1..21 (local)] (..., 22, 3, 3)."""
    rot = [rotations[..., 0, :, :]]
    for j in range(1, NUM_BODY_JOINTS):
        rot.append(rot[BODY_PARENTS[j]] @ rotations[..., j, :, :])
    return torch.stack(rot, dim=-3)


def transform_smplx_root(rotation: Tensor, translation: Tensor, global_orient: Tensor,
                         transl: Tensor, pelvis_offset: Tensor) -> tuple[Tensor, Tensor]:
    """Express SMPL-X root parameters in another frame: x' = R x + t.

    The root rotates about the pelvis J0, so with pelvis = transl + J0:
        global_orient' = R * global_orient,   transl' = R (transl + J0) + t - J0.
    Shapes: rotation (..., 3, 3), translation (..., 3), global_orient (..., 3) axis-angle,
    transl (..., 3), pelvis_offset (..., 3). Returns (global_orient', transl').
    """
    orient = matrix_to_axis_angle(rotation @ axis_angle_to_matrix(global_orient))
    pelvis = (rotation @ (transl + pelvis_offset)[..., None])[..., 0] + translation
    return orient, pelvis - pelvis_offset
