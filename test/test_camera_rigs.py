"""Camera rig sampler: placement, rigid poses, odometry drift, IMU gravity, humanoid gait."""

import math
import time
from dataclasses import replace

import numpy as np
import pytest

from fhmr_ros.data.camera_rigs import RIG_KINDS, CameraRigConfig, sample_camera_rig

FPS = 30.0
CONFIG = CameraRigConfig()


def _pelvis_paths(rng, T=120):
    """Standing, walking straight at 1.3 m/s, walking a 2 m circle: (T, 3) each."""
    t = np.arange(T) / FPS
    standing = np.column_stack([np.full(T, rng.normal()), np.full(T, rng.normal()),
                                np.full(T, 0.95)])
    heading = rng.uniform(0.0, 2.0 * math.pi)
    walking = np.column_stack([1.3 * t * math.cos(heading), 1.3 * t * math.sin(heading),
                               0.95 + 0.02 * np.cos(4.0 * math.pi * t)])
    circle = np.column_stack([2.0 * np.cos(0.5 * t), 2.0 * np.sin(0.5 * t), np.full(T, 0.95)])
    return [standing, walking, circle]


def _pelvis_in_camera(rig, pelvis):
    R, c = rig.T_world_camera[:, :3, :3], rig.T_world_camera[:, :3, 3]
    return np.einsum("tji,tj->ti", R, pelvis - c)                            # (T, 3)


@pytest.mark.parametrize("kind", RIG_KINDS)
def test_person_mostly_in_view_at_configured_distance_and_height(kind):
    rng = np.random.default_rng(1)
    height = {"static": CONFIG.static_height_m, "panning": CONFIG.panning_height_m,
              "mobile_base": CONFIG.mobile_height_m, "humanoid": CONFIG.humanoid_height_m}[kind]
    in_view, at_distance = [], []
    for _ in range(20):
        for pelvis in _pelvis_paths(rng):
            rig = sample_camera_rig(rng, pelvis, FPS, kind)
            assert rig.kind == kind
            p = _pelvis_in_camera(rig, pelvis)
            uv = p[:, :2] / np.maximum(p[:, 2:], 1e-6) * rig.K[0, 0] + rig.K[:2, 2]
            w, h = rig.image_size
            inside = (p[:, 2] > 0) & (uv >= 0).all(1) & (uv[:, 0] < w) & (uv[:, 1] < h)
            in_view.append(inside.mean())
            distance = np.linalg.norm(pelvis[:, :2] - rig.T_world_camera[:, :2, 3], axis=1)
            at_distance.append(((distance >= CONFIG.distance_m[0])
                                & (distance <= CONFIG.distance_m[1])).mean())
            z = rig.T_world_camera[:, 2, 3]
            assert z.min() >= height[0] - 0.021 and z.max() <= height[1] + 0.021
    assert np.mean(np.array(in_view) >= 0.7) >= 0.85
    assert np.mean(in_view) >= 0.85
    assert np.mean(np.array(at_distance) >= 0.8) >= 0.9


@pytest.mark.parametrize("kind", RIG_KINDS)
def test_poses_are_rigid_and_intrinsics_plausible(kind):
    rng = np.random.default_rng(2)
    for pelvis in _pelvis_paths(rng):
        rig = sample_camera_rig(rng, pelvis, FPS, kind)
        for T in (rig.T_world_camera, rig.T_world_camera_odom):
            assert T.shape == (len(pelvis), 4, 4)
            R = T[:, :3, :3]
            np.testing.assert_allclose(R.transpose(0, 2, 1) @ R,
                                       np.broadcast_to(np.eye(3), R.shape), atol=1e-9)
            np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-9)
            np.testing.assert_array_equal(T[:, 3], np.tile([0.0, 0.0, 0.0, 1.0], (len(T), 1)))
        w, h = rig.image_size
        assert (w, h) in CONFIG.image_sizes
        hfov = math.degrees(2.0 * math.atan(w / 2.0 / rig.K[0, 0]))
        assert CONFIG.hfov_deg[0] - 1e-6 <= hfov <= CONFIG.hfov_deg[1] + 1e-6
        assert abs(rig.K[0, 2] - w / 2) <= 0.05 * w and abs(rig.K[1, 2] - h / 2) <= 0.05 * h
        # Small roll: the image x axis stays nearly horizontal.
        roll_limit = 15.0 if kind == "humanoid" else 6.0
        assert np.degrees(np.abs(np.arcsin(rig.T_world_camera[:, 2, 0]))).max() < roll_limit


def test_odometry_aligned_at_start_and_drifts_by_kind():
    rng = np.random.default_rng(3)
    final_error = {kind: [] for kind in RIG_KINDS}
    for _ in range(30):
        pelvis = _pelvis_paths(rng)[1]
        for kind in RIG_KINDS:
            rig = sample_camera_rig(rng, pelvis, FPS, kind)
            np.testing.assert_allclose(rig.T_world_camera_odom[0], rig.T_world_camera[0],
                                       atol=1e-12)
            if kind in ("static", "panning"):
                np.testing.assert_allclose(rig.T_world_camera_odom, rig.T_world_camera,
                                           atol=1e-9)
            error = rig.T_world_camera_odom[-1] - rig.T_world_camera[-1]
            final_error[kind].append(np.abs(error).sum())
    mean = {kind: np.mean(e) for kind, e in final_error.items()}
    assert mean["static"] < 1e-9
    assert mean["mobile_base"] > 1e-3
    assert mean["humanoid"] > mean["mobile_base"]


