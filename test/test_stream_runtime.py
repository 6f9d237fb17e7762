"""The node's runtime core without ROS: real pose networks, tracker and lite model on
vtest frames; stamp rules, time jumps, full queues and failing outputs, and the rule that
every image received is either published or counted."""

import threading
import time

import numpy as np
import pytest

from fhmr_ros.data.footage import vtest_frames
from fhmr_ros.geometry.lens_distortion import LensDistortion
from fhmr_ros.model.checkpoint import default_checkpoint, load_checkpoint
from fhmr_ros.perception.detection import make_stream_detector
from fhmr_ros.perception.tracker import MultiPersonTracker
from fhmr_ros.streaming.camera_pose import CameraPoses, static_world_camera
from fhmr_ros.streaming.engine import StreamingConfig, StreamingEngine
from fhmr_ros.streaming.human_pipeline import HumanPipeline
from fhmr_ros.streaming.meters import Counters
from fhmr_ros.streaming.stream_runtime import RuntimeConfig, StreamRuntime

W, H = 768, 576
K = np.array([[700.0, 0, W / 2], [0, 700.0, H / 2], [0, 0, 1]])
DROPS = ("images_dropped_queue_full", "images_unstamped", "images_repeated_stamp",
         "bad_images", "images_without_camera_info", "camera_info_size_mismatch",
         "images_without_odometry", "detector_errors", "worker_errors", "publish_errors")


class Sink:
    """Collects what the runtime hands out; ``fail_at`` makes publishing one stamp raise."""

    def __init__(self, fail_at: float | None = None) -> None:
        self.frames, self.resets, self.fail_at = [], [], fail_at
        self.lock = threading.Lock()

    def wants_image(self) -> bool:
        return False

    def publish(self, frame, image) -> None:
        if self.fail_at is not None and abs(frame.stamp - self.fail_at) < 1e-9:
            raise RuntimeError("the output failed")
        with self.lock:
            self.frames.append(frame)

    def forget(self, live_tracks) -> None:
        pass

    def reset(self, stamp: float) -> None:
        self.resets.append(stamp)

    def stamps(self) -> list[float]:
        with self.lock:
            return [f.stamp for f in self.frames]


@pytest.fixture(scope="module")
def parts():
    return (load_checkpoint(default_checkpoint("lite")),
            make_stream_detector("movenet_blazepose", threads=1),
            vtest_frames(list(range(100, 124))))


def make_runtime(parts, sink, queue_size=100, flush_idle_s=0.5,
                 use_odometry=False, camera_info=True) -> StreamRuntime:
    model, detector, _ = parts
    pipeline = HumanPipeline(detector, MultiPersonTracker(),
                             StreamingEngine(model, StreamingConfig(stride=4, lag=4)))
    poses = CameraPoses(static_world_camera(20.0, 3.0), static_world_camera(20.0, 3.0),
                        use_odometry)
    runtime = StreamRuntime(pipeline, poses, lambda image: image, sink,
                            RuntimeConfig(queue_size=queue_size, flush_idle_s=flush_idle_s))
    if camera_info:
        runtime.set_camera_info(K, (W, H))
    runtime.start()
    return runtime


def finish(runtime: StreamRuntime) -> dict[str, int]:
    assert runtime.wait_until_idle(timeout_s=120.0)
    runtime.stop()
    return runtime.counters.snapshot()


def accounted(counts: dict[str, int]) -> int:
    """Images published plus images dropped for a counted reason."""
    return counts.get("images_published", 0) + sum(counts.get(k, 0) for k in DROPS)


def test_zero_and_repeated_stamps_are_refused_and_counted(parts):
    frames = parts[2]
    sink = Sink()
    runtime = make_runtime(parts, sink)
    stamps = [0.0, 0.0, 10.0, 10.1, 10.1, 10.2, 10.3, 10.3, 10.4]
    for i, stamp in enumerate(stamps):
        runtime.add_image(stamp, "cam", frames[100 + i], wait=True)
    counts = finish(runtime)
    assert counts["images_unstamped"] == 2 and counts["images_repeated_stamp"] == 2
    assert sink.stamps() == [10.0, 10.1, 10.2, 10.3, 10.4]
    assert accounted(counts) == len(stamps)
    assert any(f.results for f in sink.frames)                  # people were found


