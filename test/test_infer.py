"""fhmr-infer: the OBS.npz -> PRED.npz contract on a generated sequence, and clear errors."""

import numpy as np
import pytest
import torch

from fhmr_ros.body.keypoints import keypoint_format
from fhmr_ros.data.files import load_observations, save_observations
from fhmr_ros.data.mocap_corpus import CorpusConfig, load_split
from fhmr_ros.data.windows import make_batch, prepare_clip
from fhmr_ros.evaluation.metrics import mpjpe
from fhmr_ros.model.checkpoint import default_checkpoint
from fhmr_ros.tools import infer

T = 90


@pytest.fixture(scope="module")
def sequence(body_model):
    """A held-out mocap clip seen by a simulated mobile robot."""
    clip = load_split("test", body_model, CorpusConfig(fps=30.0))[0].slice(0, T)
    fmt = keypoint_format("mediapipe33")
    geo = prepare_clip(clip, body_model, fmt)
    return make_batch(np.random.default_rng(1), [(geo, 0)], T, fmt, rig_kind="mobile_base")


def write_obs(path, batch, **drop):
    arrays = dict(keypoints=batch.keypoints[0].numpy(), keypoint_format="mediapipe33",
                  K=batch.K[0].numpy(), image_size=(1280, 720), fps=30.0,
                  T_world_camera=batch.T_world_camera[0].numpy())
    arrays.update(drop)
    if "keypoints" in arrays and arrays["keypoints"] is None:    # a file without the field
        np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
        return path
    return save_observations(path, **arrays)


def test_infer_round_trip(tmp_path, sequence, capsys):
    obs = write_obs(tmp_path / "obs.npz", sequence)
    out = tmp_path / "pred.npz"
    assert infer.main([str(obs), "--out", str(out), "--hypotheses", "3", "--seed", "1"]) == 0
    pred = np.load(out)
    shapes = {"betas": (10,), "global_orient_camera": (T, 3), "body_pose": (T, 63),
              "transl_camera": (T, 3), "joints_camera": (T, 22, 3),
              "global_orient_world": (T, 3), "transl_world": (T, 3), "joints_world": (T, 22, 3),
              "joint_source": (22,), "joints_camera_samples": (3, T, 22, 3)}
    for name, shape in shapes.items():
        assert pred[name].shape == shape, name
        assert np.isfinite(pred[name]).all(), name
    assert set(pred["joint_source"][[0, 3, 6, 9, 12, 15]]) == {0}
    assert set(pred["joint_source"][[1, 4, 16, 18, 20]]) == {1}
    truth = (sequence.truth.pelvis_camera[..., None, :] + sequence.truth.joints_rel)[0]
    err = mpjpe(pred["joints_camera"], truth).mean()
    # The shipped lite model measured 57 mm, 0.17 m and 0.20 m here (person ~5 m away).
    assert err < 100.0, f"MPJPE {err:.0f} mm"
    depth = np.abs(pred["joints_camera"][:, 0, 2] - truth[:, 0, 2].numpy()).mean()
    assert depth < 0.4, f"pelvis depth error {depth:.2f} m"
    world = np.linalg.norm(pred["joints_world"][:, 0] - sequence.world.pelvis_world[0].numpy(),
                           axis=-1)
    assert world.mean() < 0.5, f"world pelvis error {world.mean():.2f} m"
    # the shipped checkpoint is calibrated: a radius per joint and frame, at ~5 m some
    # tenths of a metre, at least the hypotheses' spread
    sigma = pred["joint_uncertainty"]
    spread = np.linalg.norm(pred["joints_camera_samples"].std(0), axis=-1)
    assert sigma.shape == (T, 22) and (sigma >= spread).all()
    assert 0.05 < np.median(sigma) < 1.0


def test_infer_with_user_body_model_keeps_the_pelvis(tmp_path, sequence, standin_path):
    obs = write_obs(tmp_path / "obs.npz", sequence)
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    assert infer.main([str(obs), "--out", str(a), "--steps", "2"]) == 0
    assert infer.main([str(obs), "--out", str(b), "--steps", "2",
                       "--body-model", str(standin_path)]) == 0
    pa, pb = np.load(a), np.load(b)
    np.testing.assert_allclose(pa["joints_camera"], pb["joints_camera"], atol=2e-3)
    np.testing.assert_allclose(pa["transl_world"], pb["transl_world"], atol=2e-3)


@pytest.mark.parametrize("change, message", [
    ({"keypoints": None}, "missing required field 'keypoints'"),
    ({"keypoints": np.zeros((5, 33))}, "'keypoints' must have shape (T, K, 3)"),
    ({"keypoint_format": "openpose25"}, "'keypoint_format' must be one of"),
    ({"K": np.zeros((3, 3))}, "'K' must be finite with positive focal"),
    ({"K": np.eye(4)}, "'K' must have shape"),
    ({"fps": -1.0}, "'fps' must be one positive number"),
    ({"image_size": (640,)}, "'image_size'"),
    ({"T_world_camera": np.ones((T, 4, 4))}, "'T_world_camera' rotations are not proper"),
    ({"T_world_camera": np.eye(4)}, "'T_world_camera' must have shape"),
])
def test_malformed_observations_name_the_field(tmp_path, sequence, change, message):
    obs = write_obs(tmp_path / "obs.npz", sequence, **change)
    with pytest.raises(ValueError) as e:
        load_observations(obs)
    assert message in str(e.value)
    assert infer.main([str(obs), "--out", str(tmp_path / "p.npz")]) == 2


def test_keypoint_count_and_confidence_range_are_checked(tmp_path, sequence):
    kp = sequence.keypoints[0].numpy().copy()
    with pytest.raises(ValueError, match="has 17 keypoints but mediapipe33 has 33"):
        load_observations(write_obs(tmp_path / "a.npz", sequence, keypoints=kp[:, :17]))
    kp[0, 0, 2] = 1.5
    with pytest.raises(ValueError, match=r"confidence .* in \[0, 1\]"):
        load_observations(write_obs(tmp_path / "b.npz", sequence, keypoints=kp))
    with pytest.raises(ValueError, match="not found"):
        load_observations(tmp_path / "missing.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_observations(tmp_path / "junk.npz")


def test_no_odometry_uses_a_levelled_static_camera(tmp_path, sequence):
    obs = load_observations(write_obs(tmp_path / "obs.npz", sequence, T_world_camera=None,
                                      gravity_camera=np.array([0.0, 0.8, 0.6])))
    assert not obs.has_odometry
    R = torch.from_numpy(obs.T_world_camera[0, :3, :3])
    g_world = R @ torch.tensor([0.0, 0.8, 0.6])
    torch.testing.assert_close(g_world, torch.tensor([0.0, 0.0, -1.0]), atol=1e-5, rtol=0)


def test_missing_checkpoint_is_a_clear_error(tmp_path, sequence, capsys):
    obs = write_obs(tmp_path / "obs.npz", sequence)
    assert infer.main([str(obs), "--out", str(tmp_path / "p.npz"),
                       "--checkpoint", str(tmp_path / "nope.pt")]) == 2
    assert "model checkpoint not found" in capsys.readouterr().err
    assert default_checkpoint("lite").name == "fhmr_lite.pt"