def test_imu_gravity_matches_camera_orientation():
    rng = np.random.default_rng(4)
    bound = math.radians(CONFIG.imu_bias_deg + 5.0 * math.sqrt(3.0) * CONFIG.imu_noise_deg)
    for kind in RIG_KINDS:
        rig = sample_camera_rig(rng, _pelvis_paths(rng)[1], FPS, kind)
        truth = np.einsum("tji,j->ti", rig.T_world_camera[:, :3, :3], [0.0, 0.0, -1.0])
        np.testing.assert_allclose(np.linalg.norm(rig.gravity_camera, axis=1), 1.0, atol=1e-12)
        angle = np.arccos(np.clip((truth * rig.gravity_camera).sum(1), -1.0, 1.0))
        assert angle.max() < bound
    exact = replace(CONFIG, imu_noise_deg=0.0, imu_bias_deg=0.0)
    rig = sample_camera_rig(rng, _pelvis_paths(rng)[0], FPS, "humanoid", exact)
    np.testing.assert_allclose(rig.gravity_camera, -rig.T_world_camera[:, 2, :3], atol=1e-12)


def test_humanoid_bobs_at_step_frequency():
    rng = np.random.default_rng(5)
    T = 240
    for _ in range(10):
        rig = sample_camera_rig(rng, _pelvis_paths(rng, T)[1], FPS, "humanoid")
        z = rig.T_world_camera[:, 2, 3]
        peak_to_peak = z.max() - z.min()
        lo, hi = CONFIG.bob_peak_to_peak_m
        assert 0.95 * lo <= peak_to_peak <= hi + 1e-9
        spectrum = np.abs(np.fft.rfft(z - z.mean(), n=8192))
        frequency = np.fft.rfftfreq(8192, d=1.0 / FPS)[np.argmax(spectrum)]
        assert CONFIG.step_frequency_hz[0] - 0.1 <= frequency <= CONFIG.step_frequency_hz[1] + 0.1


def test_deterministic_given_seed_and_kinds_sampled():
    pelvis = _pelvis_paths(np.random.default_rng(0))[2]
    a = sample_camera_rig(np.random.default_rng(7), pelvis, FPS)
    b = sample_camera_rig(np.random.default_rng(7), pelvis, FPS)
    assert a.kind == b.kind and a.image_size == b.image_size
    for field in ("T_world_camera", "T_world_camera_odom", "gravity_camera", "K"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    rng = np.random.default_rng(8)
    assert {sample_camera_rig(rng, pelvis, FPS).kind for _ in range(60)} == set(RIG_KINDS)
    with pytest.raises(ValueError, match="unknown camera rig kind"):
        sample_camera_rig(rng, pelvis, FPS, "drone")


def test_fast_enough():
    rng = np.random.default_rng(9)
    pelvis = _pelvis_paths(rng)[1]
    start = time.perf_counter()
    for kind in RIG_KINDS * 10:
        sample_camera_rig(rng, pelvis, FPS, kind)
    assert (time.perf_counter() - start) / 40 < 0.02   # budget 5 ms; lenient for slow CI


@pytest.mark.parametrize("kind", RIG_KINDS)
def test_close_range_puts_the_camera_near_the_chest(kind):
    """close_range_prob 1: the camera stays within reach of the person (median distance in
    close_range_m) and looks at the chest, so the feet are often out of the image."""
    rng = np.random.default_rng(3)
    config = replace(CONFIG, close_range_prob=1.0)
    distances, feet_out = [], []
    for _ in range(10):
        pelvis = _pelvis_paths(rng)[0]                             # a person standing
        rig = sample_camera_rig(rng, pelvis, FPS, kind, config)
        distances.append(np.median(np.linalg.norm(
            pelvis[:, :2] - rig.T_world_camera[:, :2, 3], axis=1)))
        feet = _pelvis_in_camera(rig, pelvis - [0.0, 0.0, 0.9])    # a point on the floor
        v = feet[:, 1] / np.maximum(feet[:, 2], 1e-6) * rig.K[1, 1] + rig.K[1, 2]
        feet_out.append(np.mean(v >= rig.image_size[1]))
    near, far = config.close_range_m
    assert near * 0.5 <= np.median(distances) <= far + 0.5, distances
    assert np.mean(feet_out) > 0.3, feet_out


@pytest.mark.parametrize("kind", RIG_KINDS)
def test_elevated_cameras_look_down_from_a_building(kind):
    """elevated_prob 1: a static or panning camera (whatever kind was asked) 3-8 m up and
    4-15 m away, pitched down at the person, who stays in view."""
    rng = np.random.default_rng(4)
    config = replace(CONFIG, elevated_prob=1.0)
    for _ in range(8):
        pelvis = _pelvis_paths(rng)[1]
        rig = sample_camera_rig(rng, pelvis, FPS, kind, config)
        assert rig.kind in ("static", "panning")
        height = rig.T_world_camera[:, 2, 3]
        assert (config.elevated_height_m[0] <= height).all()
        assert (height <= config.elevated_height_m[1]).all()
        distance = np.median(np.linalg.norm(pelvis[:, :2] - rig.T_world_camera[:, :2, 3], axis=1))
        assert 0.5 * config.elevated_distance_m[0] <= distance <= config.elevated_distance_m[1] + 5
        optical_z = rig.T_world_camera[:, :3, 2]                    # the viewing direction
        assert np.median(np.degrees(np.arcsin(-optical_z[:, 2]))) > 5.0     # pitched down
        p = _pelvis_in_camera(rig, pelvis)
        u = p[:, 0] / p[:, 2] * rig.K[0, 0] + rig.K[0, 2]
        v = p[:, 1] / p[:, 2] * rig.K[1, 1] + rig.K[1, 2]
        inside = (p[:, 2] > 0) & (u >= 0) & (u < rig.image_size[0]) & (v >= 0) & (
            v < rig.image_size[1])
        assert inside.mean() > 0.7
