"""Evaluation metrics: zero on identical inputs, known values on known offsets, masks, tables."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from fhmr_ros.evaluation.metrics import (
    ARM_BONES, FOOT_JOINTS, LEG_BONES, accel_error, align, bone_direction_error,
    contact_labels, fit_similarity, foot_sliding, format_table, hypothesis_spread, jitter,
    joint_mask, masked_mean, mpjpe, pa_mpjpe, pve, rte, spread_error_correlation, summarize,
    w_mpjpe, wa_mpjpe)

T, J, V = 30, 22, 50


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def joints(rng):
    return rng.normal(scale=0.3, size=(T, J, 3)) + np.array([0.0, 0.0, 3.0])   # (T, J, 3)


def _rigid(points, seed=1, scale=1.0, shift=(0.5, -1.0, 2.0)):
    R = Rotation.random(random_state=seed).as_matrix()
    return scale * points @ R.T + np.asarray(shift)


def test_identical_inputs_give_zero(joints, rng):
    verts = rng.normal(size=(T, V, 3))
    contact = np.ones((T, len(FOOT_JOINTS)), bool)
    still = np.repeat(joints[:1], T, axis=0)
    for err in (mpjpe(joints, joints), pa_mpjpe(joints, joints), accel_error(joints, joints),
                w_mpjpe(joints, joints), wa_mpjpe(joints, joints),
                pve(verts, verts, joints[:, 0], joints[:, 0]),
                rte(joints[:, 0], joints[:, 0]), jitter(still, 30.0),
                foot_sliding(still, contact)):
        np.testing.assert_allclose(err, 0.0, atol=1e-6)


def test_mpjpe_root_alignment_and_single_joint_offset(joints):
    shifted = joints + np.array([0.1, -0.2, 0.3])
    np.testing.assert_allclose(mpjpe(shifted, joints), 0.0, atol=1e-9)
    np.testing.assert_allclose(mpjpe(shifted, joints, root=None), 1000 * np.sqrt(0.14))
    offset = joints.copy()
    offset[:, 5, 0] += 0.010                                                  # 10 mm, joint 5
    err = mpjpe(offset, joints)
    np.testing.assert_allclose(err[:, 5], 10.0)
    assert masked_mean(err) == pytest.approx(10.0 / J)


def test_pa_mpjpe_invariant_to_similarity_and_never_reflects(joints):
    np.testing.assert_allclose(pa_mpjpe(_rigid(joints, scale=1.7), joints), 0.0, atol=1e-6)
    mirrored = joints * np.array([-1.0, 1.0, 1.0])
    transform = fit_similarity(mirrored, joints)
    np.testing.assert_allclose(np.linalg.det(transform.rotation), 1.0)
    assert (pa_mpjpe(mirrored, joints).mean(axis=1) > 1.0).all()


def test_pve_aligns_by_pelvis(rng):
    verts = rng.normal(size=(T, V, 3))
    root = rng.normal(size=(T, 3))
    shift = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(pve(verts + shift, verts, root + shift, root), 0.0, atol=1e-9)
    assert pve(verts + shift, verts, root, root).shape == (T, V)


def test_accel_error_of_constant_acceleration_difference(joints):
    t = np.arange(T, dtype=float)[:, None, None]
    moved = joints.copy()
    moved[:, 3] += 0.5 * 0.002 * t[:, 0] ** 2 * np.array([1.0, 0.0, 0.0])   # 2 mm/frame^2
    err = accel_error(moved, joints)
    assert err.shape == (T - 2, J)
    np.testing.assert_allclose(err[:, 3], 2.0, atol=1e-9)
    np.testing.assert_allclose(np.delete(err, 3, axis=1), 0.0, atol=1e-9)
    # A root (pelvis) acceleration shared by all joints cancels in root-aligned joints.
    np.testing.assert_allclose(accel_error(joints + 0.01 * t ** 2, joints), 0.0, atol=1e-9)


def test_world_metrics_remove_alignment_and_chunks(joints):
    moved = _rigid(joints)
    np.testing.assert_allclose(w_mpjpe(moved, joints, chunk=10), 0.0, atol=1e-6)
    np.testing.assert_allclose(wa_mpjpe(_rigid(joints, scale=0.8), joints), 0.0, atol=1e-6)
    # W-MPJPE uses the first two frames: a drift starting later is not aligned away.
    drift = joints.copy()
    drift[2:] += np.array([0.0, 0.05, 0.0])
    np.testing.assert_allclose(w_mpjpe(drift, joints, chunk=T)[2:], 50.0)
    assert wa_mpjpe(drift, joints, chunk=T).max() < 50.0
    # A trailing one-frame chunk is NaN, a two-frame one is evaluated.
    assert np.isnan(w_mpjpe(moved, joints, chunk=T - 1)[-1]).all()
    assert np.isfinite(w_mpjpe(moved, joints, chunk=T - 2)).all()


def test_rte_of_scaled_straight_trajectory():
    x = np.linspace(0.0, 1.0, 11)
    gt = np.stack([x, np.zeros_like(x), np.zeros_like(x)], axis=-1)          # (11, 3), 1 m
    # Rigid fit of 2x onto x only matches centroids: |e_t| = |x_t - mean(x)|.
    assert rte(2.0 * gt, gt).mean() == pytest.approx(100 * np.abs(x - 0.5).mean())
    np.testing.assert_allclose(rte(_rigid(gt), gt), 0.0, atol=1e-7)
    assert np.isnan(rte(gt, np.zeros_like(gt))).all()


def test_jitter_of_cubic_trajectory():
    fps, c = 30.0, 0.7
    t = np.arange(20) / fps
    x = np.zeros((20, 2, 3))
    x[:, 1, 0] = c * t ** 3                                                   # jerk 6c m/s^3
    err = jitter(x, fps)
    np.testing.assert_allclose(err[:, 1], 6 * c / 10, rtol=1e-6)
    np.testing.assert_allclose(err[:, 0], 0.0)


def test_foot_sliding_and_contact_labels():
    fps, n = 30.0, 20
    world = np.zeros((n, J, 3))
    world[:, :, 2] = 0.5
    world[:, FOOT_JOINTS, 2] = 0.0
    world[n // 2:, FOOT_JOINTS[1], 2] = 0.3                                  # right ankle lifts
    world[:, FOOT_JOINTS[2], 0] = np.arange(n) * 1.0 / fps                   # left foot, 1 m/s
    contact = contact_labels(world, fps=fps)
    assert contact.shape == (n, 4)
    assert contact[:, [0, 3]].all() and not contact[:, 2].any()
    assert contact[:n // 2 - 1, 1].all() and not contact[n // 2:, 1].any()

    pred = world.copy()
    pred[:, FOOT_JOINTS[0], 1] = np.arange(n) * 0.3 / fps                    # slides 10 mm/frame
    slide = foot_sliding(pred, contact)
    assert slide.shape == (n - 1, 4)
    np.testing.assert_allclose(slide[:, 0], 10.0)
    assert np.isnan(slide[:, 2]).all()
    assert masked_mean(slide, joint_mask([0, 3], 4)) == pytest.approx(5.0)       # 10 and 0
    pred[:, FOOT_JOINTS[0], 2] = np.arange(n) * 0.3 / fps                    # plus vertical
    np.testing.assert_allclose(foot_sliding(pred, contact, up_axis=2)[:, 0], 10.0)


def test_masked_means_and_summary():
    err = np.arange(12, dtype=float).reshape(3, 4)                            # (T, J)
    err[0, 0] = np.nan
    torso = joint_mask([0, 1], 4)
    visible = np.ones((3, 4), bool)
    visible[2] = False
    assert masked_mean(err, torso) == pytest.approx(np.mean([1, 4, 5, 8, 9]))
    assert np.isnan(masked_mean(err, np.zeros((3, 4), bool)))
    summary = summarize({"mpjpe": err, "accel": err[1:], "rte": np.ones(3)},
                        {"torso": torso, "visible": visible})
    assert summary["mpjpe"] == pytest.approx(np.nanmean(err))
    assert summary["mpjpe/visible"] == pytest.approx(np.mean(np.arange(1, 8)))
    assert summary["accel/torso"] == pytest.approx(np.mean([4, 5, 8, 9]))
    assert "accel/visible" not in summary and "rte/torso" not in summary


def test_format_table():
    table = format_table({"ours": {"mpjpe": 51.234, "pa": float("nan")}, "base": {"mpjpe": 60}},
                         {"mpjpe": "MPJPE", "pa": "PA-MPJPE"})
    assert table.splitlines() == ["| method | MPJPE | PA-MPJPE |", "|---|---:|---:|",
                                  "| ours | 51.2 | n/a |", "| base | 60.0 | n/a |"]


def test_align_accepts_torch_and_batches(joints):
    import torch

    out = align(torch.from_numpy(_rigid(joints, scale=2.0)), torch.from_numpy(joints))
    np.testing.assert_allclose(out, joints, atol=1e-9)


def test_bone_direction_error_is_the_limb_angle_alone(joints):
    """Moving or scaling the body changes no bone direction; turning the left forearm by
    30° about an axis across it gives 30° on that bone only."""
    np.testing.assert_allclose(
        bone_direction_error(2.0 * joints + 1.0, joints, ARM_BONES + LEG_BONES), 0.0, atol=1e-5)
    elbow, wrist = ARM_BONES[1]
    bent = joints.copy()
    forearm = joints[:, wrist] - joints[:, elbow]
    axis = np.cross(forearm, [0.0, 0.0, 1.0])
    axis /= np.linalg.norm(axis, axis=-1, keepdims=True)
    turn = Rotation.from_rotvec(np.radians(30.0) * axis)
    bent[:, wrist] = joints[:, elbow] + turn.apply(forearm)
    err = bone_direction_error(bent, joints, ARM_BONES)                      # (T, 4)
    np.testing.assert_allclose(err[:, 1], 30.0, atol=1e-4)
    np.testing.assert_allclose(err[:, [0, 2, 3]], 0.0, atol=1e-5)


def test_hypothesis_spread_and_its_correlation_with_the_error(joints, rng):
    """Two hypotheses ±d apart from the mean spread by d; a spread that grows with the error
    correlates at r = 1, an unrelated one near 0, a constant one is undefined (NaN)."""
    d = rng.uniform(0.01, 0.1, size=(T, J))                                 # metres
    offset = np.zeros((T, J, 3))
    offset[..., 0] = d
    offset[:, 0] = 0.0                                                       # the root
    samples = np.stack([joints + offset, joints - offset])
    spread = hypothesis_spread(samples)                                      # (T, J) mm
    np.testing.assert_allclose(spread[:, 1:], 1000.0 * d[:, 1:], rtol=1e-9)
    error = 3.0 * spread + 5.0
    r = spread_error_correlation(spread, error)                             # (1, J)
    assert r.shape == (1, J) and np.isnan(r[0, 0])
    np.testing.assert_allclose(r[0, 1:], 1.0, atol=1e-9)
    unrelated = spread_error_correlation(spread, rng.uniform(size=(T, J)))
    assert np.nanmean(np.abs(unrelated)) < 0.3
    assert np.isnan(spread_error_correlation(spread[:5], error[:5])).all()
