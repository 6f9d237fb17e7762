"""Generator of the stand-in body model: an SMPL-X-format ``.npz`` that we make ourselves.

Real SMPL-X files are licence-gated, so tests, CI and the demo use this stand-in. It has
SMPL-X's 55-joint tree and parents, canonical frame (y up, z forward, x to the body's
left), T-pose rest configuration, 10,475 vertices (so smplx's landmark vertex ids stay
valid and land on the nose, eyes, ears, toes, heels and fingertips here too), LBS weights,
10 shape blend shapes that change stature and proportions, face landmarks, and loads
through the real ``smplx.SMPLX`` class. It is NOT SMPL-X: the mesh is a union of closed
capsules around the bones, pose correctives (posedirs) and expressions are zero, hand PCA
is the identity. Joint positions are anthropometric approximations of SMPL-X's neutral body.

Construction: every bone is a closed tube (two pole vertices + rings of vertices around
the bone axis). A joint's regressor row averages the ring that is centred on the joint,
so ``J = J_regressor @ (v_template + shapedirs @ betas)`` puts the joints exactly at the
designed positions and lets them follow the shape blend shapes.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..cache_files import cache_dir, written_atomically
from .skeleton import NUM_JOINTS, SMPLX_JOINT_NAMES, SMPLX_PARENTS

NUM_VERTICES = 10475
NUM_SHAPE_DIRS = 10        # betas that do something
NUM_EXPRESSION_DIRS = 10   # present for smplx, all zero
STANDIN_VERSION = 1  # bump whenever the generated arrays change: the cache file is keyed by it

# smplx's own landmark vertex ids for SMPL-X (smplx.vertex_ids.vertex_ids["smplx"]); copied
# here so the generator does not depend on smplx's private layout. A test checks they match.
SMPLX_LANDMARK_VERTEX_IDS: dict[str, int] = {
    "nose": 9120, "reye": 9929, "leye": 9448, "rear": 616, "lear": 6,
    "rthumb": 8079, "rindex": 7669, "rmiddle": 7794, "rring": 7905, "rpinky": 8022,
    "lthumb": 5361, "lindex": 4933, "lmiddle": 5058, "lring": 5169, "lpinky": 5286,
    "LBigToe": 5770, "LSmallToe": 5780, "LHeel": 8846,
    "RBigToe": 8463, "RSmallToe": 8474, "RHeel": 8635,
}


def _rest_joints() -> np.ndarray:
    """Rest (T-pose) joint positions (55, 3) in metres, SMPL-X canonical frame."""
    left = {  # left side and midline; right side is the mirror (x -> -x)
        "pelvis": (0.0, -0.36, 0.01), "left_hip": (0.06, -0.45, 0.0),
        "spine1": (0.0, -0.25, -0.01), "left_knee": (0.10, -0.83, 0.0),
        "spine2": (0.0, -0.12, 0.01), "left_ankle": (0.09, -1.23, -0.03),
        "spine3": (0.0, -0.06, 0.02), "left_foot": (0.11, -1.29, 0.09),
        "neck": (0.0, 0.15, -0.01), "left_collar": (0.07, 0.08, -0.01),
        "head": (0.0, 0.23, 0.02), "left_shoulder": (0.17, 0.10, -0.02),
        "left_elbow": (0.43, 0.09, -0.04), "left_wrist": (0.68, 0.09, -0.03),
        "jaw": (0.0, 0.21, 0.04), "left_eye": (0.032, 0.325, 0.092),
    }
    wrist = np.array(left["left_wrist"])
    # finger chains: knuckle offset from the wrist, then two phalanx lengths (along +x)
    fingers = {
        "index": ((0.090, 0.0, 0.025), (0.037, 0.024)),
        "middle": ((0.095, 0.0, 0.003), (0.040, 0.026)),
        "pinky": ((0.080, 0.0, -0.035), (0.030, 0.020)),
        "ring": ((0.090, 0.0, -0.017), (0.037, 0.025)),
    }
    for name, (knuckle, (l1, l2)) in fingers.items():
        p1 = wrist + knuckle
        left[f"left_{name}1"] = tuple(p1)
        left[f"left_{name}2"] = tuple(p1 + (l1, 0.0, 0.0))
        left[f"left_{name}3"] = tuple(p1 + (l1 + l2, 0.0, 0.0))
    left["left_thumb1"] = tuple(wrist + (0.025, -0.015, 0.030))
    left["left_thumb2"] = tuple(wrist + (0.050, -0.020, 0.050))
    left["left_thumb3"] = tuple(wrist + (0.072, -0.025, 0.064))
    joints = np.zeros((NUM_JOINTS, 3))
    for j, name in enumerate(SMPLX_JOINT_NAMES):
        if name in left:
            joints[j] = left[name]
        else:
            mirror = left["left_" + name[len("right_"):]]
            joints[j] = (-mirror[0], mirror[1], mirror[2])
    return joints


@dataclass(frozen=True)
class _Part:
    """One closed tube of the mesh, from ``start`` to ``end`` around the bone axis."""

    name: str
    owner: int                     # joint whose rotation moves this part
    start: tuple[float, float, float]
    end: tuple[float, float, float]
    radius_start: tuple[float, float]  # (along u, along w = axis x u), metres
    radius_end: tuple[float, float]
    rings: int
    segments: int
    region: str                    # torso | neck | head | leg | arm | hand
    up: tuple[float, float, float] = (0.0, 0.0, 1.0)  # reference for the ring's u axis
    bulge: float = 0.0             # extra radius r += bulge * sin(pi t)
    child: int | None = None       # joint at ``end`` (LBS weights blend into it)
    regressor: bool = False        # ring 0 (centred on ``start``) regresses ``owner``
    rigid: bool = False            # no weight blending


def _parts(J: np.ndarray) -> list[_Part]:
    """Left-side and midline parts (the right side is mirrored from the left)."""
    idx = {n: i for i, n in enumerate(SMPLX_JOINT_NAMES)}
    P = lambda n: tuple(J[idx[n]])  # noqa: E731
    parts = [
        _Part("pelvis_up", 0, P("pelvis"), P("spine1"), (0.10, 0.15), (0.10, 0.145), 8, 40,
              "torso", child=3, regressor=True),
        _Part("pelvis_low", 0, P("pelvis"), (0.0, -0.50, 0.0), (0.10, 0.15), (0.07, 0.12), 8, 40,
              "torso"),
        _Part("spine1", 3, P("spine1"), P("spine2"), (0.10, 0.145), (0.105, 0.15), 8, 40,
              "torso", child=6, regressor=True),
        _Part("spine2", 6, P("spine2"), P("spine3"), (0.105, 0.15), (0.11, 0.155), 6, 40,
              "torso", child=9, regressor=True),
        _Part("spine3", 9, P("spine3"), P("neck"), (0.11, 0.155), (0.06, 0.08), 14, 40,
              "torso", child=12, regressor=True, bulge=0.02),
        _Part("neck", 12, P("neck"), P("head"), (0.05, 0.055), (0.05, 0.05), 6, 24,
              "neck", child=15, regressor=True),
        _Part("head", 15, P("head"), (0.0, 0.42, 0.01), (0.06, 0.055), (0.02, 0.02), 24, 36,
              "head", bulge=0.05, regressor=True),
        _Part("nose", 15, (0.0, 0.315, 0.095), (0.0, 0.29, 0.128), (0.012, 0.012),
              (0.006, 0.006), 3, 12, "head", rigid=True),
        _Part("jaw", 22, P("jaw"), (0.0, 0.215, 0.095), (0.03, 0.035), (0.02, 0.025), 5, 20,
              "head", regressor=True),
        _Part("left_eye", 23, P("left_eye"), tuple(J[idx["left_eye"]] + (0, 0, 0.016)),
              (0.011, 0.011), (0.008, 0.008), 3, 12, "head", regressor=True, rigid=True),
        _Part("left_thigh", 1, P("left_hip"), P("left_knee"), (0.085, 0.08), (0.055, 0.05), 20,
              24, "leg", child=4, regressor=True),
        _Part("left_shin", 4, P("left_knee"), P("left_ankle"), (0.055, 0.05), (0.04, 0.035), 20,
              20, "leg", child=7, regressor=True, bulge=0.01),
        _Part("left_foot", 7, P("left_ankle"), P("left_foot"), (0.04, 0.04), (0.025, 0.045), 8,
              16, "leg", up=(0.0, 1.0, 0.0), child=10, regressor=True),
        _Part("left_heel", 7, P("left_ankle"), (0.09, -1.30, -0.06), (0.035, 0.035),
              (0.025, 0.03), 4, 12, "leg", up=(0.0, 0.0, 1.0)),
        _Part("left_toes", 10, P("left_foot"), (0.12, -1.30, 0.18), (0.025, 0.045),
              (0.012, 0.035), 6, 16, "leg", up=(0.0, 1.0, 0.0), regressor=True),
        _Part("left_collar", 13, P("left_collar"), P("left_shoulder"), (0.05, 0.05),
              (0.055, 0.055), 6, 16, "arm", up=(0.0, 1.0, 0.0), child=16, regressor=True),
        _Part("left_upper_arm", 16, P("left_shoulder"), P("left_elbow"), (0.05, 0.05),
              (0.04, 0.04), 16, 20, "arm", up=(0.0, 1.0, 0.0), child=18, regressor=True),
        _Part("left_forearm", 18, P("left_elbow"), P("left_wrist"), (0.04, 0.04),
              (0.028, 0.032), 16, 16, "arm", up=(0.0, 1.0, 0.0), child=20, regressor=True),
    ]
    knuckles = np.mean([J[idx[f"left_{f}1"]] for f in ("index", "middle", "ring", "pinky")], 0)
    parts.append(_Part("left_palm", 20, P("left_wrist"), tuple(knuckles), (0.016, 0.033),
                       (0.013, 0.045), 8, 16, "hand", up=(0.0, 1.0, 0.0), regressor=True))
    thumb_tip = J[idx["left_thumb3"]] + (0.018, -0.003, 0.012)
    for finger, tip_len, radius in (("index", 0.022, 0.009), ("middle", 0.023, 0.009),
                                    ("pinky", 0.020, 0.007), ("ring", 0.022, 0.008),
                                    ("thumb", None, 0.010)):
        chain = [idx[f"left_{finger}{k}"] for k in (1, 2, 3)]
        ends = [tuple(J[chain[1]]), tuple(J[chain[2]]),
                tuple(thumb_tip if tip_len is None else J[chain[2]] + (tip_len, 0.0, 0.0))]
        for k, (joint, end) in enumerate(zip(chain, ends)):
            r0, r1 = radius * (1.0 - 0.1 * k), radius * (0.9 - 0.1 * k)
            parts.append(_Part(f"left_{finger}{k + 1}", joint, tuple(J[joint]), end, (r0, r0),
                               (r1, r1), 5, 10, "hand", up=(0.0, 1.0, 0.0),
                               child=chain[k + 1] if k < 2 else None, regressor=True))
    return parts


def _tube(part: _Part) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Vertices (N, 3), faces (F, 3), axial parameter t (N,) and ring-0 mask (N,)."""
    a, b = np.asarray(part.start, float), np.asarray(part.end, float)
    axis = (b - a) / np.linalg.norm(b - a)
    up = np.asarray(part.up, float)
    u = up - axis * (up @ axis)
    if np.linalg.norm(u) < 1e-6:  # up parallel to the bone: use any perpendicular
        u = np.cross(axis, (1.0, 0.0, 0.0))
    u /= np.linalg.norm(u)
    w = np.cross(axis, u)
    ts = np.linspace(0.0, 1.0, part.rings)
    theta = 2.0 * math.pi * np.arange(part.segments) / part.segments
    r0, r1 = np.asarray(part.radius_start), np.asarray(part.radius_end)
    rings = []
    for t in ts:
        ru, rw = r0 + (r1 - r0) * t + part.bulge * math.sin(math.pi * t)
        rings.append(a + (b - a) * t + np.outer(ru * np.cos(theta), u)
                     + np.outer(rw * np.sin(theta), w))
    pole_a = a - axis * 0.5 * r0.mean()
    pole_b = b + axis * 0.5 * r1.mean()
    verts = np.concatenate([pole_a[None], *rings, pole_b[None]])
    t_param = np.concatenate([[0.0], np.repeat(ts, part.segments), [1.0]])
    ring0 = np.zeros(len(verts), bool)
    ring0[1:1 + part.segments] = True

    s, n = part.segments, part.rings
    ring = lambda i, k: 1 + i * s + (k % s)  # noqa: E731
    faces = []
    for k in range(s):
        faces.append((0, ring(0, k + 1), ring(0, k)))
        for i in range(n - 1):
            faces.append((ring(i, k), ring(i, k + 1), ring(i + 1, k + 1)))
            faces.append((ring(i, k), ring(i + 1, k + 1), ring(i + 1, k)))
        faces.append((len(verts) - 1, ring(n - 1, k), ring(n - 1, k + 1)))
    faces = np.asarray(faces, np.int64)
    tri = verts[faces]
    if np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() < 0:
        faces = faces[:, ::-1]  # make normals point outwards (positive enclosed volume)
    return verts, faces, t_param, ring0


