"""The keypoint detectors (the default MoveNet + BlazePose front-end and MediaPipe) on real
photographs and video: people found, anatomy plausible, small pedestrians reached, bad
input refused."""

import numpy as np
import pytest

from fhmr_ros.body.keypoints import MEDIAPIPE33
from fhmr_ros.data.footage import astronaut_bgr, read_image, vtest_frames
from fhmr_ros.perception.boxes import box_iou
from fhmr_ros.perception.detection import (KeypointDetector, make_detector,
                                           make_stream_detector)
from fhmr_ros.perception.mediapipe_detector import MediaPipePoseDetector

J = {name: i for i, name in enumerate(MEDIAPIPE33.names)}
# A walker in vtest.avi frame 50 that the full-frame pass does not see (~100 px tall).
WALKER_BOX = np.array([[655.0, 250.0, 725.0, 380.0]], np.float32)


@pytest.fixture(scope="module", params=["movenet_blazepose", "mediapipe"])
def detector(request):
    return make_detector(request.param)


def crops_used(detector) -> int:
    """Crops the detector's previous call landmarked."""
    if isinstance(detector, MediaPipePoseDetector):
        return int(detector.last_timings["n_crops"])
    return detector.last_stats["crops"]


@pytest.fixture(scope="module")
def full_frame_only():
    return MediaPipePoseDetector(use_proposals=False)


@pytest.fixture(scope="module")
def vtest_frame():
    return vtest_frames([50])[50]


def check_detection(person, shape):
    H, W = shape[:2]
    kp = person.keypoints
    assert kp.dtype == np.float32 and kp.shape == (33, 3)
    assert person.keypoint_format == "mediapipe33"
    assert ((kp[:, 2] >= 0) & (kp[:, 2] <= 1)).all()
    assert 0 <= person.score <= 1
    seen = kp[:, 2] > 0
    assert ((kp[seen, :2] >= -0.5) & (kp[seen, :2] <= [W - 0.5, H - 0.5])).all()
    x0, y0, x1, y1 = person.bbox
    assert person.bbox.dtype == np.float32 and x0 < x1 and y0 < y1


def test_astronaut_anatomy(detector):
    image = astronaut_bgr()
    people = detector.detect(image)
    assert len(people) == 1
    person = people[0]
    check_detection(person, image.shape)
    kp = person.keypoints
    nose, ls, rs = kp[J["nose"]], kp[J["left_shoulder"]], kp[J["right_shoulder"]]
    assert nose[2] > 0.5 and ls[2] > 0.5 and rs[2] > 0.5
    assert nose[1] < ls[1] and nose[1] < rs[1]
    assert ls[0] > nose[0] > rs[0]                 # facing the camera: her left on image right
    lh, rh = kp[J["left_hip"]], kp[J["right_hip"]]
    if lh[2] > 0.5 and rh[2] > 0.5:
        assert abs(ls[0] - rs[0]) > abs(lh[0] - rh[0])
    x0, y0, x1, y1 = person.bbox
    assert x0 <= nose[0] <= x1 and y0 <= nose[1] <= y1
    assert abs(ls[0] - rs[0]) > 0.2 * image.shape[1]   # a large person, near the camera


def test_basketball_two_people(detector):
    image = read_image("basketball2.png")
    people = detector.detect(image)
    assert len(people) == 2
    for person in people:
        check_detection(person, image.shape)
    assert box_iou(people[0].bbox, people[1].bbox)[0, 0] < 0.1
    assert detector.last_timings["total"] > 0


def plausible_pedestrian(person) -> bool:
    kp = person.keypoints
    head = kp[[J["nose"], J["left_eye"], J["right_eye"]]]
    feet = kp[[J["left_ankle"], J["right_ankle"]]]
    height = person.bbox[3] - person.bbox[1]
    return bool(head[:, 1].max() < feet[:, 1].min() and 60 <= height <= 200)


