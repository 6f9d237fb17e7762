"""The SMPL-X kinematic tree and the joint sets FactorizedHMR factorises the body into.

SMPL-X canonical (rest) frame: y up, z forward (the way the body faces), x to the body's
left. Rest pose is a T-pose. Joint order and parents are SMPL-X's (55 joints).
"""

from __future__ import annotations

SMPLX_JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2",
    "left_ankle", "right_ankle", "spine3", "left_foot", "right_foot", "neck",
    "left_collar", "right_collar", "head", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "jaw", "left_eye", "right_eye",
    "left_index1", "left_index2", "left_index3", "left_middle1", "left_middle2",
    "left_middle3", "left_pinky1", "left_pinky2", "left_pinky3", "left_ring1",
    "left_ring2", "left_ring3", "left_thumb1", "left_thumb2", "left_thumb3",
    "right_index1", "right_index2", "right_index3", "right_middle1", "right_middle2",
    "right_middle3", "right_pinky1", "right_pinky2", "right_pinky3", "right_ring1",
    "right_ring2", "right_ring3", "right_thumb1", "right_thumb2", "right_thumb3",
)

# Parent of each joint (-1 for the root), SMPL-X's kintree_table[0].
SMPLX_PARENTS: tuple[int, ...] = (
    -1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19,
    15, 15, 15,
    20, 25, 26, 20, 28, 29, 20, 31, 32, 20, 34, 35, 20, 37, 38,
    21, 40, 41, 21, 43, 44, 21, 46, 47, 21, 49, 50, 21, 52, 53,
)

NUM_JOINTS = 55          # all SMPL-X joints
NUM_BODY_JOINTS = 22     # pelvis + 21 body joints: what FactorizedHMR estimates
NUM_BODY_POSE_JOINTS = 21  # joints 1..21, the rows of SMPL-X `body_pose`
BODY_JOINT_NAMES = SMPLX_JOINT_NAMES[:NUM_BODY_JOINTS]
BODY_PARENTS = SMPLX_PARENTS[:NUM_BODY_JOINTS]

# Stage-1 anchor rotations: the well-constrained torso (pelvis is the global root).
TORSO_JOINTS: tuple[int, ...] = (0, 3, 6, 9, 12, 13, 14, 15)
# Completed by Stage 2: limbs.
NON_TORSO_JOINTS: tuple[int, ...] = (1, 2, 4, 5, 7, 8, 10, 11, 16, 17, 18, 19, 20, 21)
# Foot contact, sliding and the floor: ankles and feet (7, 8, 10, 11).
FOOT_JOINTS: tuple[int, ...] = tuple(
    BODY_JOINT_NAMES.index(n) for n in ("left_ankle", "right_ankle", "left_foot", "right_foot"))

# Left/right mirror of the 55 joints (index of the mirrored joint).
def _mirror_index(name: str) -> int:
    if name.startswith("left_"):
        return SMPLX_JOINT_NAMES.index("right_" + name[5:])
    if name.startswith("right_"):
        return SMPLX_JOINT_NAMES.index("left_" + name[6:])
    return SMPLX_JOINT_NAMES.index(name)


SMPLX_MIRROR: tuple[int, ...] = tuple(_mirror_index(n) for n in SMPLX_JOINT_NAMES)


def children(joint: int, parents: tuple[int, ...] = SMPLX_PARENTS) -> list[int]:
    """Direct children of ``joint``."""
    return [j for j, p in enumerate(parents) if p == joint]


def descendants(joint: int, parents: tuple[int, ...] = SMPLX_PARENTS) -> list[int]:
    """All joints below ``joint`` in the tree (not including it)."""
    out: list[int] = []
    stack = children(joint, parents)
    while stack:
        j = stack.pop()
        out.append(j)
        stack.extend(children(j, parents))
    return sorted(out)