def test_a_time_jump_flushes_the_tracks_and_starts_afresh(parts):
    frames = parts[2]
    sink = Sink()
    runtime = make_runtime(parts, sink)
    before = [20.0 + 0.1 * i for i in range(10)]
    after = [5.0 + 0.1 * i for i in range(10)]
    for i, stamp in enumerate(before + after):
        runtime.add_image(stamp, "cam", frames[100 + i], wait=True)
    counts = finish(runtime)
    assert counts["time_jumps"] == 1 and sink.resets == [pytest.approx(5.0)]
    assert sink.stamps() == pytest.approx(before + after)       # none lost, in order
    # the images just before the jump still carry the people the lag held back
    by_stamp = {round(f.stamp, 6): f for f in sink.frames}
    assert len(by_stamp[round(before[-1], 6)].results) >= 2
    assert not any(f.incomplete for f in sink.frames)


def test_a_full_queue_drops_the_oldest_and_counts_it(parts):
    frames = parts[2]
    sink = Sink()
    runtime = make_runtime(parts, sink, queue_size=2)
    for i in range(20):                     # far faster than the detector
        runtime.add_image(30.0 + 0.1 * i, "cam", frames[100 + i])
    counts = finish(runtime)
    assert counts["images_dropped_queue_full"] >= 5
    assert accounted(counts) == 20
    assert sink.stamps()[-1] == pytest.approx(31.9)             # the newest is never dropped


def test_a_failing_output_is_counted_and_the_stream_goes_on(parts):
    frames = parts[2]
    sink = Sink(fail_at=40.3)
    runtime = make_runtime(parts, sink)
    for i in range(8):
        runtime.add_image(40.0 + 0.1 * i, "cam", frames[100 + i], wait=True)
    runtime.add_image(40.8, "cam", np.zeros((10, 10), np.float32), wait=True)   # not BGR
    counts = finish(runtime)
    assert counts["publish_errors"] == 1
    assert counts["camera_info_size_mismatch"] == 1
    assert accounted(counts) == 9
    assert sink.stamps() == pytest.approx([40.0 + 0.1 * i for i in range(8) if i != 3])


def test_an_image_with_another_frame_than_camera_info_is_reported(parts):
    frames = parts[2]
    sink = Sink()
    runtime = make_runtime(parts, sink)
    runtime.set_camera_info(K, (W, H), "left_optical")
    runtime.add_image(50.0, "right_optical", frames[100], wait=True)
    counts = finish(runtime)
    assert counts["camera_info_frame_mismatch"] == 1 and sink.stamps() == [50.0]


def test_an_image_before_the_first_camera_info_waits_for_it(parts):
    """Topics arrive in any order: an image that comes before the first camera_info waits
    for it (up to odom_wait_s); without one in time it is dropped and counted."""
    frames = parts[2]
    sink = Sink()
    runtime = make_runtime(parts, sink, camera_info=False)
    runtime.add_image(60.0, "cam", frames[100])
    time.sleep(0.1)
    runtime.set_camera_info(K, (W, H))
    runtime.add_image(60.1, "cam", frames[101], wait=True)
    counts = finish(runtime)
    assert sink.stamps() == [60.0, 60.1] and "images_without_camera_info" not in counts

    sink = Sink()
    runtime = make_runtime(parts, sink, camera_info=False)
    runtime.add_image(61.0, "cam", frames[100], wait=True)
    counts = finish(runtime)
    assert counts["images_without_camera_info"] == 1 and sink.stamps() == []
    assert accounted(counts) == 1


def test_odometry_is_resolved_on_arrival_so_a_backlog_loses_nothing(parts):
    """Images arrive faster than they are processed; the robot's odometry moves on so far
    that the buffer no longer holds their stamps by the time the workers reach them."""
    frames = parts[2]
    sink = Sink()
    runtime = make_runtime(parts, sink, use_odometry=True)
    stamps = [60.0 + 0.1 * i for i in range(16)]
    for i, stamp in enumerate(stamps):
        runtime.add_image(stamp, "cam", frames[100 + i])
        runtime.add_odometry(stamp, np.eye(4))                 # odometry reaches the image
    runtime.add_odometry(stamps[-1] + 30.0, np.eye(4))          # buffered poses age out
    runtime.add_image(stamps[-1] + 0.1, "cam", frames[116])     # odometry never covers it
    counts = finish(runtime)
    assert sink.stamps() == pytest.approx(stamps)
    assert counts["images_without_odometry"] == 1
    assert accounted(counts) == len(stamps) + 1


