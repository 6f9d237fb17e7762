"""Simulated detector output: exact projection without noise, confidence semantics,
visibility truth, occluders, swaps, missed frames, boxes, determinism."""

import time
from dataclasses import replace

import numpy as np
import pytest

from fhmr_ros.body.keypoints import keypoint_format
from fhmr_ros.data.observations import (BODY_PARTS, DetectorNoiseConfig, body_part_keypoints,
                                        simulate_detections)

K = np.array([[600.0, 0.0, 322.0], [0.0, 600.0, 238.0], [0.0, 0.0, 1.0]])
IMAGE = (640, 480)
EXACT = DetectorNoiseConfig.exact()
# Body-frame keypoints (left, up, forward) in metres; right side mirrors left.
TEMPLATE = {"nose": (0.0, 1.60, 0.10), "eye_inner": (0.02, 1.65, 0.08),
            "eye": (0.035, 1.65, 0.08), "eye_outer": (0.05, 1.65, 0.07),
            "ear": (0.08, 1.62, 0.0), "mouth": (0.025, 1.55, 0.09),
            "shoulder": (0.18, 1.42, 0.0), "elbow": (0.22, 1.15, 0.0),
            "wrist": (0.24, 0.88, 0.02), "pinky": (0.24, 0.80, 0.02),
            "index": (0.23, 0.79, 0.04), "thumb": (0.21, 0.82, 0.05),
            "hip": (0.10, 0.95, 0.0), "knee": (0.11, 0.50, 0.02), "ankle": (0.12, 0.08, 0.0),
            "heel": (0.12, 0.03, -0.05), "foot_index": (0.13, 0.02, 0.15)}


def _person(fmt, T=60, x0=0.0, speed=0.0, depth=4.0, camera_height=1.2):
    """Camera-frame keypoints (T, K, 3) of a person facing the camera at ``depth`` and
    walking sideways along camera x from x0 at ``speed`` m/frame."""
    body = []
    for name in fmt.names:
        left, up, forward = TEMPLATE[max((p for p in TEMPLATE if p in name), key=len)]
        body.append((-left if "right" in name else left, up, forward))
    body = np.array(body)                                                    # (K, 3)
    camera = np.stack([body[:, 0], camera_height - body[:, 1], depth - body[:, 2]], -1)
    shift = np.zeros((T, 1, 3))
    shift[:, 0, 0] = x0 + speed * np.arange(T)
    return camera[None] + shift


def _project(points):
    uvw = points @ K.T
    return uvw[..., :2] / uvw[..., 2:]


@pytest.fixture(params=["mediapipe33", "coco17"])
def fmt(request):
    return keypoint_format(request.param)


def test_exact_detector_reports_the_projection(fmt):
    points = _person(fmt, x0=-2.0, speed=0.1)        # walks across and out of the image
    det = simulate_detections(np.random.default_rng(0), points, K, IMAGE, fmt, EXACT)
    uv = _project(points)
    inside = (uv >= 0).all(-1) & (uv[..., 0] < IMAGE[0]) & (uv[..., 1] < IMAGE[1])
    np.testing.assert_array_equal(det.visible, inside)
    assert det.detected.any() and not det.detected.all()
    np.testing.assert_array_equal(det.detected, det.visible.sum(1) >= EXACT.min_visible_keypoints)
    seen = det.visible & det.detected[:, None]
    np.testing.assert_allclose(det.keypoints[..., :2][seen], uv[seen], atol=1e-9)
    np.testing.assert_allclose(det.keypoints[..., 2][seen], EXACT.conf_max)
    assert (det.keypoints[~seen] == 0.0).all()


