"""Forward kinematics of decoded body variables on the body model's shape space (runtime:
the pipeline's joints; training: the geometry losses).

    J_rest(β) = J̄ + S_J β,      J = FK(J_rest, [R_root, R_1..R_21]),      J_rel = J − J_0
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..body.body_model import forward_kinematics
from .representation import BodyVariables


class BodyGeometry(nn.Module):
    """Forward kinematics from decoded variables, on the body model's shape space."""

    def __init__(self, J_template: Tensor, J_shapedirs: Tensor) -> None:
        super().__init__()
        self.register_buffer("J_template", J_template.detach().clone())     # (22, 3)
        self.register_buffer("J_shapedirs", J_shapedirs.detach().clone())   # (22, 3, 10)

    def joints_rel(self, v: BodyVariables) -> Tensor:
        """Root-aligned camera-space joints (..., T, 22, 3) of the rotation branch."""
        rest = self.J_template + torch.einsum("jcb,...b->...jc", self.J_shapedirs, v.betas)
        R = torch.cat([v.root_rotation[..., None, :, :], v.local_rotations], dim=-3)
        J = forward_kinematics(rest, R)
        return J - J[..., :1, :]
