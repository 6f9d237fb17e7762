"""A person's motion onto the Unitree G1 humanoid (29 joints) with differential IK: mink
(Apache-2.0) over MuJoCo, on the G1's kinematic MJCF (fhmr_ros/robots/unitree_g1:
BSD-3-Clause, Unitree Robotics; meshes stripped by scripts/g1_kinematics.py).

1. Scale: the human's world joints (z up, floor z = 0) times s = G1_STATURE_M / stature,
   about the world origin, so the floor stays at z = 0 and every length (a step, a
   reach) scales with the person's measured height.
2. Targets per frame: the pelvis (the hips' midpoint, and the human pelvis orientation),
   the torso's orientation, and the positions of hips, knees, ankles, shoulders, elbows
   and wrists, on the G1's OpenPose BODY_25 sites. A foot in contact (the clean-up's
   labels) has its ankle target on the G1's standing ankle height.
3. Solve: each frame starts from the last one's solution (the first from the stand
   keyframe) and takes ``iterations`` steps of mink's QP (daqp) with the joint limits as
   constraints and a light posture task towards the stand keyframe.
4. No foot through the floor: where a foot's contact spheres would be below z = 0 the
   root is raised by that much.

Axes: SMPL-X's rest frame (x left, y up, z forward) becomes the G1's (x forward, y left,
z up) through SMPLX_TO_REP.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..body.body_model import BodyModel, global_rotations
from ..body.human_model_joints import SMPLX_TO_REP
from ..body.rest_measures import stature
from ..geometry.rotations import axis_angle_to_matrix
from .clean_up import world_joints
from .joint_tables import joint_angles
from .person_track import PersonTrack

G1_MJCF = Path(__file__).resolve().parents[1] / "robots" / "unitree_g1" / "g1_kinematics.xml"
G1_STATURE_M = 1.32          # Unitree's published standing height of the G1
# G1 BODY_25 site <- SMPL-X body joint, and the position cost of each
SITE_TARGETS = (("BODY_25:MidHip", (1, 2), 5.0),
                ("BODY_25:LHip", (1,), 1.0), ("BODY_25:RHip", (2,), 1.0),
                ("BODY_25:LKnee", (4,), 2.0), ("BODY_25:RKnee", (5,), 2.0),
                ("BODY_25:LAnkle", (7,), 5.0), ("BODY_25:RAnkle", (8,), 5.0),
                ("BODY_25:LShoulder", (16,), 1.0), ("BODY_25:RShoulder", (17,), 1.0),
                ("BODY_25:LElbow", (18,), 0.5), ("BODY_25:RElbow", (19,), 0.5),
                ("BODY_25:LWrist", (20,), 5.0), ("BODY_25:RWrist", (21,), 5.0))
ENDS = ("BODY_25:LAnkle", "BODY_25:RAnkle", "BODY_25:LWrist", "BODY_25:RWrist")
REACH_M = 0.05                             # an end within this of its target: reached
FEET_BODIES = ("left_ankle_roll_link", "right_ankle_roll_link")
PELVIS, TORSO = 0, 9                       # SMPL-X joints whose orientation is a target


@dataclass
class RobotMotion:
    fps: float
    joint_names: list[str]                 # the 29 actuated joints, MJCF order
    root_pos: np.ndarray                   # (T, 3) m, world, z up, floor z = 0
    root_rot: np.ndarray                   # (T, 4) x, y, z, w
    dof_pos: np.ndarray                    # (T, 29) rad
    end_error: np.ndarray                  # (T, 4) m: ankles, wrists vs their targets
    limit_violations: int                  # joint values outside their ranges
    lowest_foot_m: float
    scale: float                           # robot lengths per human length
    human_joints: np.ndarray               # (T, 22, 3) the scaled human, world
    body_positions: np.ndarray             # (T, N, 3) the robot's body origins, world
    body_parents: list[int]                # each body's parent (-1: the world)

    def report(self) -> dict:
        """What summary.json says about it."""
        within = self.end_error < REACH_M
        return {"scale": round(self.scale, 4), "limit_violations": self.limit_violations,
                "lowest_foot_m": round(self.lowest_foot_m, 4),
                "feet_within_5cm": round(float(within[:, :2].mean()), 3),
                "hands_within_5cm": round(float(within[:, 2:].mean()), 3)}

    def save(self, stem: Path) -> list[Path]:
        """``<stem>.npz`` and ``<stem>.csv`` (one row per frame: root x y z, root
        quaternion x y z w, then the 29 joint angles in joint_names' order, no header:
        the layout BeyondMimic-style motion trackers read)."""
        npz, csv = stem.with_suffix(".npz"), stem.with_suffix(".csv")
        np.savez(npz, fps=np.array(self.fps), joint_names=np.array(self.joint_names),
                 root_pos=self.root_pos, root_rot=self.root_rot, dof_pos=self.dof_pos)
        np.savetxt(csv, np.concatenate([self.root_pos, self.root_rot, self.dof_pos], 1),
                   delimiter=",", fmt="%.6f")
        return [npz, csv]


def target_rotations(axis_angles: np.ndarray) -> np.ndarray:
    """(..., 22, 3) axis-angles (the root in the world, then joints 1..21) -> (..., 22, 3, 3)
    world joint rotations in the G1's axes."""
    local = axis_angle_to_matrix(torch.from_numpy(np.asarray(axis_angles)).double())
    return global_rotations(local).numpy() @ SMPLX_TO_REP