def test_a_sparser_detector_reports_only_its_keypoints():
    """sparse_format_prob 1: a MediaPipe-33 body seen by a COCO-17 detector reports only
    COCO-17's 17 keypoints; at 0 (the default) the random stream is as before."""
    fmt = keypoint_format("mediapipe33")
    points = _person(fmt)
    coco = [fmt.names.index(n) for n in keypoint_format("coco17").names]
    sparse = simulate_detections(np.random.default_rng(0), points, K, IMAGE, fmt,
                                 replace(EXACT, sparse_format_prob=1.0))
    others = np.setdiff1d(np.arange(33), coco)
    assert (sparse.keypoints[:, others] == 0).all() and (sparse.keypoints[:, coco, 2] > 0).all()
    full = simulate_detections(np.random.default_rng(0), points, K, IMAGE, fmt, EXACT)
    np.testing.assert_array_equal(full.keypoints[:, coco], sparse.keypoints[:, coco])
    assert (full.keypoints[:, others, 2] > 0).all()


def test_a_long_part_occlusion_hides_one_body_part_for_one_stretch(fmt):
    """part_occlusion_prob 1: in every clip exactly one part of BODY_PARTS is hidden, for
    one contiguous stretch of at least 30 % of the clip, and nothing else; at 0 (the
    default) the random stream is as before."""
    points = _person(fmt, T=90)
    config = replace(EXACT, part_occlusion_prob=1.0, hallucinate_occluded_prob=0.0)
    parts = {name: body_part_keypoints(fmt, name) for name in BODY_PARTS}
    assert all(m.any() for m in parts.values())
    assert not (parts["left_arm"] & parts["right_arm"]).any()
    seen_parts = set()
    for seed in range(40):
        det = simulate_detections(np.random.default_rng(seed), points, K, IMAGE, fmt, config)
        hidden_frames = np.flatnonzero(~det.visible.all(1))
        assert len(hidden_frames) >= 0.3 * 90 - 1
        assert (np.diff(hidden_frames) == 1).all()                          # one stretch
        hidden = ~det.visible[hidden_frames[0]]
        part = [name for name, m in parts.items() if (m == hidden).all()]
        assert len(part) == 1, hidden
        assert (det.keypoints[hidden_frames][:, hidden] == 0).all()          # unreported
        seen_parts.add(part[0])
    assert seen_parts == set(BODY_PARTS)
    plain = simulate_detections(np.random.default_rng(0), points, K, IMAGE, fmt, EXACT)
    off = simulate_detections(np.random.default_rng(0), points, K, IMAGE, fmt,
                              replace(EXACT, part_occlusion_prob=0.0))
    np.testing.assert_array_equal(plain.keypoints, off.keypoints)
    assert plain.visible.all()


def test_confidence_zero_exactly_where_unobserved(fmt):
    rng = np.random.default_rng(1)
    no_guess = replace(DetectorNoiseConfig(), hallucinate_occluded_prob=0.0,
                       truncation_guess_prob=0.0, occluder_prob=1.0, miss_prob=0.05)
    for _ in range(20):
        points = _person(fmt, x0=rng.uniform(-3.0, 0.0), speed=0.08)
        points[10:15, :, 2] -= 5.0                    # behind the camera for a moment
        det = simulate_detections(rng, points, K, IMAGE, fmt, no_guess)
        conf = det.keypoints[..., 2]
        assert ((conf >= 0.0) & (conf <= 1.0)).all()
        np.testing.assert_array_equal(conf > 0.0, det.visible & det.detected[:, None])
        assert not det.visible[10:15].any() and not det.detected[10:15].any()
        assert (det.keypoints[conf == 0.0] == 0.0).all()
    # With guesses on, anything reported is in front of the camera and inside detected frames.
    guess = replace(DetectorNoiseConfig(), hallucinate_occluded_prob=1.0,
                    truncation_guess_prob=1.0, occluder_prob=1.0)
    points = _person(fmt, x0=-2.5, speed=0.08)
    points[10:15, :, 2] -= 5.0
    det = simulate_detections(rng, points, K, IMAGE, fmt, guess)
    reported = det.keypoints[..., 2] > 0.0
    assert not reported[10:15].any()
    assert not (reported & ~det.detected[:, None]).any()
    assert (reported & ~det.visible).any()           # hallucinated / truncated guesses exist


