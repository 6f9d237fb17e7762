"""The camera from the people it sees (perception/self_calibration.py): synthetic walkers
seen by a known camera give it back; too few upright people are refused with the reason."""

import math

import numpy as np
import pytest
import torch

from fhmr_ros.body.keypoints import keypoint_format
from fhmr_ros.data.procedural import procedural_clips
from fhmr_ros.geometry.rotations import rotation_about_axis_np
from fhmr_ros.perception.self_calibration import (CalibrationConfig, CalibrationError,
                                                  calibrate, keypoint_heights, up_vector)

FMT = keypoint_format("mediapipe33")
W, H = 1280, 720


def camera(f: float, pitch_deg: float, roll_deg: float, height: float):
    """(K, R_camera_world, camera position): world z up, the camera looking along +y."""
    level = np.array([[1.0, 0, 0], [0, 0, -1], [0, 1, 0]])    # optical (x, y, z) <- world
    R = (rotation_about_axis_np("z", math.radians(roll_deg))
         @ rotation_about_axis_np("x", math.radians(pitch_deg)) @ level)
    K = np.array([[f, 0, W / 2], [0, f, H / 2], [0, 0, 1]])
    return K, R, np.array([0.0, 0.0, height])


def walkers(body_model, K, R, c, count=16):
    """Procedural people 6-20 m in front of the camera, in their upright frames (walking,
    standing: what the calibration assumes): [(track, keypoints (33, 3))] and their mean
    stature."""
    rng = np.random.default_rng(0)
    people, statures = [], []
    for k, clip in enumerate(procedural_clips(count, seed=11, split="train",
                                              body_model=body_model)):
        betas = torch.from_numpy(clip.betas).float()
        with torch.no_grad():
            rest = body_model(betas[None], torch.zeros(1, 3), torch.zeros(1, 63),
                              return_vertices=True).vertices[0, :, 1]
            pts = body_model.landmarks(
                betas.expand(clip.num_frames, -1), torch.from_numpy(clip.global_orient),
                torch.from_numpy(clip.body_pose).reshape(-1, 63),
                torch.from_numpy(clip.transl), FMT.landmark_index).double().numpy()
        statures.append(float(rest.max() - rest.min()))
        pts[..., :2] += np.array([rng.uniform(-6, 6), rng.uniform(6, 20)]) - pts[0, :, :2].mean(0)
        hips = pts[:, [FMT.names.index("left_hip"), FMT.names.index("right_hip")], 2].mean(1)
        upright = hips > 0.95 * np.percentile(hips, 95)         # walking or standing frames
        for t in range(0, clip.num_frames, 3):
            cam = (pts[t] - c) @ R.T                                     # (33, 3)
            if upright[t] and (cam[:, 2] > 0.5).all():
                uv = cam[:, :2] / cam[:, 2:] * K[0, 0] + K[:2, 2]
                people.append((k, np.concatenate([uv, np.ones((33, 1))], axis=1)))
    return people, float(np.mean(statures))


@pytest.mark.parametrize("pitch", [25.0, 40.0])
def test_walkers_seen_by_a_pitched_camera_give_it_back(body_model, pitch):
    """Focal length within 10 % (walking people's hips are a little lower than at rest: it
    comes out ~6 % short), pitch and roll within 1.5°, height within 5 %."""
    K, R, c = camera(800.0, pitch, 2.0, 5.0)
    people, stature = walkers(body_model, K, R, c)
    est = calibrate(people, FMT, (W, H), keypoint_heights(body_model, FMT),
                    CalibrationConfig(stature_m=stature))
    print(est)                     # 2026-12-07: f 751 / 753 px, h 5.01 / 5.04 m
    assert est.focal_determined and est.focal_px == pytest.approx(800.0, rel=0.10)
    assert est.pitch_deg == pytest.approx(pitch, abs=1.5)
    assert est.roll_deg == pytest.approx(2.0, abs=1.0)
    assert est.height_m == pytest.approx(5.0, rel=0.05)
    np.testing.assert_allclose(up_vector(math.radians(pitch), math.radians(2.0)),
                               R @ np.array([0.0, 0.0, 1.0]), atol=1e-9)


def test_a_level_camera_leaves_the_focal_length_open_but_finds_height_and_pitch(body_model):
    K, R, c = camera(800.0, 0.0, 0.0, 1.2)
    people, stature = walkers(body_model, K, R, c)
    ratios = keypoint_heights(body_model, FMT)
    free = calibrate(people, FMT, (W, H), ratios, CalibrationConfig(stature_m=stature))
    assert not free.focal_determined
    held = calibrate(people, FMT, (W, H), ratios, CalibrationConfig(stature_m=stature),
                     focal_px=800.0)
    assert held.height_m == pytest.approx(1.2, rel=0.05)
    assert abs(held.pitch_deg) < 1.0


def test_too_few_upright_people_are_refused_with_the_reason(body_model):
    K, R, c = camera(800.0, 25.0, 0.0, 5.0)
    people, _ = walkers(body_model, K, R, c, count=1)
    feet_hidden = [(k, np.where(np.isin(np.arange(33), [27, 28]), 0.0, 1.0)[:, None] * kp)
                   for k, kp in people]
    with pytest.raises(CalibrationError, match="feet"):
        calibrate(feet_hidden, FMT, (W, H), keypoint_heights(body_model, FMT))
