"""Multi-person tracker on synthetic MediaPipe-33 detections: crossings, occlusions, the track
life cycle, limits, ids, time steps and predictions."""

import numpy as np
import pytest

from fhmr_ros.perception.box_filter import BoxKalmanFilter
from fhmr_ros.perception.detection import PersonDetection
from fhmr_ros.perception.tracker import (MultiPersonTracker, TrackerConfig, TrackState,
                                         run_first_id)

FPS = 30.0
ASPECT = 0.4   # box width / height

# A person standing and facing the camera: (u, v) of the 33 MediaPipe keypoints as fractions
# of the box width and height (subject's left on the image right).
STANDING = np.array([
    (0.50, 0.08),                                             # nose
    (0.52, 0.06), (0.54, 0.06), (0.56, 0.06),                 # left eye inner, eye, outer
    (0.48, 0.06), (0.46, 0.06), (0.44, 0.06),                 # right eye inner, eye, outer
    (0.60, 0.07), (0.40, 0.07),                               # ears
    (0.53, 0.11), (0.47, 0.11),                               # mouth
    (0.72, 0.20), (0.28, 0.20),                               # shoulders
    (0.80, 0.35), (0.20, 0.35),                               # elbows
    (0.85, 0.50), (0.15, 0.50),                               # wrists
    (0.87, 0.54), (0.13, 0.54),                               # pinkies
    (0.86, 0.55), (0.14, 0.55),                               # index fingers
    (0.83, 0.53), (0.17, 0.53),                               # thumbs
    (0.62, 0.52), (0.38, 0.52),                               # hips
    (0.63, 0.72), (0.37, 0.72),                               # knees
    (0.63, 0.92), (0.37, 0.92),                               # ankles
    (0.61, 0.95), (0.39, 0.95),                               # heels
    (0.68, 0.98), (0.32, 0.98),                               # foot index
])
ARMS = slice(13, 23)
LEGS = slice(25, 33)


def _arms_up() -> np.ndarray:
    """Both hands above the head: the box reaches up to the hands, so the body sits lower."""
    layout = STANDING.copy()
    layout[:, 1] = 0.2 + 0.8 * layout[:, 1]
    layout[ARMS] = [(0.82, 0.14), (0.18, 0.14), (0.80, 0.03), (0.20, 0.03), (0.81, 0.00),
                    (0.19, 0.00), (0.80, 0.00), (0.20, 0.00), (0.77, 0.01), (0.23, 0.01)]
    return layout


ARMS_UP = _arms_up()


def person(cx, cy, height, t=0.0, layout=STANDING, score=0.9, rng=None):
    """A PersonDetection of a walking person (legs swinging with time ``t``) centred at
    (cx, cy), with ~1.5 px keypoint and box noise when ``rng`` is given."""
    width = ASPECT * height
    uv = layout.copy()
    uv[LEGS, 0] += 0.06 * np.sin(2 * np.pi * 1.8 * t) * np.where(uv[LEGS, 0] > 0.5, 1, -1)
    x0, y0 = cx - width / 2, cy - height / 2
    kp = np.stack([x0 + uv[:, 0] * width, y0 + uv[:, 1] * height,
                   np.full(len(uv), 0.9)], axis=1)
    box = np.array([x0, y0, x0 + width, y0 + height])
    if rng is not None:
        kp[:, :2] += rng.normal(0, 1.5, (len(uv), 2))
        box += rng.normal(0, 1.5, 4)
    return PersonDetection(box.astype(np.float32), kp.astype(np.float32), score, "mediapipe33")


def _track_of(tracks, det):
    """The id of the track matched to detection ``det`` in this frame's output."""
    ids = [t.track_id for t in tracks if t.detection is det]
    assert len(ids) == 1, f"detection matched by {len(ids)} tracks"
    return ids[0]


def _centre(box):
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


@pytest.mark.parametrize("layouts, b_hidden_while_overlapping", [
    ((STANDING, ARMS_UP), False),   # keypoint layouts differ
    ((STANDING, STANDING), False),  # same layout: the velocities must carry the ids
    ((STANDING, ARMS_UP), True),    # B is behind A while they overlap, so not detected
])
def test_crossing_people_keep_their_ids(layouts, b_hidden_while_overlapping):
    rng = np.random.default_rng(0)
    tracker = MultiPersonTracker()
    ids_a, ids_b, overlapping_frames = set(), set(), 0
    for f in range(int(3 * FPS)):
        t = f / FPS
        xa, xb = 100 + 150 * t, 540 - 150 * t                 # meet at t = 1.47 s
        a = person(xa, 240, 200, t, layouts[0], rng=rng)
        b = person(xb, 244, 200, t + 0.3, layouts[1], rng=rng)
        overlap = abs(xa - xb) < ASPECT * 200
        overlapping_frames += overlap
        hidden = overlap and b_hidden_while_overlapping
        tracks = tracker.update([a] if hidden else [a, b], t)
        if f >= 3:                                            # both confirmed by now
            ids_a.add(_track_of(tracks, a))
            if not hidden:
                ids_b.add(_track_of(tracks, b))
    assert overlapping_frames >= 10
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b, (ids_a, ids_b)
    assert tracker.num_created == 2