def _mirror_part(part: _Part) -> _Part:
    """The right-side twin of a left-side part (x -> -x, joints swapped)."""
    swap = lambda j: SMPLX_JOINT_NAMES.index(  # noqa: E731
        SMPLX_JOINT_NAMES[j].replace("left_", "right_")) if j is not None else None
    flip = lambda p: (-p[0], p[1], p[2])  # noqa: E731
    return _Part(part.name.replace("left_", "right_"), swap(part.owner), flip(part.start),
                 flip(part.end), part.radius_start, part.radius_end, part.rings,
                 part.segments, part.region, part.up, part.bulge, swap(part.child),
                 part.regressor, part.rigid)


def _fit_vertex_budget(parts: list[_Part]) -> list[_Part]:
    """Choose the ring counts of the midline ``head`` part and the rings x segments of the
    midline ``pelvis_low`` part so that the mesh has exactly NUM_VERTICES vertices (a
    midline ring of any size stays left/right symmetric)."""
    def count(p: _Part) -> int:
        return (2 + p.rings * p.segments) * (2 if p.name.startswith("left_") else 1)

    def resized(parts: list[_Part], name: str, **change) -> list[_Part]:
        return [_Part(**{**p.__dict__, **change}) if p.name == name else p for p in parts]

    head = next(p for p in parts if p.name == "head")
    others = sum(count(p) for p in parts if p.name not in ("pelvis_low", "head"))
    for head_rings in range(head.rings, head.rings + 16):
        need = NUM_VERTICES - others - (2 + head_rings * head.segments) - 2
        for segments in range(40, 15, -1):
            if need % segments == 0 and 4 <= need // segments <= 60:
                with_head = resized(parts, "head", rings=head_rings)
                return resized(with_head, "pelvis_low", rings=need // segments,
                               segments=segments)
    raise RuntimeError("cannot fit the vertex budget; adjust the part design")


