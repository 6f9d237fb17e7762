"""Forward kinematics of decoded body variables on the body model's shape space (runtime:
the pipeline's joints; training: the geometry losses).

    J_rest(β) = J̄ + S_J β,      J = FK(J_rest, [R_root, R_1..R_21]),      J_rel = J − J_0

A body s times larger (``scaled_betas``): the shape whose pelvis-relative rest skeleton
is closest to s times this one's, a linear least-squares problem in β' (ridge λ),
    min_β' ‖S_rel β' − (s (J̄_rel + S_rel β) − J̄_rel)‖² + λ ‖β'‖²,
where _rel takes the pelvis off every joint.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..body.body_model import forward_kinematics
from .representation import BodyVariables

HEAD, ANKLES = 15, [7, 8]             # SMPL-X joints


class BodyGeometry(nn.Module):
    """Forward kinematics from decoded variables, on the body model's shape space."""

    def __init__(self, J_template: Tensor, J_shapedirs: Tensor) -> None:
        super().__init__()
        self.register_buffer("J_template", J_template.detach().clone())     # (22, 3)
        self.register_buffer("J_shapedirs", J_shapedirs.detach().clone())   # (22, 3, 10)

    def rest_joints(self, betas: Tensor) -> Tensor:
        """(..., 22, 3) rest skeleton of ``betas`` (..., 10), y up."""
        return self.J_template + torch.einsum("jcb,...b->...jc", self.J_shapedirs, betas)

    def skeleton_height(self, betas: Tensor) -> Tensor:
        """(...,) the rest head joint's height above the ankle joints' (a stature proxy)."""
        J = self.rest_joints(betas)
        return J[..., HEAD, 1] - J[..., ANKLES, 1].mean(-1)

    def scaled_betas(self, betas: Tensor, scale: Tensor, ridge: float = 1e-4) -> Tensor:
        """(..., 10) the shape ``scale`` (...,) times as large as ``betas`` (module doc)."""
        S = self.J_shapedirs - self.J_shapedirs[:1]                     # (22, 3, 10)
        rest = self.J_template - self.J_template[:1]                    # (22, 3)
        target = (scale[..., None, None] * (rest + torch.einsum("jcb,...b->...jc", S, betas))
                  - rest).flatten(-2)                                   # (..., 66)
        A = S.flatten(0, 1)                                             # (66, 10)
        lhs = A.T @ A + ridge * torch.eye(A.shape[1], dtype=A.dtype, device=A.device)
        return torch.linalg.solve(lhs, (target @ A)[..., None])[..., 0]

    def joints_rel(self, v: BodyVariables) -> Tensor:
        """Root-aligned camera-space joints (..., T, 22, 3) of the rotation branch."""
        rest = self.J_template + torch.einsum("jcb,...b->...jc", self.J_shapedirs, v.betas)
        R = torch.cat([v.root_rotation[..., None, :, :], v.local_rotations], dim=-3)
        J = forward_kinematics(rest, R)
        return J - J[..., :1, :]