def _meet_and_turn_back(config, source_ids=(None, None)):
    """A (standing) and B (arms up) walk into the same spot and both turn back there: their
    velocities predict a crossing that does not happen. ``source_ids``: the ids an external
    detector gives A and B. Returns the ids each was given."""
    rng = np.random.default_rng(0)
    tracker = MultiPersonTracker(config)
    ids_a, ids_b = set(), set()
    t_meet = 440 / 300
    for f in range(int(3 * FPS)):
        t = f / FPS
        walked = min(t, 2 * t_meet - t)
        a = person(100 + 150 * walked, 240, 200, t, STANDING, rng=rng)
        b = person(540 - 150 * walked, 244, 200, t + 0.3, ARMS_UP, rng=rng)
        a.source_id, b.source_id = source_ids
        tracks = tracker.update([a, b], t)
        if f >= 3:
            ids_a.add(_track_of(tracks, a))
            ids_b.add(_track_of(tracks, b))
    return ids_a, ids_b


def test_people_meeting_and_turning_back_are_told_apart_by_keypoints():
    ids_a, ids_b = _meet_and_turn_back(TrackerConfig())
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b, (ids_a, ids_b)
    # Control: on boxes and motion alone the scene is ambiguous and the ids do swap.
    ids_a, ids_b = _meet_and_turn_back(TrackerConfig(iou_weight=1.0, keypoint_weight=0.0))
    assert len(ids_a) == 2 and len(ids_b) == 2


def test_a_detectors_own_ids_keep_people_apart_where_boxes_cannot():
    """The same ambiguous scene on boxes alone, but the detections carry the ids of the
    detector that found them (keypoints from another node): the ids hold."""
    config = TrackerConfig(iou_weight=1.0, keypoint_weight=0.0)
    ids_a, ids_b = _meet_and_turn_back(config, source_ids=(7, 9))
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a != ids_b, (ids_a, ids_b)


def _walk(tracker, times, speed=100.0, rng=None):
    """Feed one person walking right at ``speed`` px/s at the given times; per-frame output."""
    return [tracker.update([person(150 + speed * t, 240, 180, t, rng=rng)], t) for t in times]


def test_short_occlusion_keeps_the_id_and_long_one_gives_a_new_one():
    rng = np.random.default_rng(1)
    tracker = MultiPersonTracker(TrackerConfig(max_lost_s=1.0))
    frames = np.arange(0, 1.0, 1 / FPS)
    before = _walk(tracker, frames, rng=rng)
    (first,) = before[-1]
    assert first.state is TrackState.CONFIRMED

    gap = np.arange(1.0, 1.5, 1 / FPS)                        # 0.5 s without detections
    during = [tracker.update([], t) for t in gap]
    assert all(len(out) == 1 and out[0].state is TrackState.LOST and out[0].detection is None
               for out in during)
    drift = _centre(during[-1][0].bbox)[0] - _centre(first.bbox)[0]
    assert 35 < drift < 65                                     # predicted at ~100 px/s

    after = _walk(tracker, np.arange(1.5, 2.5, 1 / FPS), rng=rng)
    assert {t.track_id for out in after for t in out} == {first.track_id}
    assert after[-1][0].state is TrackState.CONFIRMED

    gone = [tracker.update([], t) for t in np.arange(2.5, 3.7, 1 / FPS)]   # 1.2 s
    assert gone[-1] == []
    back = _walk(tracker, np.arange(3.7, 4.0, 1 / FPS), rng=rng)
    assert {t.track_id for out in back for t in out} == {first.track_id + 1}


def test_tentative_track_is_confirmed_after_min_hits_and_false_positive_is_deleted():
    tracker = MultiPersonTracker(TrackerConfig(min_hits=3))
    states = []
    for f in range(5):
        t = f / FPS
        dets = [person(200 + 3 * f, 240, 180, t)]
        if f == 1:
            dets.append(person(500, 100, 120, t))             # a one-frame false positive
        out = tracker.update(dets, t)
        states.append({p.track_id: p.state for p in out})
    assert [s[1] for s in states] == [TrackState.TENTATIVE, TrackState.TENTATIVE,
                                      TrackState.CONFIRMED, TrackState.CONFIRMED,
                                      TrackState.CONFIRMED]
    assert states[1][2] is TrackState.TENTATIVE
    assert all(2 not in s for s in states[2:])                 # deleted, never confirmed
    assert tracker.num_created == 2