def human_targets(track: PersonTrack, body: BodyModel, scale: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(T, 22, 3) scaled world joints and (T, 22, 3, 3) world joint rotations in the
    G1's axes."""
    return scale * world_joints(track, body), target_rotations(joint_angles(track))


@functools.lru_cache(maxsize=1)
def g1_joint_names() -> tuple[str, ...]:
    """The G1's 29 actuated joints, MJCF order (after the floating root)."""
    import mujoco
    model = mujoco.MjModel.from_xml_path(str(G1_MJCF))
    return tuple(model.joint(j).name for j in range(1, model.njnt))


class G1Solver:
    """The G1 following one person frame by frame (steps 2-4 of the module doc): each
    ``solve`` starts from the last solution (the first from the stand keyframe, moved under
    the pelvis target)."""

    def __init__(self, iterations: int = 12) -> None:
        import mink
        import mujoco

        self.iterations = iterations
        self.model = mujoco.MjModel.from_xml_path(str(G1_MJCF))
        self.config = mink.Configuration(self.model)
        self.config.update_from_keyframe("stand")
        self.sites = {name: mink.FrameTask(name, "site", position_cost=cost,
                                           orientation_cost=0.0)
                      for name, _, cost in SITE_TARGETS}
        self.pelvis = mink.FrameTask("pelvis", "body", position_cost=0.0, orientation_cost=5.0)
        self.torso = mink.FrameTask("torso_link", "body", position_cost=0.0,
                                    orientation_cost=2.0)
        posture = mink.PostureTask(self.model, cost=1e-2)
        posture.set_target(self.config.q.copy())
        self.tasks = [*self.sites.values(), self.pelvis, self.torso, posture]
        self.limits = [mink.ConfigurationLimit(self.model)]
        self.ankle_height = {n: self._site(n)[2] for n in ENDS[:2]}
        self.started = False

    def _site(self, name: str) -> np.ndarray:
        return self.config.get_transform_frame_to_world(name, "site").translation()

    def solve(self, joints: np.ndarray, rotations: np.ndarray, contacts: np.ndarray | None,
              dt: float) -> tuple[np.ndarray, np.ndarray]:
        """Scaled world joints (22, 3), their G1-axes rotations (22, 3, 3) and the feet in
        contact (2,) bool or None -> the configuration q (nq,) (root xyz, root wxyz, 29
        joints) and the distances (4,) m of ENDS from their targets."""
        import mink

        targets = {}
        for name, index, _ in SITE_TARGETS:
            p = joints[list(index)].mean(axis=0)
            side = ENDS[:2].index(name) if name in ENDS[:2] else None
            if side is not None and contacts is not None and contacts[side]:
                p = np.array([p[0], p[1], self.ankle_height[name]])
            targets[name] = p
            self.sites[name].set_target(mink.SE3.from_translation(p))
        self.pelvis.set_target(mink.SE3.from_rotation(mink.SO3.from_matrix(rotations[PELVIS])))
        self.torso.set_target(mink.SE3.from_rotation(mink.SO3.from_matrix(rotations[TORSO])))
        iterations = self.iterations
        if not self.started:                 # start under the pelvis target
            q = self.config.q
            q[:3] += targets["BODY_25:MidHip"] - self._site("BODY_25:MidHip")
            self.config.update(q)
            iterations, self.started = 4 * iterations, True
        for _ in range(iterations):
            velocity = mink.solve_ik(self.config, self.tasks, dt, "daqp", 1e-3,
                                     limits=self.limits)
            self.config.integrate_inplace(velocity, dt)
        _lift_feet(self.config, self.model)
        errors = np.array([np.linalg.norm(self._site(n) - targets[n]) for n in ENDS])
        return self.config.q.copy(), errors


def retarget_g1(track: PersonTrack, body: BodyModel, fps: float,
                contacts: np.ndarray | None = None, iterations: int = 12) -> RobotMotion:
    """The track on the G1 (module doc); ``contacts`` (T, 2) bool, left and right foot."""
    solver = G1Solver(iterations)
    model = solver.model
    scale = G1_STATURE_M / stature(body, np.median(track.betas, axis=0))
    joints, rotations = human_targets(track, body, scale)
    T = len(joints)
    qs, errors = np.zeros((T, model.nq)), np.zeros((T, len(ENDS)))
    for t in range(T):
        qs[t], errors[t] = solver.solve(joints[t], rotations[t],
                                        None if contacts is None else contacts[t], 1.0 / fps)
    lowest, bodies = _posed(model, qs)
    ranges = model.jnt_range[1:]
    dof = qs[:, 7:]
    violations = int(((dof < ranges[:, 0] - 1e-6) | (dof > ranges[:, 1] + 1e-6)).sum())
    parents = [int(p) - 1 for p in model.body_parentid[1:]]     # without the world body
    return RobotMotion(fps, list(g1_joint_names()), qs[:, :3], qs[:, [4, 5, 6, 3]], dof, errors,
                       violations, lowest, scale, joints, bodies[:, 1:], parents)


def _foot_spheres(model, data) -> np.ndarray:
    """World z of the bottoms of the feet's contact spheres."""
    import mujoco
    feet = {mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, n) for n in FEET_BODIES}
    return np.array([data.geom_xpos[g, 2] - model.geom_size[g, 0] for g in range(model.ngeom)
                     if model.geom_bodyid[g] in feet])


def _posed(model, qs: np.ndarray) -> tuple[float, np.ndarray]:
    """The lowest foot sphere bottom over every frame (m) and the body origins
    (T, nbody, 3) of the configurations ``qs`` (T, nq)."""
    import mujoco
    data = mujoco.MjData(model)
    lowest, bodies = np.inf, []
    for q in qs:
        data.qpos[:] = q
        mujoco.mj_kinematics(model, data)
        lowest = min(lowest, float(_foot_spheres(model, data).min()))
        bodies.append(data.xpos.copy())
    return lowest, np.array(bodies)


def _lift_feet(config, model) -> None:
    """Raise the root where a foot would be below the floor (module doc, step 4)."""
    below = -_foot_spheres(model, config.data).min()
    if below > 0:
        q = config.q
        q[2] += below
        config.update(q)