def test_a_short_odometry_gap_is_bridged_from_its_twist(parts):
    """Odometry stops 0.1 s before an image (its newer samples lost): after odom_wait_s the
    image is placed by the newest odometry's twist, counted; 0.4 s short (more than
    odom_extrapolate_s, 0.2) it is dropped as before."""
    frames = parts[2]
    sink = Sink()
    runtime = make_runtime(parts, sink, use_odometry=True)
    twist = np.array([0.5, 0.0, 0.0, 0.0, 0.0, 0.3])            # forward and turning left
    for k in range(5):
        runtime.add_odometry(59.6 + 0.1 * k, np.eye(4), twist)  # the last at 60.0 s
    runtime.add_image(60.1, "cam", frames[100])
    runtime.add_image(60.4, "cam", frames[101])
    counts = finish(runtime)
    assert counts["images_pose_extrapolated"] == 1 and counts["images_without_odometry"] == 1
    assert accounted(counts) == 2
    (frame,) = sink.frames
    step = np.eye(4)
    step[:2, :2] = [[np.cos(0.03), -np.sin(0.03)], [np.sin(0.03), np.cos(0.03)]]
    step[0, 3] = 0.05
    np.testing.assert_allclose(frame.T_world_camera, step @ static_world_camera(20.0, 3.0),
                               atol=1e-6)


def test_keypoints_reach_the_model_undistorted(parts):
    """The same images with and without a lens declared: the model's observations differ
    exactly by the undistortion."""
    frames = parts[2]
    lens = LensDistortion("plumb_bob", (-0.25, 0.08, 0.0, 0.0, 0.0))
    observed = []
    for distortion in (None, lens):
        sink = Sink()
        runtime = make_runtime(parts, sink)
        runtime.set_camera_info(K, (W, H), "cam", distortion)
        for i in range(8):
            runtime.add_image(70.0 + 0.1 * i, "cam", frames[100 + i], wait=True)
        finish(runtime)
        observed.append({(round(f.stamp, 6), t): r.keypoints for f in sink.frames
                         for t, r in f.results.items() if r.observed})
    plain, undistorted = observed
    common = sorted(set(plain) & set(undistorted))
    assert len(common) >= 10
    for key in common:
        assert np.allclose(undistorted[key][:, :2], lens.undistort(plain[key][:, :2], K),
                           atol=1e-2)
    assert max(np.abs(undistorted[k][:, :2] - plain[k][:, :2]).max() for k in common) > 5.0


def test_counters_can_be_read_while_threads_add_new_kinds():
    counters = Counters(log=lambda text: None)
    stop = threading.Event()

    def add(prefix):
        i = 0
        while not stop.is_set():
            counters.add(f"{prefix}_{i % 500}")
            i += 1

    workers = [threading.Thread(target=add, args=(p,)) for p in "ab"]
    for w in workers:
        w.start()
    try:
        snapshots = [counters.snapshot() for _ in range(300)]   # iterates while keys appear
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert len(snapshots[-1]) == 1000 and sum(snapshots[-1].values()) > 1000


def test_what_the_detector_limits_cut_is_counted(parts):
    detector = make_stream_detector("movenet_blazepose", threads=1, max_people=1)
    frame = parts[2][100]
    assert len(detector.detect(frame)) == 1
    assert detector.dropped["people_over_detector_limit"] >= 2         # ~5 people in view
    detector.config.max_crops = 1
    regions = np.array([[100, 100, 200, 300], [300, 100, 400, 300], [500, 100, 600, 300]],
                       np.float32)
    detector.detect(frame, regions=regions, search=False)
    assert detector.dropped["regions_over_crop_limit"] == 2


def test_stopping_midway_discards_what_is_pending_counted_and_a_restart_is_fresh(parts):
    """A lifecycle node that is deactivated: what is queued, being processed or held back
    by the lag is counted as discarded; started again, the stream begins afresh (an earlier
    stamp is not a time jump)."""
    frames = parts[2]
    sink = Sink()
    runtime = make_runtime(parts, sink, flush_idle_s=30.0)
    for i in range(16):
        runtime.add_image(40.0 + 0.1 * i, "cam", frames[100 + i])
    deadline = time.monotonic() + 120.0
    while len(sink.stamps()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    runtime.stop()
    discarded = runtime.discard()
    counts = runtime.counters.snapshot()
    assert discarded > 0 and counts["images_discarded"] == discarded
    assert accounted(counts) + discarded == 16
    assert runtime.idle() and not runtime.pipeline.live_tracks()
    runtime.start()
    for i in range(6):
        runtime.add_image(1.0 + 0.1 * i, "cam", frames[100 + i], wait=True)
    counts = finish(runtime)
    assert "time_jumps" not in counts
    assert sink.stamps()[-6:] == pytest.approx([1.0 + 0.1 * i for i in range(6)])