def _shape_directions(verts: np.ndarray, region: np.ndarray, axis_point: np.ndarray,
                      J: np.ndarray) -> np.ndarray:
    """Shape blend shapes (V, 3, 10): displacement per unit beta, linear in the vertices.

    0 stature (uniform scale), 1 girth (radial), 2 leg length, 3 shoulder width,
    4 arm length, 5 torso length, 6 head size, 7 hip width, 8 belly, 9 neck length.
    """
    x, y = verts[:, 0], verts[:, 1]
    side = np.sign(x)
    dirs = np.zeros((len(verts), 3, NUM_SHAPE_DIRS))
    limbs_or_torso = np.isin(region, ("torso", "leg", "arm", "neck"))
    is_leg, is_head = region == "leg", region == "head"
    is_arm = np.isin(region, ("arm", "hand"))
    y_pelvis, y_hip, y_neck = J[0, 1], J[1, 1], J[12, 1]
    x_shoulder = J[16, 0]
    dirs[:, :, 0] = 0.05 * verts
    dirs[:, :, 1] = 0.12 * (verts - axis_point) * limbs_or_torso[:, None]
    dirs[:, 1, 2] = 0.07 * np.minimum(y - y_hip, 0.0) * is_leg
    dirs[:, 0, 3] = 0.025 * side * is_arm
    dirs[:, 0, 4] = 0.06 * side * np.maximum(np.abs(x) - x_shoulder, 0.0) * is_arm
    dirs[:, 1, 5] = 0.06 * (np.clip(y, y_pelvis, y_neck) - y_pelvis) * ~is_leg
    dirs[:, :, 6] = 0.08 * (verts - J[12]) * is_head[:, None]
    dirs[:, 0, 7] = (0.015 * side * is_leg + 0.1 * x * (region == "torso") * (y < y_pelvis))
    belly = (region == "torso") & (y < J[9, 1]) & (verts[:, 2] > axis_point[:, 2])
    dirs[:, 2, 8] = 0.3 * (verts[:, 2] - axis_point[:, 2]) * belly
    dirs[:, 1, 9] = 0.03 * (is_head | ((region == "neck") & (y > y_neck)))
    return dirs


