"""fhmr-eval's pipeline on one held-out sequence with the shipped checkpoint."""

import math

import pytest

from fhmr_ros.body.keypoints import keypoint_format
from fhmr_ros.data.procedural import procedural_clips
from fhmr_ros.data.windows import prepare_clip
from fhmr_ros.evaluation.evaluate import (COLUMNS, evaluate, held_out_sequences,
                                          per_joint_calibration)
from fhmr_ros.evaluation.metrics import format_table
from fhmr_ros.model.checkpoint import default_checkpoint, load_checkpoint
from fhmr_ros.streaming.engine import StreamingConfig


def test_evaluate_one_held_out_sequence(body_model):
    model = load_checkpoint(default_checkpoint("lite"))
    clip = procedural_clips(1, seed=5, split="test", body_model=body_model)[0].slice(0, 150)
    geo = prepare_clip(clip, body_model, keypoint_format("mediapipe33"))
    seqs = held_out_sequences([geo], "mediapipe33")
    rows = evaluate(model, body_model, seqs, ["stage1", "two_stage"],
                    model.default_sampling(seed=0, hypotheses=3))
    truth = rows.pop("true motion")
    assert set(truth) == {"jitter", "foot_sliding"}
    # true feet hardly slide while in contact (a prediction's do); real motion shakes a little
    assert 0 <= truth["foot_sliding"] < 0.5 * rows["two_stage"]["foot_sliding"]
    assert 0 < truth["jitter"] < math.inf
    for mode, row in rows.items():
        for key in COLUMNS:
            if key.startswith("spread") and mode == "stage1":
                assert key not in row           # one deterministic answer: no spread
                continue
            if key.startswith(("sigma", "coverage")) and "uncertainty" not in model.meta:
                assert key not in row           # an uncalibrated checkpoint: no radius
                continue
            if (key in ("rte", "mpjpe/occluded", "spread/occluded", "sigma/occluded",
                        "coverage/occluded") and math.isnan(row[key])):
                continue            # undefined: the person barely moves / nothing occluded
            low = -1.0 if key.endswith("error_r") else 0.0
            assert math.isfinite(row[key]) and row[key] >= low, (mode, key, row[key])
    assert rows["two_stage"]["spread_error_r"] <= 1.0 and rows["two_stage"]["spread"] > 0
    calibration = per_joint_calibration(rows["two_stage"])     # every joint but the root
    assert len(calibration) == 21 and per_joint_calibration(rows["stage1"]) == {}
    wrist = calibration["left_wrist"]
    assert wrist["spread"] > 0 and -1 <= wrist["spread_error_r"] <= 1 and wrist["mpjpe"] > 0
    # Stage 1 fills limbs with the mean pose; Stage 2 must do better on them.
    assert rows["two_stage"]["mpjpe/non_torso"] < rows["stage1"]["mpjpe/non_torso"]
    # the same anchor (equal up to the rounding of the pelvis mapped through the world)
    assert math.isclose(rows["two_stage"]["mpjpe/torso"], rows["stage1"]["mpjpe/torso"],
                        rel_tol=1e-6)
    assert "| two_stage |" in format_table(rows, COLUMNS)


def test_evaluate_the_nodes_streaming_path(body_model):
    """The streaming engine, frame by frame, is scored like offline windows, with the gap
    between published world joints and camera joints mapped through the camera pose (none
    now that both are one estimate)."""
    model = load_checkpoint(default_checkpoint("lite"))
    clip = procedural_clips(1, seed=5, split="test", body_model=body_model)[0].slice(0, 120)
    geo = prepare_clip(clip, body_model, keypoint_format("mediapipe33"))
    seqs = held_out_sequences([geo], "mediapipe33")
    rows = evaluate(model, body_model, seqs, ["two_stage"], model.default_sampling(seed=0),
                    StreamingConfig(stride=8, lag=4))
    row = rows["two_stage"]
    assert 0 < row["mpjpe"] < 200 and 0 < row["w_mpjpe"] < 2000
    assert 0 < row["root_camera"] < 2000 and 0 < row["jitter_camera"]
    assert row["world_camera_gap"] < 1.0           # mm: camera and world are one place
    # seeing only COCO-17's keypoints (another node's detector): still a body, less sure
    coco = evaluate(model, body_model, seqs, ["two_stage"], model.default_sampling(seed=0),
                    StreamingConfig(stride=8, lag=4), observed_format="coco17",
                    vertices=False)["two_stage"]
    assert 0 < coco["mpjpe"] < 250 and coco["mpjpe"] != row["mpjpe"]
    assert "pve" in row and "pve" not in coco


def test_stage2_on_the_baselines_anchor(body_model):
    """Mode baseline_anchor (the diagnostic of how much Stage 1's anchor costs): Stage 2
    completes the baseline's anchor, offline and on the streaming path alike. So its torso
    is the baseline's exactly, and its limbs are Stage 2's own."""
    model = load_checkpoint(default_checkpoint("lite"))
    clip = procedural_clips(1, seed=5, split="test", body_model=body_model)[0].slice(0, 120)
    geo = prepare_clip(clip, body_model, keypoint_format("mediapipe33"))
    seqs = held_out_sequences([geo], "mediapipe33")
    for streaming in (None, StreamingConfig(stride=8, lag=4)):
        rows = evaluate(model, body_model, seqs, ["baseline", "baseline_anchor"],
                        model.default_sampling(seed=0), streaming, vertices=False)
        base, swapped = rows["baseline"], rows["baseline_anchor"]
        assert math.isclose(swapped["mpjpe/torso"], base["mpjpe/torso"], rel_tol=1e-6)
        assert abs(swapped["mpjpe/non_torso"] - base["mpjpe/non_torso"]) > 0.1
    model.baseline = None
    with pytest.raises(ValueError, match="no baseline network"):
        evaluate(model, body_model, seqs, ["baseline_anchor"], model.default_sampling(seed=0),
                 vertices=False)


def test_each_source_gets_its_own_rows(body_model):
    """A procedural and a real mocap sequence: the rows of each source beside the overall
    one, which is their frame-weighted mean."""
    from fhmr_ros.data.mocap_corpus import CorpusConfig, load_split

    model = load_checkpoint(default_checkpoint("lite"))
    fmt = keypoint_format("mediapipe33")
    clips = [procedural_clips(1, seed=5, split="test", body_model=body_model)[0].slice(0, 90),
             load_split("test", body_model, CorpusConfig(fps=30.0))[0].slice(0, 60)]
    seqs = held_out_sequences([prepare_clip(c, body_model, fmt) for c in clips], "mediapipe33")
    rows = evaluate(model, body_model, seqs, ["two_stage"], model.default_sampling(seed=0),
                    vertices=False)
    assert set(rows) == {"two_stage", "two_stage · procedural", "two_stage · reactidle",
                         "true motion", "true motion · procedural", "true motion · reactidle"}
    mixed = (90 * rows["two_stage · procedural"]["mpjpe"]
             + 60 * rows["two_stage · reactidle"]["mpjpe"]) / 150
    assert math.isclose(rows["two_stage"]["mpjpe"], mixed, rel_tol=1e-9)
    assert rows["two_stage · procedural"]["mpjpe"] != rows["two_stage · reactidle"]["mpjpe"]
