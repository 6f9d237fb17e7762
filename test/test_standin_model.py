"""The generated stand-in body model: SMPL-X file format, loads through real smplx, and
behaves like a body (symmetric T-pose, shape changes height, skinning is hierarchical)."""

import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from fhmr_ros.body.skeleton import (NUM_JOINTS, SMPLX_JOINT_NAMES, SMPLX_MIRROR, SMPLX_PARENTS,
                                    descendants)
from fhmr_ros.body.standin_model import (NUM_VERTICES, SMPLX_LANDMARK_VERTEX_IDS,
                                         ensure_standin_model)


@pytest.fixture(scope="module")
def arrays(standin_path):
    return dict(np.load(standin_path))


def test_file_has_every_key_smplx_reads_with_smplx_shapes(arrays):
    expected = {"v_template": (10475, 3), "shapedirs": (10475, 3, 20),
                "posedirs": (10475, 3, 486), "J_regressor": (55, 10475),
                "weights": (10475, 55), "kintree_table": (2, 55),
                "hands_componentsl": (45, 45), "hands_componentsr": (45, 45),
                "hands_meanl": (45,), "hands_meanr": (45,), "lmk_faces_idx": (51,),
                "lmk_bary_coords": (51, 3), "dynamic_lmk_faces_idx": (79, 17),
                "dynamic_lmk_bary_coords": (79, 17, 3)}
    for key, shape in expected.items():
        assert arrays[key].shape == shape, key
    assert arrays["f"].ndim == 2 and arrays["f"].shape[1] == 3
    assert arrays["f"].max() < NUM_VERTICES
    assert arrays["lmk_faces_idx"].max() < len(arrays["f"])
    assert list(arrays["kintree_table"][0, 1:]) == list(SMPLX_PARENTS[1:])


def test_landmark_ids_are_smplx_ones():
    from smplx.vertex_ids import vertex_ids

    assert SMPLX_LANDMARK_VERTEX_IDS == vertex_ids["smplx"]


def test_mesh_is_closed_and_consistently_oriented(arrays):
    f = arrays["f"].astype(np.int64)
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    # each directed edge once, and its reverse exists: closed and consistently oriented
    keys = directed[:, 0] * NUM_VERTICES + directed[:, 1]
    assert len(np.unique(keys)) == len(keys)
    assert np.isin(directed[:, 1] * NUM_VERTICES + directed[:, 0], keys).all()
    v = arrays["v_template"]
    tri = v[f]
    volume = np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6.0
    assert 0.03 < volume < 0.2  # outward normals; a human body is ~0.07 m^3
    assert len(np.unique(f)) == NUM_VERTICES  # no stray vertices


def test_weights_and_regressor_are_normalised(arrays):
    np.testing.assert_allclose(arrays["weights"].sum(1), 1.0, atol=1e-12)
    assert (arrays["weights"] >= 0).all()
    np.testing.assert_allclose(arrays["J_regressor"].sum(1), 1.0, atol=1e-12)


def test_t_pose_is_left_right_symmetric(body_model):
    out = body_model(torch.zeros(10), torch.zeros(3), torch.zeros(63), return_vertices=True)
    joints = out.joints.double()
    mirrored = joints[list(SMPLX_MIRROR)] * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.double)
    torch.testing.assert_close(mirrored, joints, atol=1e-6, rtol=0)
    v = out.vertices.double().numpy()
    dist, _ = cKDTree(v).query(v * (-1.0, 1.0, 1.0))
    assert dist.max() < 1e-6
    # T-pose: arms horizontal along x, legs vertical
    j = dict(zip(SMPLX_JOINT_NAMES, joints.numpy()))
    assert abs(j["left_wrist"][1] - j["left_shoulder"][1]) < 0.03
    assert j["left_wrist"][0] > j["left_elbow"][0] > j["left_shoulder"][0] > 0
    assert j["head"][1] > j["neck"][1] > j["pelvis"][1] > j["left_knee"][1] > j["left_ankle"][1]


def _height(body_model, betas):
    v = body_model(betas, torch.zeros(3), torch.zeros(63), return_vertices=True).vertices
    return float(v[:, 1].max() - v[:, 1].min())


def test_betas_change_height_and_bone_lengths(body_model):
    zero = torch.zeros(10)
    h0 = _height(body_model, zero)
    assert 1.6 < h0 < 1.9
    tall = zero.clone()
    tall[0] = 2.0
    assert _height(body_model, tall) > h0 + 0.1
    assert _height(body_model, -tall) < h0 - 0.1
    long_legs = zero.clone()
    long_legs[2] = 2.0
    rest0, rest1 = body_model.rest_joints(zero), body_model.rest_joints(long_legs)
    shin = lambda r: (r[4] - r[7]).norm()  # noqa: E731
    upper_arm = lambda r: (r[16] - r[18]).norm()  # noqa: E731
    assert shin(rest1) > shin(rest0) * 1.05
    torch.testing.assert_close(upper_arm(rest1), upper_arm(rest0))
    # every one of the 10 betas moves the surface
    for k in range(10):
        b = zero.clone()
        b[k] = 1.0
        d = body_model(b, torch.zeros(3), torch.zeros(63), return_vertices=True).vertices - \
            body_model(zero, torch.zeros(3), torch.zeros(63), return_vertices=True).vertices
        assert d.norm(dim=-1).max() > 0.005, f"beta {k} does nothing"


@pytest.mark.parametrize("joint", [1, 4, 9, 16, 18, 20])
def test_rotating_a_joint_moves_only_its_descendants(body_model, standin_path, joint):
    betas = torch.randn(10, generator=torch.Generator().manual_seed(joint)) * 0.5
    pose = torch.zeros(63)
    base = body_model(betas, torch.zeros(3), pose, return_vertices=True)
    pose[(joint - 1) * 3:(joint - 1) * 3 + 3] = torch.tensor([0.4, -0.3, 0.5])
    moved = body_model(betas, torch.zeros(3), pose, return_vertices=True)
    shift = (moved.joints - base.joints).norm(dim=-1)
    subtree = set(descendants(joint))
    for j in range(NUM_JOINTS):
        if j in subtree:
            assert shift[j] > 1e-3, SMPLX_JOINT_NAMES[j]
        else:
            assert shift[j] < 1e-6, SMPLX_JOINT_NAMES[j]
    weights = np.load(standin_path)["weights"]
    untouched = weights[:, [joint, *subtree]].sum(1) == 0
    vshift = (moved.vertices - base.vertices).norm(dim=-1).numpy()
    assert vshift[untouched].max() < 1e-6
    assert vshift[~untouched].max() > 1e-3


def test_ensure_generates_once(tmp_path):
    path = ensure_standin_model(tmp_path / "m.npz")
    mtime = path.stat().st_mtime_ns
    assert ensure_standin_model(path).stat().st_mtime_ns == mtime


def test_processes_generating_it_at_once_all_succeed(tmp_path, at_once):
    """Two torchrun ranks on a fresh machine both find no stand-in and both write it; each
    must end with the file (a shared temporary name made the slower one fail)."""
    path = tmp_path / "m.npz"
    assert at_once(lambda: ensure_standin_model(path)) == [0, 0, 0]
    assert np.load(path)["v_template"].shape == (NUM_VERTICES, 3)
    assert sorted(f.name for f in tmp_path.iterdir()) == ["m.npz"]