def _face_landmark_targets() -> np.ndarray:
    """(68, 2) x, y of the iBUG-68 face points on the stand-in's face (subject's right is -x)."""
    pts = []
    for s in np.linspace(0.0, 1.0, 17):  # 0-16 jaw line, subject's right ear to left ear
        a = math.pi * (1.0 - s)
        pts.append((0.075 * math.cos(a), 0.32 - 0.105 * math.sin(a)))
    pts += [(x, 0.35) for x in np.linspace(-0.055, -0.015, 5)]       # 17-21 right brow
    pts += [(x, 0.35) for x in np.linspace(0.015, 0.055, 5)]         # 22-26 left brow
    pts += [(0.0, y) for y in np.linspace(0.33, 0.30, 4)]            # 27-30 nose bridge
    pts += [(x, 0.29) for x in np.linspace(-0.015, 0.015, 5)]        # 31-35 nostrils
    for cx, order in ((-0.032, 1.0), (0.032, 1.0)):                  # 36-41, 42-47 eyes
        for a in np.linspace(math.pi, -math.pi, 6, endpoint=False):
            pts.append((cx + order * 0.012 * math.cos(a), 0.325 + 0.005 * math.sin(a)))
    for a in np.linspace(math.pi, -math.pi, 12, endpoint=False):     # 48-59 outer lips
        pts.append((0.025 * math.cos(a), 0.258 + 0.009 * math.sin(a)))
    for a in np.linspace(math.pi, -math.pi, 8, endpoint=False):      # 60-67 inner lips
        pts.append((0.017 * math.cos(a), 0.258 + 0.004 * math.sin(a)))
    return np.asarray(pts)


