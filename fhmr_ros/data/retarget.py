"""Retarget a BVH skeleton onto SMPL-X body rotations in the z-up world.

Frames. The source (BVH) frame has its own up and forward axes (BvhJointMap.up_axis /
forward_axis; the rest pose, every rotation zero, must be a T-pose facing forward_axis).
C (3, 3) maps the SMPL-X canonical body frame (x left, y up, z forward) into the source
frame; A = UPRIGHT_FACING_X C^T maps the source frame into the world (z up), so a subject
facing the source's forward axis faces world +x.

Method (all frames at once):
 1. Shape. SMPL-X rest joints are linear in betas, J(b) = J_tpl + S b. Betas and a
    translation t place the SMPL-X rest skeleton on the source rest skeleton at the paired
    joints (BvhJointMap.position_pairs, source points Y_i in metres):
        min_{b, t}  sum_i |C (J_tpl,i + S_i b) + t - Y_i|^2 + lambda |b|^2
    (RetargetConfig.shape = "betas"), or, with neutral betas, a source scale k:
        min_{k, t}  sum_i |C J_tpl,i + t - k Y_i|^2                          ("scale").
    X_j = C J_j(b) + t is then every SMPL-X rest joint placed in the source rest pose.
 2. Markers. Each SMPL-X joint j rides rigidly on the source bone s that drives its parent
    (s = source(parent(j)), BvhJointMap.rotation_source, inherited down the SMPL-X tree):
        m_j(t) = P_s(t) + G_s(t) (X_j - P_s^rest)
    with P_s, G_s the source joint's global position and frame (identity at rest). A rig
    whose rest pose is not a T-pose (BvhJointMap.aim_at_source_joints) instead takes the
    paired joints' markers from the source itself, m_j(t) = P_pair(j)(t): its rest bones
    point elsewhere than SMPL-X's, so carrying SMPL-X's rest joints would copy that offset.
 3. Rotations. With Q_j = G_source(j) C (the source's rotation, SMPL-X rest -> posed),
    r_jc = J_c - J_j the SMPL-X rest bones and u_jc = m_c - m_j the posed marker bones,
    the global rotation of SMPL-X joint j is
        no child, own source:       G_j = Q_j
        no child, inherited source: G_j = G_parent(j)                 (local identity)
        one child c:                G_j = Swing(Q_j r_jc -> u_jc) Q_j  (bone direction exact,
                                                                      twist from the source)
        several children:           G_j = argmin_R sum_c |R r_jc - u_jc|^2   (Kabsch)
    where Swing(a -> b) is the smallest rotation taking direction a to direction b.
    Spine and neck are the exception: a source spine rarely bends where SMPL-X's does, and
    aiming short spine segments at markers on other bones zig-zags them. They take
    G_j = Q_j, then one swing, spread over spine1..3, puts the neck on its marker
    (_bend_spine). Locals: R_j = G_parent^T G_j; world root orientation A G_0.
 4. Root and ground. The SMPL-X pelvis sits on its marker m_0; the clip is shifted
    vertically so the feet touch z = 0: per frame the lowest of (ankle, foot) joint height
    minus that joint's rest height above the sole, and the clip's ground is a low
    percentile of that over the frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..body.body_model import BodyModel
from ..body.skeleton import (BODY_JOINT_NAMES, BODY_PARENTS, FOOT_JOINTS, NUM_BODY_JOINTS,
                             children)
from ..geometry.gravity_view import UPRIGHT_FACING_X
from ..geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle
from .bvh import BvhFile, forward_kinematics, rest_positions
from .motion import SMPLX_NUM_BETAS, MotionClip

SPINE = tuple(BODY_JOINT_NAMES.index(n) for n in ("spine1", "spine2", "spine3"))
NECK = BODY_JOINT_NAMES.index("neck")
SPINE_ITERATIONS = 3


def _axis_vector(spec: str) -> np.ndarray:
    """"+y" / "-z" / "x" -> unit vector (3,)."""
    s = spec.strip().lower()
    sign = -1.0 if s.startswith("-") else 1.0
    axis = s.lstrip("+-")
    if axis not in ("x", "y", "z"):
        raise ValueError(f"axis must be one of +x, -x, +y, -y, +z, -z; got {spec!r}")
    v = np.zeros(3)
    v["xyz".index(axis)] = sign
    return v


@dataclass(frozen=True)
class BvhJointMap:
    """How one BVH rig corresponds to the SMPL-X body (22 joints).

    ``rotation_source``: SMPL-X joint -> BVH joint whose rotation drives that SMPL-X
    joint's segment. ``pelvis`` is required; an SMPL-X joint left out inherits its parent's
    source (its local rotation is then the identity when it is a leaf, and its segment
    still follows the source's markers when it is not). ``position_pairs``: SMPL-X joint ->
    BVH joint or End Site (``<joint>:end``) at the same anatomical place; they fit the body
    shape and are the joints the position error is measured on (REACTIDLE_MAP and the CMU
    maps below are examples).

    The rig's rest pose (all channels zero) must be a T-pose facing ``forward_axis``, as
    SMPL-X's is; an A-pose or otherwise rotated rest pose is not corrected.
    """

    name: str
    rotation_source: dict[str, str]
    position_pairs: dict[str, str]
    up_axis: str = "+y"                 # source axis pointing up: "+x", "-z", ...
    forward_axis: str = "+z"            # source axis the rest pose faces
    units_to_metres: float | None = 1.0  # source length unit in metres; None: from the
    #                                     skeleton (skeleton_units)
    add_root_offset: bool = True        # see bvh.forward_kinematics
    # the paired joints' markers are the source joints themselves (not SMPL-X's rest joints
    # carried by the source bones): for rigs whose rest pose is not SMPL-X's T-pose, such as
    # CMU's, whose rest legs are splayed ~20 degrees (method step 2)
    aim_at_source_joints: bool = False

    def __post_init__(self) -> None:
        for table in (self.rotation_source, self.position_pairs):
            unknown = set(table) - set(BODY_JOINT_NAMES)
            if unknown:
                raise ValueError(f"{self.name}: not SMPL-X body joints: {sorted(unknown)}")
        if "pelvis" not in self.rotation_source:
            raise ValueError(f"{self.name}: rotation_source must map 'pelvis'")
        if len(self.position_pairs) < 3:
            raise ValueError(f"{self.name}: position_pairs needs at least 3 joints")
        if abs(_axis_vector(self.up_axis) @ _axis_vector(self.forward_axis)) > 0.5:
            raise ValueError(f"{self.name}: up_axis and forward_axis must differ")


def _sides(left: dict[str, str], right_of=lambda name: name.replace(".L", ".R")
           ) -> dict[str, str]:
    """Add the right-side twin of every ``left_*`` entry (its source joint named by
    ``right_of``: Blender's ``.L`` -> ``.R`` by default)."""
    out = dict(left)
    for k, v in left.items():
        if k.startswith("left_"):
            out["right_" + k[5:]] = right_of(v)
    return out


# ReActIdle (Blender-style rig, metres, Y up, rest T-pose facing +Z). Its spine bends at
# pelvis and spine.001 (about 0.29 m above the hips, between SMPL-X spine1 and spine2); it
# has no hand, toe or separate head-top joint.
REACTIDLE_MAP = BvhJointMap(
    name="reactidle",
    rotation_source=_sides({
        "pelvis": "pelvis", "spine1": "spine", "spine2": "spine.001", "spine3": "spine.001",
        "neck": "neck", "head": "face", "left_hip": "thigh.L", "left_knee": "shin.L",
        "left_ankle": "foot.L", "left_collar": "shoulder.L", "left_shoulder": "upper_arm.L",
        "left_elbow": "forearm.L"}),
    position_pairs=_sides({
        "left_hip": "thigh.L", "left_knee": "shin.L", "left_ankle": "foot.L",
        "left_shoulder": "upper_arm.L", "left_elbow": "forearm.L",
        "left_wrist": "forearm.L:end"}),
)


CMU_PAIRED = ("left_hip", "left_knee", "left_ankle", "left_shoulder", "left_elbow",
              "left_wrist")                    # and their right twins: the position pairs


def _cmu_map(name: str, left_sources: dict[str, str], right_of) -> BvhJointMap:
    """A CMU rig: its joints drive SMPL-X's (``left_sources`` and their right twins), the
    limb joints are also the position pairs; units from the skeleton; rest legs splayed."""
    return BvhJointMap(
        name=name, rotation_source=_sides(left_sources, right_of),
        position_pairs=_sides({j: left_sources[j] for j in CMU_PAIRED}, right_of),
        units_to_metres=None, aim_at_source_joints=True)


# The MotionBuilder-friendly conversion (subjects 01-09: root "Hips", Z-Y-X channels, rest
# T-pose facing +Z, Y up; its unit, ~5.3 cm, is found per file). Spine: LowerBack, Spine,
# Spine1 stack up from the hips; Neck and Neck1 split the neck.
CMU_MAP = _cmu_map("cmu", {
    "pelvis": "Hips", "spine1": "LowerBack", "spine2": "Spine", "spine3": "Spine1",
    "neck": "Neck", "head": "Head", "left_hip": "LeftUpLeg", "left_knee": "LeftLeg",
    "left_ankle": "LeftFoot", "left_foot": "LeftToeBase", "left_collar": "LeftShoulder",
    "left_shoulder": "LeftArm", "left_elbow": "LeftForeArm", "left_wrist": "LeftHand"},
    right_of=lambda name: name.replace("Left", "Right"))
# The database's own ASF joint names (subject 16: root "hip", the MotionBuilder
# conversion's geometry and unit): lowerback, upperback and thorax are its spine.
CMU_ASF_MAP = _cmu_map("cmu_asf", {
    "pelvis": "hip", "spine1": "lowerback", "spine2": "upperback", "spine3": "thorax",
    "neck": "lowerneck", "head": "head", "left_hip": "lfemur", "left_knee": "ltibia",
    "left_ankle": "lfoot", "left_foot": "ltoes", "left_collar": "lclavicle",
    "left_shoulder": "lhumerus", "left_elbow": "lradius", "left_wrist": "lwrist"},
    right_of=lambda name: "r" + name[1:])
# The Daz-friendly conversion (subjects 10-14: root "hip", about centimetres): abdomen and
# chest are its spine, no toe joint.
CMU_DAZ_MAP = _cmu_map("cmu_daz", {
    "pelvis": "hip", "spine1": "abdomen", "spine2": "chest", "spine3": "chest",
    "neck": "neck", "head": "head", "left_hip": "lThigh", "left_knee": "lShin",
    "left_ankle": "lFoot", "left_collar": "lCollar", "left_shoulder": "lShldr",
    "left_elbow": "lForeArm", "left_wrist": "lHand"},
    right_of=lambda name: "r" + name[1:])
LEG_JOINTS = ("hip", "knee", "ankle")


def skeleton_units(bvh: BvhFile, joint_map: BvhJointMap, body_model: BodyModel) -> float:
    """Metres per source unit, from the skeleton: the source's rest leg length (hip ->
    knee -> ankle, both sides) against the body model's at neutral shape,
        u = Σ_sides |J_knee − J_hip| + |J_ankle − J_knee|  /  (the same on the source rest).
    The subject's stature is then the body model's; the shape fit keeps its proportions."""
    rest = rest_positions(bvh)
    J = body_model.rest_joints(torch.zeros(SMPLX_NUM_BETAS, dtype=body_model.J_template.dtype,
                                           device=body_model.J_template.device))
    J = J.double().cpu().numpy()
    source = target = 0.0
    for side in ("left", "right"):
        names = [f"{side}_{j}" for j in LEG_JOINTS]
        src = rest[[bvh.index(joint_map.position_pairs[n]) for n in names]]
        tgt = J[[BODY_JOINT_NAMES.index(n) for n in names]]
        source += np.linalg.norm(np.diff(src, axis=0), axis=-1).sum()
        target += np.linalg.norm(np.diff(tgt, axis=0), axis=-1).sum()
    if not source > 0:
        raise ValueError(f"{joint_map.name}: the source skeleton's legs have no length")
    return float(target / source)


@dataclass(frozen=True)
class RetargetConfig:
    shape: str = "betas"            # "betas": fit SMPL-X betas; "scale": neutral betas,
                                    #   scale the source instead
    beta_ridge: float = 1e-3        # lambda of the shape fit, m^2 per unit beta^2
    beta_limit: float = 3.0         # |b| clamp
    ground_percentile: float = 10.0  # of the per-frame foot-on-ground height


@dataclass
class RetargetResult:
    """A retargeted clip and what the position check needs."""

    clip: MotionClip
    source_scale: float             # source units -> metres (units_to_metres x fitted k)
    pair_joints: tuple[int, ...]    # (K,) SMPL-X joints that have a source counterpart
    source_points: np.ndarray       # (T, K, 3) those source points, scaled, in the clip's world
    rest_residual: np.ndarray       # (K,) metres, |SMPL-X - source| at rest after the shape fit


@dataclass
class RetargetError:
    """Joint-position error of a retargeted clip against the (scaled) source joints."""

    joint_names: tuple[str, ...]    # (K,)
    per_joint_mean_mm: np.ndarray   # (K,) mean over frames
    per_joint_max_mm: np.ndarray    # (K,) max over frames
    rest_mm: np.ndarray             # (K,) already present in the rest pose (shape mismatch)
    mean_mm: float                  # over joints and frames
    max_mm: float

    def table(self) -> str:
        rows = [f"{n:>15s} mean {m:6.1f} max {x:6.1f} rest {r:6.1f} mm" for n, m, x, r in
                zip(self.joint_names, self.per_joint_mean_mm, self.per_joint_max_mm,
                    self.rest_mm)]
        return "\n".join(rows + [f"{'all':>15s} mean {self.mean_mm:6.1f} max {self.max_mm:6.1f}"])


@dataclass(frozen=True)
class RigFrames:
    """The two fixed rotations of a rig."""

    C: np.ndarray   # (3, 3) SMPL-X canonical body frame -> source frame
    A: np.ndarray   # (3, 3) source frame -> world (z up)


def rig_frames(joint_map: BvhJointMap) -> RigFrames:
    """C = [left, up, forward] of the source as columns; A = UPRIGHT_FACING_X C^T."""
    up, fwd = _axis_vector(joint_map.up_axis), _axis_vector(joint_map.forward_axis)
    C = np.stack([np.cross(up, fwd), up, fwd], axis=1)
    return RigFrames(C=C, A=UPRIGHT_FACING_X.double().numpy() @ C.T)


def _rotation_sources(bvh: BvhFile, joint_map: BvhJointMap) -> tuple[list[int], list[bool]]:
    """BVH joint index driving each SMPL-X joint (inherited down the tree) and whether the
    joint has its own entry."""
    source, own = [], []
    for j, name in enumerate(BODY_JOINT_NAMES):
        if name in joint_map.rotation_source:
            source.append(bvh.index(joint_map.rotation_source[name]))
            own.append(True)
        else:
            source.append(source[BODY_PARENTS[j]])
            own.append(False)
    return source, own


def fit_shape(body_model: BodyModel, source_rest: np.ndarray, pair_joints: list[int],
              C: np.ndarray, config: RetargetConfig) -> tuple[np.ndarray, float, np.ndarray]:
    """Betas (10,), source scale k and translation t (3,) of the shape fit (module doc, 1).

    source_rest: (K, 3) source rest points of the pairs, metres, source frame.
    """
    J_tpl = body_model.J_template.double().cpu().numpy()[pair_joints] @ C.T     # (K, 3)
    S = np.einsum("ab,kbn->kan", C,
                  body_model.J_shapedirs[..., :SMPLX_NUM_BETAS].double().cpu().numpy()
                  [pair_joints])                                                 # (K, 3, 10)
    K = len(pair_joints)
    eye = np.tile(np.eye(3), (K, 1))                                             # (3K, 3)
    if config.shape == "betas":
        A = np.concatenate([S.reshape(3 * K, -1), eye], axis=1)
        y = (source_rest - J_tpl).reshape(-1)
        ridge = np.sqrt(config.beta_ridge) * np.eye(SMPLX_NUM_BETAS, A.shape[1])
        x = np.linalg.lstsq(np.concatenate([A, ridge]),
                            np.concatenate([y, np.zeros(SMPLX_NUM_BETAS)]), rcond=None)[0]
        betas = np.clip(x[:SMPLX_NUM_BETAS], -config.beta_limit, config.beta_limit)
        t = (source_rest - J_tpl - S @ betas).mean(0)
        return betas, 1.0, t
    if config.shape == "scale":
        A = np.concatenate([source_rest.reshape(-1, 1), -eye], axis=1)
        k, *t = np.linalg.lstsq(A, J_tpl.reshape(-1), rcond=None)[0]
        return np.zeros(SMPLX_NUM_BETAS), float(k), np.asarray(t)
    raise ValueError(f"RetargetConfig.shape must be 'betas' or 'scale', got {config.shape!r}")


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(T, 3, 3) smallest rotation taking direction a (T, 3) to direction b (T, 3):
    R = I + [v]x + [v]x^2 / (1 + c), v = a x b, c = a . b (a half turn when opposite)."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    v = np.cross(a, b)
    c = np.einsum("ti,ti->t", a, b)
    vx = np.zeros(a.shape[:-1] + (3, 3))
    vx[..., 0, 1], vx[..., 0, 2], vx[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    vx = vx - np.swapaxes(vx, -1, -2)
    opposite = c < -1.0 + 1e-8
    R = np.eye(3) + vx + vx @ vx / np.where(opposite, 1.0, 1.0 + c)[..., None, None]
    if opposite.any():  # rotate by pi about an axis perpendicular to a
        perp = np.cross(a[opposite], np.eye(3)[np.argmin(np.abs(a[opposite]), axis=-1)])
        perp /= np.linalg.norm(perp, axis=-1, keepdims=True)
        R[opposite] = 2.0 * perp[:, :, None] * perp[:, None, :] - np.eye(3)
    return R


def _kabsch(rest: np.ndarray, posed: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotation R minimising sum_c |R rest_c - posed_c|^2.

    rest (N, 3), posed (T, N, 3); H = sum_c posed_c rest_c^T = U S V^T,
    R = U diag(1, 1, det(U V^T)) V^T.
    """
    H = np.einsum("tni,nj->tij", posed, rest)
    U, _, Vt = np.linalg.svd(H)
    d = np.sign(np.linalg.det(U @ Vt))
    U[..., :, 2] *= d[..., None]
    return U @ Vt


def _bend_spine(G: np.ndarray, J: np.ndarray, markers: np.ndarray) -> None:
    """Bend the spine (in place) so the neck lands in its marker's direction.

    The spine joints start from their sources' rotations (smooth, twist kept). The chord
    from spine1 to the neck, c = sum_k G_k (J_child(k) - J_k), is swung onto the target
    d = m_neck - p_spine1 (p_spine1 = m_pelvis + G_pelvis (J_spine1 - J_pelvis)) by
    Delta = Swing(c -> d), spread up the chain: G_k <- Delta^(k/3) G_k for spine1..3,
    repeated SPINE_ITERATIONS times (the spread is exact only for small angles).
    """
    s1 = SPINE[0]
    target = markers[:, NECK] - (markers[:, 0] + G[:, 0] @ (J[s1] - J[0]))
    for _ in range(SPINE_ITERATIONS):
        chord = sum(G[:, k] @ (J[c] - J[k]) for k, c in zip(SPINE, (*SPINE[1:], NECK)))
        delta = matrix_to_axis_angle(torch.from_numpy(_swing(chord, target)))   # (T, 3)
        for i, k in enumerate(SPINE):
            G[:, k] = axis_angle_to_matrix(delta * (i + 1) / len(SPINE)).numpy() @ G[:, k]


def retarget_bvh(bvh: BvhFile, body_model: BodyModel, joint_map: BvhJointMap = REACTIDLE_MAP,
                 name: str = "bvh", config: RetargetConfig = RetargetConfig()
                 ) -> RetargetResult:
    """Retarget every frame of ``bvh`` onto SMPL-X (method in the module doc)."""
    frames = rig_frames(joint_map)
    C, A = frames.C, frames.A
    units = joint_map.units_to_metres or skeleton_units(bvh, joint_map, body_model)
    pose = forward_kinematics(bvh, add_root_offset=joint_map.add_root_offset)
    P_src = pose.positions * units                                    # (T, Jb, 3)
    G_src = pose.rotations                                            # (T, Jb, 3, 3)
    rest_src = rest_positions(bvh) * units                            # (Jb, 3)

    pair_joints = [BODY_JOINT_NAMES.index(n) for n in joint_map.position_pairs]
    pair_src = [bvh.index(n) for n in joint_map.position_pairs.values()]
    betas, k, t = fit_shape(body_model, rest_src[pair_src], pair_joints, C, config)
    P_src, rest_src = P_src * k, rest_src * k
    betas_t = torch.as_tensor(betas, dtype=body_model.J_template.dtype,
                              device=body_model.J_template.device)
    J = body_model.rest_joints(betas_t).double().cpu().numpy()       # (22, 3) canonical
    X = J @ C.T + t                                                   # (22, 3) source rest

    source, own = _rotation_sources(bvh, joint_map)
    ride = [source[BODY_PARENTS[j]] if j > 0 else source[0] for j in range(NUM_BODY_JOINTS)]
    markers = P_src[:, ride] + np.einsum(                             # (T, 22, 3)
        "tjab,jb->tja", G_src[:, ride], X - rest_src[ride])
    if joint_map.aim_at_source_joints:                                # same frame as X
        markers[:, pair_joints] = P_src[:, pair_src]

    T = bvh.num_frames
    G = np.zeros((T, NUM_BODY_JOINTS, 3, 3))
    for j in range(NUM_BODY_JOINTS):  # parents first, as an inherited leaf copies its parent
        Q = G_src[:, source[j]] @ C
        kids = children(j, BODY_PARENTS)
        if j in SPINE or j == NECK:
            G[:, j] = Q                      # the spine is bent towards the neck marker below
        elif not kids:
            G[:, j] = Q if own[j] else G[:, BODY_PARENTS[j]]
        elif len(kids) == 1:
            c = kids[0]
            G[:, j] = _swing(Q @ (J[c] - J[j]), markers[:, c] - markers[:, j]) @ Q
        else:
            G[:, j] = _kabsch(J[kids] - J[j], markers[:, kids] - markers[:, j:j + 1])
    _bend_spine(G, J, markers)
    parents = np.array([0, *BODY_PARENTS[1:]])
    local = np.swapaxes(G[:, parents], -1, -2) @ G                    # (T, 22, 3, 3)
    local[:, 0] = A @ G[:, 0]                                         # world root orientation
    aa = matrix_to_axis_angle(torch.from_numpy(local)).numpy()        # (T, 22, 3)

    pelvis = markers[:, 0] @ A.T                                      # (T, 3) world
    transl = pelvis - J[0]
    clip = MotionClip(name=name, fps=bvh.fps, global_orient=aa[:, 0], body_pose=aa[:, 1:],
                      transl=transl, betas=betas, source="bvh")
    ground = _ground_height(clip, body_model, config.ground_percentile)
    clip.transl[:, 2] -= ground
    source_points = P_src[:, pair_src] @ A.T
    source_points[..., 2] -= ground
    residual = np.linalg.norm(X[pair_joints] - rest_src[pair_src], axis=-1)
    return RetargetResult(clip=clip, source_scale=units * k,
                          pair_joints=tuple(pair_joints), source_points=source_points,
                          rest_residual=residual)


def _clip_joints(clip: MotionClip, body_model: BodyModel) -> torch.Tensor:
    """(T, 22, 3) world joints of a clip by the body model's fast FK."""
    dtype, device = body_model.J_template.dtype, body_model.J_template.device
    f = lambda x: torch.as_tensor(x, dtype=dtype, device=device)  # noqa: E731
    betas = f(clip.betas).expand(clip.num_frames, -1)
    with torch.no_grad():
        return body_model.body_joints(betas, f(clip.global_orient),
                                      f(clip.body_pose).reshape(-1, 63), f(clip.transl))


def sole_heights(body_model: BodyModel, betas: np.ndarray) -> np.ndarray:
    """(4,) rest heights of (left/right ankle, left/right foot) above the lowest vertex of
    the rest mesh (the sole in the T-pose), metres."""
    layer = body_model.layer
    b = torch.as_tensor(betas, dtype=layer.v_template.dtype, device=layer.v_template.device)
    with torch.no_grad():
        verts = layer.v_template + layer.shapedirs[..., :SMPLX_NUM_BETAS] @ b   # (V, 3)
        joints = body_model.rest_joints(b.to(body_model.J_template.dtype))      # (22, 3)
    return (joints[list(FOOT_JOINTS), 1] - verts[:, 1].min()).cpu().numpy()


def foot_ground_height(clip: MotionClip, body_model: BodyModel) -> np.ndarray:
    """(T,) per-frame height of the lowest sole point: min over the ankle and foot joints
    of (joint z - its rest height above the sole). 0 when a foot stands on z = 0."""
    z = _clip_joints(clip, body_model)[:, list(FOOT_JOINTS), 2].cpu().numpy()
    return (z - sole_heights(body_model, clip.betas)).min(axis=1)


def _ground_height(clip: MotionClip, body_model: BodyModel, percentile: float) -> float:
    return float(np.percentile(foot_ground_height(clip, body_model), percentile))


def joint_position_error(result: RetargetResult, body_model: BodyModel) -> RetargetError:
    """Per-joint distance (mm) between the retargeted SMPL-X joints and their source
    counterparts (BvhJointMap.position_pairs) after scaling, over all frames."""
    joints = _clip_joints(result.clip, body_model)[:, list(result.pair_joints)].cpu().numpy()
    err = 1000.0 * np.linalg.norm(joints - result.source_points, axis=-1)    # (T, K)
    return RetargetError(
        joint_names=tuple(BODY_JOINT_NAMES[j] for j in result.pair_joints),
        per_joint_mean_mm=err.mean(0), per_joint_max_mm=err.max(0),
        rest_mm=1000.0 * result.rest_residual, mean_mm=float(err.mean()),
        max_mm=float(err.max()))
