"""The calibrated per-joint uncertainty: the fit holds its coverage, an unseen joint is never
more certain than a seen one, the calibration tool stores the table in a real checkpoint and
the streaming engine publishes it."""

import numpy as np
import pytest

from fhmr_ros.body.keypoints import keypoint_format
from fhmr_ros.body.skeleton import BODY_JOINT_NAMES
from fhmr_ros.model.checkpoint import default_checkpoint, load_checkpoint
from fhmr_ros.model.joint_uncertainty import (COVERAGE, JointUncertainty, confidence_bin,
                                              fit_joint_uncertainty, model_uncertainty)


def _draw(rng, n):
    """Errors whose spread grows as the detector's confidence falls and with depth."""
    confidence = rng.choice([0.0, 0.3, 0.9], size=(n, 22))
    depth = rng.uniform(2.0, 8.0, n)
    scale = np.where(confidence == 0, 0.12, np.where(confidence < 0.5, 0.07, 0.03))
    relative = np.abs(rng.normal(0, 1, (n, 22))) * scale
    relative[:, 0] = 0.0                                   # the root-relative pelvis
    pelvis = 0.04 * depth * np.abs(rng.normal(0, 1, n))
    absolute = np.sqrt(relative ** 2 + pelvis[:, None] ** 2)
    return relative, absolute, confidence, depth


def test_the_fit_holds_its_coverage_on_new_frames_and_ranks_unseen_joints_higher():
    rng = np.random.default_rng(0)
    rel, absolute, conf, depth = _draw(rng, 20000)
    table = fit_joint_uncertainty(rel, absolute, conf, depth)
    assert abs((absolute <= table.sigma(conf, depth)).mean() - COVERAGE) < 1e-3
    rel2, abs2, conf2, depth2 = _draw(rng, 20000)           # frames the fit never saw
    assert abs((abs2 <= table.sigma(conf2, depth2)).mean() - COVERAGE) < 0.02
    assert (table.relative[0] >= table.relative[1]).all()
    assert (table.relative[1] >= table.relative[2]).all()
    assert table.relative[0, 7] > 2 * table.relative[2, 7]     # an ankle unseen vs seen
    assert 0.02 < table.depth_ratio < 0.06
    # further away, less certain; and the table survives the checkpoint's meta
    near, far = (table.sigma(np.ones((1, 22)), np.array([d]))[0, 7] for d in (2.0, 8.0))
    assert far > near
    again = JointUncertainty.from_dict(table.to_dict())
    np.testing.assert_array_equal(again.sigma(conf2, depth2), table.sigma(conf2, depth2))
    with pytest.raises(ValueError, match="shape"):
        JointUncertainty.from_dict({**table.to_dict(), "relative": [[0.1] * 22]})


def test_a_sparse_bin_borrows_the_less_confident_one():
    rng = np.random.default_rng(1)
    rel, absolute, conf, depth = _draw(rng, 3000)
    conf[:, 4] = np.where(conf[:, 4] == 0.9, 0.3, conf[:, 4])       # knee never seen well
    table = fit_joint_uncertainty(rel, absolute, conf, depth)
    assert table.relative[2, 4] == table.relative[1, 4]
    assert list(confidence_bin(np.array([0.0, 0.2, 0.5, 1.0]))) == [0, 1, 2, 2]


def test_calibrating_a_checkpoint_makes_the_engine_publish_the_radius(tmp_path, body_model):
    from fhmr_ros.data.procedural import procedural_clips
    from fhmr_ros.data.windows import prepare_clip
    from fhmr_ros.evaluation.evaluate import evaluate, held_out_sequences
    from fhmr_ros.streaming.engine import PersonObservation, StreamingConfig, StreamingEngine
    from fhmr_ros.tools import calibrate

    out = tmp_path / "calibrated.pt"
    assert calibrate.main([str(default_checkpoint("lite")), "--out", str(out),
                           "--max-clips", "2", "--modes", "two_stage"]) == 0
    model = load_checkpoint(out)
    table = model_uncertainty(model.meta, "two_stage")
    offline = model_uncertainty(model.meta, "two_stage", "offline")
    assert table is not None and offline is not None
    assert table.depth_ratio != offline.depth_ratio      # the node's root alignment differs
    assert model_uncertainty(model.meta, "no_such_mode") is None
    assert model.meta["uncertainty_fit"]["sequences"] == 2

    clip = procedural_clips(1, seed=5, split="test", body_model=body_model)[0].slice(0, 90)
    seq = held_out_sequences([prepare_clip(clip, body_model, keypoint_format("mediapipe33"))],
                             "mediapipe33")[0]
    fmt = keypoint_format("mediapipe33")
    wrist = BODY_JOINT_NAMES.index("left_wrist")
    engine = StreamingEngine(model, StreamingConfig(stride=8, lag=4))
    results = []
    for t in range(90):
        keypoints = seq.batch.keypoints[0, t].numpy().copy()          # (K, 3)
        if t >= 45:                                                    # the wrist goes unseen
            keypoints[fmt.names.index("left_wrist")] = 0.0
        results += engine.update(t / model.cfg.fps, seq.batch.T_world_camera[0, t].numpy(),
                                 seq.batch.K[0].numpy(), [PersonObservation(0, keypoints, None)])
    results += engine.flush()
    sigma = {r.frame: r.joint_uncertainty for r in results}
    assert all(s is not None and s.shape == (22,) and (s > 0).all() for s in sigma.values())
    seen = [sigma[f][wrist] / sigma[f][0] for f in range(10, 40)
            if seq.batch.keypoints[0, f, fmt.names.index("left_wrist"), 2] >= 0.5]
    unseen = [sigma[f][wrist] / sigma[f][0] for f in range(50, 90)]
    assert seen and min(unseen) > max(seen)      # relative to the pelvis: depth cancels

    # fhmr-eval reports how often the truth lies within the radius (one short clip, two
    # fitted: any share can come out) and how large the radius is
    row = evaluate(model, body_model, [seq], ["two_stage"], model.default_sampling(seed=0),
                   StreamingConfig(stride=8, lag=4), vertices=False)["two_stage"]
    assert 0 <= row["coverage"] <= 100 and row["sigma"] > 0
    assert -1 <= row["sigma_error_r"] <= 1