def _nearest_front_faces(verts: np.ndarray, faces: np.ndarray, candidates: np.ndarray,
                         targets_xy: np.ndarray) -> np.ndarray:
    """Index of the candidate face whose centroid is nearest (in x, y) to each target."""
    centroids = verts[faces[candidates]].mean(1)
    d = np.linalg.norm(centroids[None, :, :2] - targets_xy[:, None], axis=-1)
    return candidates[d.argmin(1)]


def build_standin_model() -> dict[str, np.ndarray]:
    """All arrays of the stand-in SMPL-X-format model, keyed as smplx reads them."""
    J = _rest_joints()
    left_and_mid = _fit_vertex_budget(_parts(J))
    parts = left_and_mid + [_mirror_part(p) for p in left_and_mid if p.name.startswith("left_")]

    verts, faces, owner, tparam, region, axis_point, part_of = [], [], [], [], [], [], []
    rows: dict[int, np.ndarray] = {}
    landmarks: dict[str, int] = {}
    offset = 0
    for p_id, part in enumerate(parts):
        if part.name.startswith("right_"):  # mirror of its left twin: flip x and winding
            twin = _tube(next(q for q in parts if q.name == part.name.replace("right_", "left_")))
            v, f, t, ring0 = twin[0] * (-1.0, 1.0, 1.0), twin[1][:, ::-1], twin[2], twin[3]
        else:
            v, f, t, ring0 = _tube(part)
        a, b = np.asarray(part.start), np.asarray(part.end)
        verts.append(v)
        faces.append(f + offset)
        owner.append(np.full(len(v), part.owner))
        tparam.append(t)
        region.append(np.full(len(v), part.region))
        axis_point.append(a + np.outer(t, b - a))
        part_of.append(np.full(len(v), p_id))
        if part.regressor:
            rows[part.owner] = np.flatnonzero(ring0) + offset
        landmarks.update(_part_landmarks(part, v, offset))
        offset += len(v)
    verts = np.concatenate(verts)
    faces = np.concatenate(faces)
    owner, tparam = np.concatenate(owner), np.concatenate(tparam)
    region, axis_point = np.concatenate(region), np.concatenate(axis_point)
    part_of = np.concatenate(part_of)
    assert len(verts) == NUM_VERTICES, len(verts)
    assert sorted(rows) == list(range(NUM_JOINTS)), "every joint needs a regressor ring"

    regressor = np.zeros((NUM_JOINTS, NUM_VERTICES))
    for j, ids in rows.items():
        regressor[j, ids] = 1.0 / len(ids)
    weights = _skinning_weights(parts, part_of, owner, tparam)
    shapedirs = np.concatenate(
        [_shape_directions(verts, region, axis_point, J),
         np.zeros((NUM_VERTICES, 3, NUM_EXPRESSION_DIRS))], axis=2)

    names = [p.name for p in parts]
    landmarks.update(_ear_landmarks(verts, np.flatnonzero(part_of == names.index("head"))))

    # Move each landmark vertex to the index smplx expects for it.
    perm = _landmark_permutation(landmarks)
    inverse = np.argsort(perm)
    verts, weights, shapedirs = verts[perm], weights[perm], shapedirs[perm]
    regressor = regressor[:, perm]
    faces = inverse[faces]
    part_of, region = part_of[perm], region[perm]

    lmk_faces, contour_faces = _face_landmark_faces(verts, faces, part_of, names)

    kintree = np.stack([np.asarray(SMPLX_PARENTS), np.arange(NUM_JOINTS)])
    kintree[0, 0] = 2**32 - 1  # SMPL-X files store the root's parent as uint32 max
    return {
        "v_template": verts.astype(np.float64),
        "f": faces.astype(np.uint32),
        "shapedirs": shapedirs.astype(np.float64),
        "posedirs": np.zeros((NUM_VERTICES, 3, (NUM_JOINTS - 1) * 9)),
        "J_regressor": regressor,
        "weights": weights,
        "kintree_table": kintree.astype(np.int64),
        "hands_componentsl": np.eye(45), "hands_componentsr": np.eye(45),
        "hands_meanl": np.zeros(45), "hands_meanr": np.zeros(45),
        "lmk_faces_idx": lmk_faces.astype(np.int64),
        "lmk_bary_coords": np.full((51, 3), 1.0 / 3.0),
        "dynamic_lmk_faces_idx": np.tile(contour_faces, (79, 1)).astype(np.int64),
        "dynamic_lmk_bary_coords": np.full((79, 17, 3), 1.0 / 3.0),
        "standin_version": np.asarray(STANDIN_VERSION),
    }


