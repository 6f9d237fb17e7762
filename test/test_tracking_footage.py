"""Detector + tracker on real footage: five pedestrians of OpenCV's vtest.avi keep their ids
from frame 50 to 90 while one walks off to the left and three walk up the road."""

import cv2
import numpy as np
import pytest

from fhmr_ros.data.footage import footage_path
from fhmr_ros.perception.detection import make_detector
from fhmr_ros.perception.tracker import MultiPersonTracker, TrackState

FPS = 10.0
FIRST, REFERENCE, LAST = 44, 50, 90
# Hand-checked on frame 50: box centres (pixels) of the five people visible in full.
PEOPLE_AT_50 = {"standing man": (387, 222), "man by the sign": (441, 206),
                "red jacket": (521, 265), "woman in black": (569, 260),
                "man on the right": (691, 317)}


@pytest.fixture(scope="module")
def tracks_per_frame():
    detector = make_detector("mediapipe")
    tracker = MultiPersonTracker()
    cap = cv2.VideoCapture(str(footage_path("vtest.avi")))
    cap.set(cv2.CAP_PROP_POS_FRAMES, FIRST)
    out = {}
    for i in range(FIRST, LAST + 1):
        ok, frame = cap.read()
        assert ok
        stamp = i / FPS
        people = detector.detect(frame, None, tracker.predicted_boxes(stamp))
        out[i] = {t.track_id: t for t in tracker.update(people, stamp)}
    cap.release()
    return out, tracker


def centre(track) -> np.ndarray:
    return (track.bbox[:2] + track.bbox[2:]) / 2


def test_ids_stay_with_their_people(tracks_per_frame):
    frames, tracker = tracks_per_frame
    ids = {}
    for name, xy in PEOPLE_AT_50.items():
        near = [tid for tid, t in frames[REFERENCE].items()
                if t.state is TrackState.CONFIRMED and np.linalg.norm(centre(t) - xy) < 25]
        assert len(near) == 1, f"{name}: {len(near)} confirmed tracks at frame 50"
        ids[name] = near[0]
    assert len(set(ids.values())) == 5
    for name, tid in ids.items():
        seen, path = [], []
        for i in range(REFERENCE, LAST + 1):
            assert tid in frames[i], f"{name} (id {tid}) lost at frame {i}"
            if frames[i][tid].detection is not None:
                seen.append(i)
                path.append(centre(frames[i][tid]))
        speed = (np.linalg.norm(np.diff(np.stack(path), axis=0), axis=-1)
                 / np.diff(seen))                                     # px per frame
        # people walk at most ~14 px per frame here: faster means the id moved to someone else
        assert speed.max() < 20, f"{name} (id {tid}) jumps {speed.max():.0f} px per frame"
        # the man by the sign walks behind the sign and the standing man: seen in 80 %
        assert len(seen) >= 0.7 * (LAST - REFERENCE + 1), f"{name} rarely detected"
    # they walk apart: the man by the sign heads left while the red jacket goes up the road
    a, b = ids["man by the sign"], ids["red jacket"]
    gap = lambda i: np.linalg.norm(centre(frames[i][a]) - centre(frames[i][b]))  # noqa: E731
    assert gap(LAST) > gap(REFERENCE) + 50
    assert tracker.num_created <= 9       # the five, plus a few short-lived tentative ones
