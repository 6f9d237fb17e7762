"""A coarse body mesh for visualisation (RViz markers), posed by linear blend skinning on
its own vertices only.

``MeshDecimator`` reduces a mesh by vertex clustering once, on the rest-pose template.
``DecimatedBody`` then restricts the SMPL-X layer's template, shape and pose blend shapes
and skinning weights to the kept vertices and poses just those (a few hundred instead of
10,475): with shape β, rotations R_j (55 joints; jaw, eyes and fingers at rest) and
rest joints J(β) = J_0 + J_S β (the joint regressor applied to the shaped template, which
is linear in β, so it is precomputed),

    v_shaped = T + S β,   v_posed = v_shaped + P vec(R_1..54 − I),
    v = Σ_j w_j G_j(R, J) [v_posed; 1]

(G_j the world transforms of the kinematic chain; SMPL-X's own LBS, on fewer vertices).
"""

from __future__ import annotations

import numpy as np
import torch
from smplx.lbs import batch_rigid_transform
from torch import Tensor

from ..geometry.rotations import axis_angle_to_matrix
from .body_model import BodyModel

NUM_SMPLX_JOINTS = 55


class MeshDecimator:
    """Vertex-clustering decimation, computed once on a template mesh (rest pose) and
    applied to every posed mesh of the same topology.

    The template's vertices are binned into cubic voxels of ``voxel_size`` (m); each voxel
    keeps one representative vertex (the one nearest the voxel's vertex centroid), faces are
    re-indexed onto the representatives, and faces that collapse (two corners in one voxel)
    or repeat (the same three voxels) are dropped. Decimating a posed mesh is then just
    ``vertices[vertex_index]``.
    """

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, voxel_size: float = 0.05):
        vertices = np.asarray(vertices, np.float64)                  # (V, 3)
        faces = np.asarray(faces, np.int64)                          # (F, 3)
        voxels = np.floor(vertices / voxel_size).astype(np.int64)    # (V, 3)
        _, cluster = np.unique(voxels, axis=0, return_inverse=True)
        cluster = cluster.reshape(-1)                                # (V,) voxel of each vertex
        n = int(cluster.max()) + 1
        centroid = np.zeros((n, 3))
        np.add.at(centroid, cluster, vertices)
        centroid /= np.bincount(cluster, minlength=n)[:, None]       # (n, 3)
        distance = np.linalg.norm(vertices - centroid[cluster], axis=1)  # (V,)
        order = np.lexsort((distance, cluster))                      # by voxel, then distance
        first = np.r_[True, cluster[order][1:] != cluster[order][:-1]]
        representative = order[first]                                # (n,) nearest per voxel
        clustered = cluster[faces]                                   # (F, 3)
        a, b, c = clustered.T
        clustered = clustered[(a != b) & (b != c) & (a != c)]
        _, unique = np.unique(np.sort(clustered, axis=1), axis=0, return_index=True)
        clustered = clustered[np.sort(unique)]                       # (G, 3), template order
        used = np.unique(clustered)                                  # (M,) voxels in a face
        self.vertex_index = representative[used]                     # (M,)
        self.faces = np.searchsorted(used, clustered)                # (G, 3) into vertex_index

    def decimate(self, vertices: np.ndarray) -> np.ndarray:
        """Posed vertices (V, 3) of the template's topology -> (M, 3) representatives."""
        return np.asarray(vertices)[self.vertex_index]


class DecimatedBody:
    """Poses only the decimated vertices of a BodyModel's mesh (see the module docstring)."""

    def __init__(self, body: BodyModel, voxel_size: float = 0.07) -> None:
        L = body.layer
        zeros = torch.zeros
        rest = body.forward(zeros(1, 10), zeros(1, 3), zeros(1, 63), return_vertices=True)
        self.decimator = MeshDecimator(rest.vertices[0].numpy(), body.faces, voxel_size)
        keep = torch.from_numpy(self.decimator.vertex_index)
        M = len(keep)
        with torch.no_grad():
            nb = L.shapedirs.shape[-1]
            self.template = L.v_template[keep].double()                          # (M, 3)
            self.shapedirs = L.shapedirs[keep].double()                          # (M, 3, B)
            self.posedirs = (L.posedirs.reshape(-1, L.v_template.shape[0], 3)[:, keep]
                             .reshape(-1, 3 * M).double())                       # (486, 3M)
            self.weights = L.lbs_weights[keep].double()                          # (M, 55)
            self.J_template = (L.J_regressor @ L.v_template).double()            # (55, 3)
            self.J_shapedirs = torch.einsum("jv,vcb->jcb", L.J_regressor,
                                            L.shapedirs).double()               # (55, 3, B)
        self.num_betas = nb
        self.parents = L.parents.clone()

    @property
    def faces(self) -> np.ndarray:
        """(G, 3) triangles into the decimated vertices."""
        return self.decimator.faces

    @torch.no_grad()
    def vertices_at(self, betas: Tensor, global_orient: Tensor, body_pose: Tensor,
                    pelvis: Tensor) -> Tensor:
        """(M, 3) posed decimated vertices with the pelvis joint at ``pelvis`` (3,); betas
        (≤ B,), global_orient (3,) and body_pose (63,) axis-angle, as BodyModel.vertices_at."""
        beta = torch.zeros(self.num_betas, dtype=torch.float64)
        n = min(len(betas), self.num_betas)
        beta[:n] = torch.as_tensor(betas, dtype=torch.float64)[:n]
        pose = torch.zeros(NUM_SMPLX_JOINTS, 3, dtype=torch.float64)
        pose[0] = torch.as_tensor(global_orient, dtype=torch.float64)
        pose[1:22] = torch.as_tensor(body_pose, dtype=torch.float64).reshape(21, 3)
        R = axis_angle_to_matrix(pose)                                           # (55, 3, 3)
        shaped = self.template + self.shapedirs @ beta                           # (M, 3)
        joints = self.J_template + self.J_shapedirs @ beta                       # (55, 3)
        feature = (R[1:] - torch.eye(3, dtype=torch.float64)).reshape(-1)        # (486,)
        posed = shaped + (feature @ self.posedirs).reshape(-1, 3)                # (M, 3)
        _, A = batch_rigid_transform(R[None], joints[None], self.parents,
                                     dtype=torch.float64)                         # (1, 55, 4, 4)
        T = (self.weights @ A[0].reshape(NUM_SMPLX_JOINTS, 16)).reshape(-1, 4, 4)  # (M, 4, 4)
        v = (T[:, :3, :3] @ posed[..., None])[..., 0] + T[:, :3, 3]
        return v - joints[0] + torch.as_tensor(pelvis, dtype=torch.float64)