def test_small_pedestrians_in_video(detector, vtest_frame):
    people = detector.detect(vtest_frame)
    assert len(people) >= 4
    for person in people:
        check_detection(person, vtest_frame.shape)
        assert plausible_pedestrian(person), person.bbox
        cx, cy = (person.bbox[:2] + person.bbox[2:]) / 2
        assert 340 <= cx <= 740 and 120 <= cy <= 410
    boxes = np.stack([p.bbox for p in people])
    iou = box_iou(boxes, boxes)
    assert (iou[~np.eye(len(people), dtype=bool)] < 0.5).all()          # no duplicates
    assert crops_used(detector) >= 4


def overlapping(people, box) -> list:
    return [p for p in people if box_iou(p.bbox, box)[0, 0] > 0.1]


def test_regions_find_a_missed_person(full_frame_only, vtest_frame):
    assert overlapping(full_frame_only.detect(vtest_frame), WALKER_BOX) == []
    people = full_frame_only.detect(vtest_frame, regions=WALKER_BOX)
    found = overlapping(people, WALKER_BOX)
    assert len(found) == 1
    person = found[0]
    check_detection(person, vtest_frame.shape)
    assert plausible_pedestrian(person)
    assert box_iou(person.bbox, WALKER_BOX)[0, 0] > 0.4
    assert full_frame_only.last_timings["n_crops"] == 1
    # Regions that are empty or not finite are ignored.
    bad = np.array([[10, 10, 5, 50], [np.nan, 0, 20, 20]], np.float32)
    full_frame_only.detect(vtest_frame, regions=bad)
    assert full_frame_only.last_timings["n_crops"] == 0


@pytest.mark.parametrize("image, message", [
    (np.zeros((0, 0, 3), np.uint8), "empty"),
    (np.zeros((64, 64, 3), np.float32), "uint8"),
    (np.zeros((64, 64), np.uint8), r"\(H, W, 3\)"),
])
def test_bad_input_is_refused(detector, image, message):
    with pytest.raises(ValueError, match=message):
        detector.detect(image)


@pytest.mark.parametrize("name, options", [("mediapipe", {"use_proposals": False}),
                                           ("movenet_blazepose", {"max_people": 3})])
def test_make_detector(name, options):
    detector = make_detector(name, **options)
    assert isinstance(detector, KeypointDetector)
    assert detector.keypoint_format == "mediapipe33"
    assert len(detector.detect(read_image("messi5.jpg"))) == 1
    with pytest.raises(ValueError, match="unknown detector"):
        make_detector("nope")
    with pytest.raises(ValueError, match="unknown detector"):     # no import by path
        make_detector("os:system")


def test_a_plugin_declared_by_an_installed_package_is_found(tmp_path, monkeypatch):
    """What pip writes for a package with an entry point in fhmr_ros.detectors: its module
    and a .dist-info folder with entry_points.txt."""
    (tmp_path / "my_detectors.py").write_text(
        "from fhmr_ros.perception.movenet_blazepose_detector import MoveNetBlazePoseDetector\n"
        "class OnePerson(MoveNetBlazePoseDetector):\n"
        "    def __init__(self):\n"
        "        super().__init__(max_people=1, threads=1)\n")
    info = tmp_path / "my_detectors-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: my-detectors\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[fhmr_ros.detectors]\none_person = my_detectors:OnePerson\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    detector = make_stream_detector("one_person", max_people=5)
    assert type(detector).__name__ == "OnePerson"
    assert len(detector.detect(vtest_frames([100])[100])) == 1


def test_detector_noise_measures_jitter_and_swaps():
    """The measurement behind docs/training.md's detector-noise comparison: on a still real
    photo seen through sensor noise and JPEG, BlazePose's landmarks move by a fraction of a
    per cent of the person's size; along real tracks the swap rate is a rate."""
    from fhmr_ros.tools.detector_noise import still_jitter, swap_rate

    detector = make_stream_detector("movenet_blazepose", threads=1)
    jitter = still_jitter(detector, read_image("messi5.jpg"), repeats=6)
    nose = jitter.names.index("nose")
    assert 0.0 < jitter.per_keypoint[nose] < 0.02
    assert np.isfinite(jitter.per_keypoint).sum() >= 20
    rate, looked = swap_rate(list(vtest_frames(list(range(12))).values()), detector)
    assert looked > 50 and 0.0 <= rate < 0.2
