"""BodyModel wrapper on the stand-in: fast FK agrees with smplx, root transforms, keypoint
maps and clear errors."""

import numpy as np
import pytest
import torch

from fhmr_ros.body.body_model import BodyModel, transform_smplx_root
from fhmr_ros.body.keypoints import COCO17, MEDIAPIPE33, SMPLX_LANDMARK_NAMES, keypoint_format
from fhmr_ros.body.skeleton import NON_TORSO_JOINTS, NUM_BODY_JOINTS, TORSO_JOINTS
from fhmr_ros.geometry.rotations import axis_angle_to_matrix, rotation_about_axis


def _random_params(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, 10, generator=g), torch.randn(*shape, 3, generator=g),
            0.4 * torch.randn(*shape, 63, generator=g), torch.randn(*shape, 3, generator=g))


def test_forward_kinematics_agrees_with_smplx(body_model):
    betas, orient, pose, transl = _random_params((2, 3), seed=0)
    smplx_joints = body_model(betas, orient, pose, transl).joints        # (2, 3, 55, 3)
    fk = body_model.body_joints(betas, orient, pose, transl)             # (2, 3, 22, 3)
    assert fk.shape == (2, 3, NUM_BODY_JOINTS, 3)
    torch.testing.assert_close(fk, smplx_joints[..., :NUM_BODY_JOINTS, :], atol=1e-5, rtol=0)


def test_batch_shapes_and_shared_betas(body_model):
    betas, orient, pose, transl = _random_params((4,), seed=1)
    out = body_model(betas[0], orient, pose, transl, return_vertices=True)
    assert out.joints.shape == (4, 55, 3)
    assert out.landmarks.shape == (4, len(SMPLX_LANDMARK_NAMES), 3)
    assert out.vertices.shape == (4, body_model.num_vertices, 3)
    one = body_model(betas[0], orient[2], pose[2], transl[2])
    torch.testing.assert_close(one.joints, out.joints[2], atol=1e-6, rtol=0)


def test_pelvis_is_transl_plus_rest_offset(body_model):
    betas, orient, pose, transl = _random_params((5,), seed=2)
    joints = body_model.body_joints(betas, orient, pose, transl)
    torch.testing.assert_close(joints[:, 0], transl + body_model.pelvis_offset(betas))
    assert body_model.pelvis_offset(betas).abs().sum(-1).min() > 0.1  # transl != pelvis


def test_transform_smplx_root_moves_the_whole_mesh_rigidly(body_model):
    betas, orient, pose, transl = _random_params((3,), seed=3)
    R = axis_angle_to_matrix(torch.tensor([0.3, -1.2, 0.7]))
    t = torch.tensor([1.0, -2.0, 0.5])
    orient2, transl2 = transform_smplx_root(R, t, orient, transl, body_model.pelvis_offset(betas))
    v1 = body_model(betas, orient, pose, transl, return_vertices=True).vertices
    v2 = body_model(betas, orient2, pose, transl2, return_vertices=True).vertices
    torch.testing.assert_close(v2, v1 @ R.T + t, atol=1e-5, rtol=0)


def test_missing_model_file_names_the_file_and_how_to_get_it(tmp_path):
    missing = tmp_path / "SMPLX_NEUTRAL.npz"
    with pytest.raises(FileNotFoundError) as err:
        BodyModel(missing)
    assert str(missing) in str(err.value) and "smpl-x.is.tue.mpg.de" in str(err.value)
    pkl = tmp_path / "model.pkl"
    pkl.write_bytes(b"x")
    with pytest.raises(ValueError, match="npz"):
        BodyModel(pkl)


def test_joint_sets_partition_the_body():
    assert sorted(TORSO_JOINTS + NON_TORSO_JOINTS) == list(range(NUM_BODY_JOINTS))


def test_keypoint_maps_land_on_the_right_body_parts(body_model):
    out = body_model(torch.zeros(10), torch.zeros(3), torch.zeros(63))
    mp = dict(zip(MEDIAPIPE33.names, MEDIAPIPE33.from_landmarks(out.landmarks).numpy()))
    assert len(mp) == 33
    # y is up, x is the body's left, z forward (T-pose)
    assert mp["nose"][1] > mp["left_shoulder"][1] > mp["left_hip"][1] > mp["left_knee"][1]
    assert mp["nose"][2] > mp["left_ear"][2]                   # nose in front of ears
    assert mp["left_ear"][0] > mp["left_eye_outer"][0] > mp["left_eye"][0] > \
        mp["left_eye_inner"][0] > 0 > mp["right_eye_inner"][0] > mp["right_eye"][0]
    assert mp["mouth_left"][0] > 0 > mp["mouth_right"][0]
    assert mp["left_eye"][1] > mp["mouth_left"][1]
    assert mp["left_foot_index"][2] > mp["left_ankle"][2] > mp["left_heel"][2]
    assert mp["left_heel"][1] < mp["left_ankle"][1]
    shoulder_w = mp["left_shoulder"][0] - mp["right_shoulder"][0]
    hip_w = mp["left_hip"][0] - mp["right_hip"][0]
    assert shoulder_w > hip_w > 0
    coco = COCO17.from_landmarks(out.landmarks)
    assert coco.shape == (17, 3)
    torch.testing.assert_close(coco[0], torch.from_numpy(mp["nose"]))
    with pytest.raises(ValueError, match="unknown keypoint format"):
        keypoint_format("openpose25")


def test_rotating_the_root_rotates_keypoints(body_model):
    yaw = rotation_about_axis("y", torch.tensor(0.5))
    from fhmr_ros.geometry.rotations import matrix_to_axis_angle

    a = body_model(torch.zeros(10), torch.zeros(3), torch.zeros(63)).landmarks
    b = body_model(torch.zeros(10), matrix_to_axis_angle(yaw), torch.zeros(63)).landmarks
    pelvis = a[0]
    torch.testing.assert_close(b - pelvis, (a - pelvis) @ yaw.T, atol=1e-5, rtol=0)


def test_wrapper_uses_the_file_it_is_given(tmp_path, standin_path):
    """A user's file is used as it is: nothing assumes the stand-in's own arrays."""
    arrays = dict(np.load(standin_path))
    arrays["v_template"] = arrays["v_template"] * 1.1
    path = tmp_path / "scaled.npz"
    np.savez(path, **arrays)
    scaled = BodyModel(path)
    rest = scaled.rest_joints(torch.zeros(10))
    base = BodyModel(standin_path).rest_joints(torch.zeros(10))
    torch.testing.assert_close(rest, base * 1.1, atol=1e-6, rtol=0)


def test_vertices_at_moves_the_posed_mesh_so_its_pelvis_is_where_asked(body_model):
    g = torch.Generator().manual_seed(0)
    betas, go = torch.randn(10, generator=g) * 0.5, torch.randn(3, generator=g) * 0.3
    pose, pelvis = torch.randn(63, generator=g) * 0.2, torch.tensor([1.0, -2.0, 3.0])
    out = body_model.forward(betas[None], go[None], pose[None], return_vertices=True)
    v = body_model.vertices_at(betas, go, pose, pelvis)                 # (V, 3)
    assert torch.allclose(v - pelvis, out.vertices[0] - out.joints[0, 0], atol=1e-6)