def test_max_tracks_caps_tracks_and_counts_the_excess_and_low_scores():
    tracker = MultiPersonTracker(TrackerConfig(max_tracks=3, min_score=0.3))
    scores = [0.9, 0.5, 0.8, 0.6, 0.7]
    for f in range(4):
        t = f / FPS
        dets = [person(80 + 120 * i, 240, 160, t, score=s) for i, s in enumerate(scores)]
        dets.append(person(300, 420, 100, t, score=0.1))       # below min_score
        out = tracker.update(dets, t)
        assert len(out) == 3
    # The three best-scoring people got the slots and kept them.
    assert sorted(p.detection.score for p in out) == [0.7, 0.8, 0.9]
    assert all(p.state is TrackState.CONFIRMED for p in out)
    assert tracker.num_created == 3
    assert tracker.num_rejected_over_limit == 2 * 4
    assert tracker.num_ignored_low_score == 4


def test_ids_are_never_reused_after_deletions_and_reset():
    tracker = MultiPersonTracker()
    seen = set()
    for f in range(6):                                         # one-frame false positives
        out = tracker.update([person(100 + 150 * (f % 3), 240, 160, f / FPS)], f / FPS)
        seen |= {p.track_id for p in out}
    assert seen == set(range(1, 7))
    for out in _walk(tracker, np.arange(0.2, 0.4, 1 / FPS)):
        seen |= {p.track_id for p in out}
    tracker.reset()
    assert tracker.predicted_boxes(0.0).shape == (0, 4)
    later = {p.track_id for out in _walk(tracker, np.arange(0.0, 0.2, 1 / FPS)) for p in out}
    assert later and min(later) > max(seen)
    assert tracker.num_created == max(later)


def test_variable_time_steps_and_skipped_frames_still_associate():
    rng = np.random.default_rng(2)
    # Irregular steps around a 0.35 s hole: at 300 px/s the person moves 105 px, more than
    # the 72 px box width, so the old and new boxes do not overlap at all.
    times = np.cumsum(rng.uniform(0.02, 0.12, 15))
    times = np.concatenate([times, times[-1] + 0.35 + np.cumsum(rng.uniform(0.02, 0.12, 10))])
    out = _walk(MultiPersonTracker(), times, speed=300.0, rng=rng)
    assert {p.track_id for frame in out for p in frame} == {1}
    assert out[-1][0].state is TrackState.CONFIRMED


def test_time_going_backwards_raises_until_reset():
    tracker = MultiPersonTracker()
    _walk(tracker, [1.0, 1.1])
    with pytest.raises(ValueError, match="backwards"):
        tracker.update([], 1.05)
    with pytest.raises(ValueError, match="backwards"):
        tracker.predicted_boxes(0.5)
    tracker.reset()
    assert [p.track_id for p in tracker.update([person(150, 240, 180)], 0.5)] == [2]


def test_predicted_boxes_move_with_the_person_and_change_nothing():
    rng = np.random.default_rng(3)
    times = np.arange(0, 1.0, 1 / FPS)
    tracker, twin = MultiPersonTracker(), MultiPersonTracker()
    _walk(twin, times, speed=120.0, rng=np.random.default_rng(3))
    last = _walk(tracker, times, speed=120.0, rng=rng)[-1][0]
    tracker.update([person(600, 400, 150, times[-1])], times[-1])   # tentative: listed second
    twin.update([person(600, 400, 150, times[-1])], times[-1])

    now, ahead = tracker.predicted_boxes(times[-1]), tracker.predicted_boxes(times[-1] + 0.5)
    assert now.shape == ahead.shape == (2, 4) and now.dtype == np.float32
    np.testing.assert_allclose(_centre(now[1]), [600, 400], atol=10.0)
    step = _centre(ahead[0]) - _centre(now[0])
    np.testing.assert_allclose(step, [60.0, 0.0], atol=6.0)
    np.testing.assert_allclose(_centre(now[0]), _centre(last.bbox), atol=6.0)

    t = times[-1] + 1 / FPS
    nxt = person(150 + 120 * t, 240, 180, t)
    a, b = tracker.update([nxt], t), twin.update([nxt], t)
    assert [(p.track_id, p.state) for p in a] == [(p.track_id, p.state) for p in b]
    np.testing.assert_array_equal(tracker.predicted_boxes(t + 0.1), twin.predicted_boxes(t + 0.1))


def test_box_filter_learns_velocity_and_predicts_over_any_step():
    f = BoxKalmanFilter(np.array([0, 0, 40, 100]))
    for k in range(1, 20):
        f.predict(0.05)
        f.update(np.array([10 * k, 0, 40 + 10 * k, 100]))      # 200 px/s to the right
    np.testing.assert_allclose(f.velocity[:2], [200, 0], atol=10)
    np.testing.assert_allclose(f.predicted_box(0.5), f.box + [100, 0, 100, 0], atol=6)
    with pytest.raises(ValueError):
        f.predict(-0.1)


def test_ids_start_where_asked_and_later_runs_start_higher():
    tracker = MultiPersonTracker(TrackerConfig(first_id=run_first_id(1_000.0)))
    out = tracker.update([person(100, 240, 160, 0.0)], 0.0)
    assert out[0].track_id == 1 + 1_000 * 10_000
    assert run_first_id(1_001.0) == out[0].track_id + 10_000       # a restart a second later
    assert run_first_id(4e9) < 2 ** 32                              # fits HumanState.track_id
