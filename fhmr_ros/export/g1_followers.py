"""The Unitree G1 following every tracked person live (the node's ``publish_g1`` output, for
teleoperation): one G1Solver (export/humanoid_retarget.py) per track, fed each published
frame as it comes, warm-started from the track's last solution.

Per frame: the world joints with the floor at z = 0 (``floor_z`` is the floor's height in
the world frame at that image) scaled by s = G1_STATURE_M / stature(betas) (the stature is
recomputed only when the shape moved by more than RESHAPE in any coefficient), the joint
rotations,
and Stage 2's foot contacts (probability > 0.5) pinning an ankle to the G1's standing
ankle height.
"""

from __future__ import annotations

import numpy as np

from ..body.body_model import BodyModel
from ..body.rest_measures import stature
from .humanoid_retarget import G1_STATURE_M, G1Solver, target_rotations

RESHAPE = 0.05          # a betas change that makes the stature be measured again
CONTACT_PROBABILITY = 0.5
LIVE_ITERATIONS = 6     # IK steps a frame: warm-started, as close as 12 (fhmr-bench g1)
DT = 1.0 / 30.0         # the IK's step (its velocity is integrated over it: the update is dt-free)


class G1Followers:
    def __init__(self, body: BodyModel, iterations: int = LIVE_ITERATIONS) -> None:
        self.body = body
        self.iterations = iterations
        self._solvers: dict[int, G1Solver] = {}
        self._shapes: dict[int, tuple[np.ndarray, float]] = {}   # track -> (betas, scale)

    def step(self, track_id: int, joints_world: np.ndarray, global_orient: np.ndarray,
             body_pose: np.ndarray, betas: np.ndarray, contact: np.ndarray,
             floor_z: float = 0.0) -> np.ndarray:
        """One published frame of a track -> the G1's 29 joint positions (rad), MJCF order.
        joints_world (22, 3) m, global_orient (3,) and body_pose (63,) axis-angle in the
        world, betas (10,), contact (4,) probabilities (left, right foot first), the floor's
        world height floor_z (m)."""
        solver = self._solvers.get(track_id)
        if solver is None:
            solver = self._solvers[track_id] = G1Solver(self.iterations)
        scale = self._scale(track_id, betas)
        joints = scale * (np.asarray(joints_world, np.float64) - [0.0, 0.0, floor_z])
        angles = np.concatenate([np.reshape(global_orient, (1, 3)),
                                 np.reshape(body_pose, (21, 3))])            # (22, 3)
        q, _ = solver.solve(joints, target_rotations(angles), np.asarray(contact[:2])
                            > CONTACT_PROBABILITY, DT)
        return q[7:]

    def _scale(self, track_id: int, betas: np.ndarray) -> float:
        known = self._shapes.get(track_id)
        if known is None or np.abs(known[0] - betas).max() > RESHAPE:
            known = self._shapes[track_id] = (
                np.array(betas, np.float32), G1_STATURE_M / stature(self.body, betas))
        return known[1]

    def forget(self, live_tracks: set[int]) -> None:
        """Drop the solvers of tracks that ended."""
        for t in [t for t in self._solvers if t not in live_tracks]:
            del self._solvers[t]
            self._shapes.pop(t, None)