def _ear_landmarks(verts: np.ndarray, head: np.ndarray) -> dict[str, int]:
    """Ears: the head vertices (indices ``head``) furthest out to each side at ear height."""
    ear_score = np.abs(verts[head, 0]) - 3.0 * np.abs(verts[head, 1] - 0.32)
    return {"lear": head[np.argmax(np.where(verts[head, 0] > 0, ear_score, -np.inf))],
            "rear": head[np.argmax(np.where(verts[head, 0] < 0, ear_score, -np.inf))]}


def _face_landmark_faces(verts: np.ndarray, faces: np.ndarray, part_of: np.ndarray,
                         names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Faces of the face landmarks (iBUG 68 minus the jaw line, (51,)) and of the jaw-line
    contour ((17,)), among the front faces of the head, jaw and nose parts."""
    face_centroids = verts[faces].mean(1)
    front = np.flatnonzero(np.isin(part_of[faces[:, 0]], [
        names.index(n) for n in ("head", "jaw", "nose")]) & (face_centroids[:, 2] > 0.05))
    targets = _face_landmark_targets()
    return (_nearest_front_faces(verts, faces, front, targets[17:]),
            _nearest_front_faces(verts, faces, front, targets[:17]))


def _part_landmarks(part: _Part, v: np.ndarray, offset: int) -> dict[str, int]:
    """Landmark vertices (smplx names) a part carries, as indices into the whole mesh."""
    tip = len(v) - 1 + offset  # the end pole
    names = {"nose": "nose", "left_eye": "leye", "right_eye": "reye",
             "left_heel": "LHeel", "right_heel": "RHeel",
             "left_toes": "LBigToe", "right_toes": "RBigToe"}
    out = {names[part.name]: tip} if part.name in names else {}
    if part.name.endswith("_toes"):  # small toe: lateral-most vertex of the last ring
        last = np.arange(len(v) - 1 - part.segments, len(v) - 1)
        out["LSmallToe" if part.name.startswith("left") else "RSmallToe"] = (
            last[np.argmax(np.abs(v[last, 0]))] + offset)
    for finger in ("thumb", "index", "middle", "ring", "pinky"):
        for side, key in (("left", "l"), ("right", "r")):
            if part.name == f"{side}_{finger}3":
                out[key + finger] = tip
    return out


def _landmark_permutation(landmarks: dict[str, int]) -> np.ndarray:
    """perm such that new_vertices = old_vertices[perm] puts landmark k at its smplx id."""
    perm = np.full(NUM_VERTICES, -1)
    for name, target in SMPLX_LANDMARK_VERTEX_IDS.items():
        perm[target] = landmarks[name]
    rest = np.setdiff1d(np.arange(NUM_VERTICES), perm[perm >= 0])
    perm[perm < 0] = rest
    return perm


def _skinning_weights(parts: list[_Part], part_of: np.ndarray, owner: np.ndarray,
                      tparam: np.ndarray, blend: float = 0.2) -> np.ndarray:
    """LBS weights (V, 55): the owner joint, blended half-way into the parent joint at the
    start of the bone and into the child joint at its end (w = 0.5 at the joint)."""
    weights = np.zeros((len(owner), NUM_JOINTS))
    for i, (p_id, j, t) in enumerate(zip(part_of, owner, tparam)):
        part = parts[p_id]
        w = {j: 1.0}
        if not part.rigid:
            parent = SMPLX_PARENTS[j]
            if parent >= 0 and t < blend:
                w[parent] = 0.5 * (1.0 - t / blend)
            if part.child is not None and t > 1.0 - blend:
                w[part.child] = 0.5 * (t - (1.0 - blend)) / blend
            w[j] = 1.0 - sum(v for k, v in w.items() if k != j)
        for k, v in w.items():
            weights[i, k] = v
    return weights


def write_standin_model(path: str | os.PathLike) -> Path:
    """Write the stand-in model to ``path`` (a ``.npz`` file) and return the path."""
    path = Path(path)
    with written_atomically(path) as tmp:     # training ranks may write it at once
        np.savez_compressed(tmp, **build_standin_model())
    return path


def default_standin_path() -> Path:
    """Where the stand-in is cached (in cache_dir())."""
    return cache_dir() / f"smplx_standin_v{STANDIN_VERSION}.npz"


def ensure_standin_model(path: str | os.PathLike | None = None) -> Path:
    """Return the stand-in model file, generating it first if it does not exist."""
    path = Path(path) if path is not None else default_standin_path()
    if not path.exists():
        write_standin_model(path)
    return path