def test_out_of_image_and_occluded_keypoints_are_not_visible(fmt):
    points = _person(fmt, x0=-2.5, speed=0.08)
    uv = _project(points)
    outside = ~((uv >= 0).all(-1) & (uv[..., 0] < IMAGE[0]) & (uv[..., 1] < IMAGE[1]))
    config = replace(EXACT, occluder_prob=1.0, occluder_size_fraction=(0.4, 0.6),
                     hallucinate_occluded_prob=1.0, occluded_conf_factor=0.3)
    rng = np.random.default_rng(2)
    occluded_conf, visible_conf = [], []
    for _ in range(10):
        det = simulate_detections(rng, points, K, IMAGE, fmt, config)
        assert not (det.visible & outside).any()
        occluded = ~outside & ~det.visible & det.detected[:, None]
        conf = det.keypoints[..., 2]
        occluded_conf.extend(conf[occluded])
        visible_conf.extend(conf[det.visible & det.detected[:, None]])
    assert len(occluded_conf) > 0 and min(occluded_conf) > 0.0
    assert np.mean(occluded_conf) < 0.5 * np.mean(visible_conf)


def test_confidence_falls_with_error(fmt):
    rng = np.random.default_rng(3)
    config = replace(DetectorNoiseConfig(), outlier_prob=0.05, swap_prob=0.02, occluder_prob=0.5)
    errors, confs = [], []
    for _ in range(30):
        points = _person(fmt, x0=rng.uniform(-2.0, 1.0), speed=0.03, depth=rng.uniform(2.0, 8.0))
        det = simulate_detections(rng, points, K, IMAGE, fmt, config)
        reported = det.keypoints[..., 2] > 0
        errors.extend(np.linalg.norm(det.keypoints[..., :2] - _project(points), axis=-1)[reported])
        confs.extend(det.keypoints[..., 2][reported])
    errors, confs = np.array(errors), np.array(confs)
    order = np.argsort(errors)
    small, large = confs[order[: len(order) // 2]], confs[order[-len(order) // 10:]]
    assert large.mean() < small.mean() - 0.2
    assert np.corrcoef(errors, confs)[0, 1] < -0.2


def test_left_right_swaps_exchange_pairs():
    fmt = keypoint_format("coco17")
    points = _person(fmt, depth=3.0)
    config = replace(EXACT, swap_prob=1.0)
    det = simulate_detections(np.random.default_rng(4), points, K, IMAGE, fmt, config)
    uv = _project(points)
    left, right = fmt.names.index("left_wrist"), fmt.names.index("right_wrist")
    np.testing.assert_allclose(det.keypoints[:, left, :2], uv[:, right], atol=1e-9)
    np.testing.assert_allclose(det.keypoints[:, right, :2], uv[:, left], atol=1e-9)
    assert (det.keypoints[:, left, 2] < EXACT.conf_max).all()
    nose = fmt.names.index("nose")
    np.testing.assert_allclose(det.keypoints[:, nose, :2], uv[:, nose], atol=1e-9)


def test_missed_frames_come_in_bursts(fmt):
    config = replace(EXACT, miss_prob=0.05, miss_burst_frames=6.0)
    det = simulate_detections(np.random.default_rng(5), _person(fmt, T=600), K, IMAGE, fmt,
                              config)
    missed = ~det.detected
    assert 0.05 < missed.mean() < 0.6
    starts = np.count_nonzero(missed[1:] & ~missed[:-1]) + missed[0]
    assert missed.sum() / starts > 2.5                # mean run length, not isolated frames
    assert (det.keypoints[missed] == 0.0).all() and np.isnan(det.bbox[missed]).all()


def test_bbox_contains_visible_keypoints(fmt):
    rng = np.random.default_rng(6)
    for _ in range(10):
        points = _person(fmt, x0=rng.uniform(-3.0, 0.0), speed=0.08, depth=rng.uniform(2, 6))
        det = simulate_detections(rng, points, K, IMAGE, fmt)
        uv = _project(points)
        for t in np.flatnonzero(det.detected):
            box, vis = det.bbox[t], uv[t][det.visible[t]]
            assert (vis >= box[:2]).all() and (vis <= box[2:]).all()
            assert (box[:2] >= 0).all() and box[2] <= IMAGE[0] and box[3] <= IMAGE[1]
        assert np.isnan(det.bbox[~det.detected]).all()


def test_deterministic_given_seed(fmt):
    points = _person(fmt, x0=-1.0, speed=0.05)
    a = simulate_detections(np.random.default_rng(7), points, K, IMAGE, fmt)
    b = simulate_detections(np.random.default_rng(7), points, K, IMAGE, fmt)
    c = simulate_detections(np.random.default_rng(8), points, K, IMAGE, fmt)
    for field in ("keypoints", "bbox", "detected", "visible"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.keypoints, c.keypoints)


def test_rejects_wrong_format_and_is_fast():
    fmt = keypoint_format("mediapipe33")
    with pytest.raises(ValueError, match="keypoints"):
        simulate_detections(np.random.default_rng(0), _person(keypoint_format("coco17")), K,
                            IMAGE, fmt)
    points, rng = _person(fmt, x0=-1.0, speed=0.05), np.random.default_rng(9)
    config = replace(DetectorNoiseConfig(), occluder_prob=1.0)
    start = time.perf_counter()
    for _ in range(50):
        simulate_detections(rng, points, K, IMAGE, fmt, config)
    assert (time.perf_counter() - start) / 50 < 0.01   # budget 2 ms; lenient for slow CI


def test_furniture_hides_the_body_below_its_top_edge(fmt):
    """furniture_prob 1: everything below one horizontal edge between the hips and the
    ankles is hidden in every frame (ankles always, shoulders never); at 0 (the default)
    the random stream is as before."""
    points = _person(fmt, T=30)
    config = replace(EXACT, furniture_prob=1.0, hallucinate_occluded_prob=0.0)
    ankles = [fmt.names.index(n) for n in ("left_ankle", "right_ankle")]
    shoulders = [fmt.names.index(n) for n in ("left_shoulder", "right_shoulder")]
    v = _project(points)[..., 1]
    for seed in range(10):
        det = simulate_detections(np.random.default_rng(seed), points, K, IMAGE, fmt, config)
        hidden = ~det.visible
        assert hidden[:, ankles].all() and det.visible[:, shoulders].all()
        edge = v[hidden].min()
        assert (v[~hidden] < edge).all()                          # one edge: below it, hidden
    plain = simulate_detections(np.random.default_rng(0), points, K, IMAGE, fmt, EXACT)
    off = simulate_detections(np.random.default_rng(0), points, K, IMAGE, fmt,
                              replace(EXACT, furniture_prob=0.0, long_miss_prob=0.0))
    np.testing.assert_array_equal(plain.keypoints, off.keypoints)


def test_a_long_dropout_loses_the_person_for_one_stretch(fmt):
    points = _person(fmt, T=150)
    config = replace(EXACT, long_miss_prob=1.0)
    lengths = set()
    for seed in range(20):
        det = simulate_detections(np.random.default_rng(seed), points, K, IMAGE, fmt, config)
        lost = np.flatnonzero(~det.detected)
        assert (np.diff(lost) == 1).all()                        # one stretch
        assert config.long_miss_frames[0] <= len(lost) <= config.long_miss_frames[1]
        assert (det.keypoints[lost] == 0).all() and np.isnan(det.bbox[lost]).all()
        lengths.add(len(lost))
    assert len(lengths) > 5
