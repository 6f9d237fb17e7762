"""fhmr_node in its own process, over real DDS with real messages.

The stream: a real photo of two people (OpenCV's basketball2.png) seen by a camera that
turns left by 40° while the odometry reports the matching yaw. Each view is the photo
warped by the exact homography of a pure camera rotation, K R_y(ψ) K^-1, so the people
stand still in the world: their world positions must stay put while their camera-frame
positions sweep sideways. Then every kind of bad input is sent, and the node must keep
answering and count each one in /diagnostics.
"""

import math
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import PointStamped, TwistStamped
from hri_msgs.msg import IdsList, NormalizedRegionOfInterest2D, Skeleton2D
from nav_msgs.msg import Odometry
from rclpy.qos import (DurabilityPolicy, QoSProfile, ReliabilityPolicy,
                       qos_profile_sensor_data)
from sensor_msgs.msg import CameraInfo, Image, JointState
from tf2_msgs.msg import TFMessage
from visualization_msgs.msg import MarkerArray

from fhmr_ros.body.keypoints import keypoint_format
from fhmr_ros.data.footage import read_image
from fhmr_ros.msg import HumanStateArray, HumanTrajectoryArray
from fhmr_ros.ros.camera_info import camera_info_msg
from fhmr_ros.ros.image_conversion import bgr_to_image_msg
from fhmr_ros.ros.odometry import odometry_msg, sec_to_stamp, stamp_to_sec

NS = f"/fhmr_test_{os.getpid()}"
W, H, F, FPS, FRAMES = 640, 480, 420.0, 10.0, 30      # view px, focal px, Hz, images
YAW0, YAW1 = 0.05, 0.75                                 # rad: the robot turns left
T0 = 1000.0
CAMERA_FRAME = "test_camera_optical"
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
REP155_BODY_TOPICS = {"roi": (NormalizedRegionOfInterest2D, LATCHED),
                      "skeleton2d": (Skeleton2D, 10), "joint_states": (JointState, 10),
                      "position": (PointStamped, 10), "velocity": (TwistStamped, 10)}


def yaw_pose(yaw: float) -> np.ndarray:
    T = np.eye(4)
    T[:2, :2] = [[math.cos(yaw), -math.sin(yaw)], [math.sin(yaw), math.cos(yaw)]]
    return T


def torch_cuda_available() -> bool:
    import torch
    return torch.cuda.is_available()


def start_node(*params: str, extrinsics: bool = True) -> subprocess.Popen:
    """The node under test; ``extrinsics`` False: no camera_extrinsics, so from TF."""
    args = [sys.executable, "-m", "fhmr_ros.ros.node", "--ros-args", "-r", f"__ns:={NS}",
            "-p", "queue_size:=200", "-p", "reliable_images:=true",
            "-p", "stride:=4", "-p", "lag:=4",
            "-p", "max_image_pixels:=400000", "-p", "flush_idle_s:=1.0",
            "-p", "odom_wait_s:=3.0", "-p", "diagnostics_period_s:=0.5"]
    if extrinsics:
        args += ["-p", "camera_extrinsics:=[0.0, 0.0, 0.0, -0.5, 0.5, -0.5, 0.5]"]
    for p in params:
        args += ["-p", p]
    # the node's log goes to a file (a pipe nobody reads would block it once full) and is
    # printed when the node is stopped, so a failing test shows it
    log = tempfile.TemporaryFile("w+")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, text=True)
    proc.log = log
    return proc


def stop_node(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=20)
    print(node_log(proc))


def node_log(proc: subprocess.Popen) -> str:
    proc.log.seek(0)
    return proc.log.read()


class Harness:
    """A test node publishing the stream and collecting everything the node sends."""

    def __init__(self) -> None:
        self.node = rclpy.create_node(f"fhmr_test_driver_{os.getpid()}")
        sensor = qos_profile_sensor_data
        reliable = QoSProfile(depth=200, reliability=ReliabilityPolicy.RELIABLE)
        self.pub_image = self.node.create_publisher(Image, f"{NS}/image", reliable)
        self.pub_info = self.node.create_publisher(CameraInfo, f"{NS}/camera_info", sensor)
        self.pub_odom = self.node.create_publisher(
            Odometry, f"{NS}/odom", QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE))
        self.humans, self.tf, self.markers, self.diagnostics = [], [], [], []
        self.trajectories = []
        self.node.create_subscription(HumanStateArray, f"{NS}/fhmr_node/humans",
                                      self.humans.append, 100)
        self.node.create_subscription(HumanTrajectoryArray, f"{NS}/fhmr_node/trajectories",
                                      self.trajectories.append, 100)
        self.node.create_subscription(TFMessage, "/tf", self.tf.append, 100)
        self.node.create_subscription(MarkerArray, f"{NS}/fhmr_node/markers",
                                      self.markers.append, 100)
        self.node.create_subscription(DiagnosticArray, "/diagnostics",
                                      self.diagnostics.append, 100)
        self.photo = read_image("basketball2.png")             # (480, 640, 3), two players
        self.hri_tracked, self.hri = [], {}               # ROS4HRI: topic -> messages
        self.g1: dict[str, list] = {}                     # publish_g1: body id -> messages
        self.node.create_subscription(IdsList, "/humans/bodies/tracked", self._on_tracked, 10)

    def _on_tracked(self, msg) -> None:
        """A ROS4HRI reader written from REP-155's topic list: each new body id gets its
        subtopics subscribed (roi latched, as libhri reads it)."""
        known = {t.split("/")[3] for t in self.hri}
        self.hri_tracked.append(msg)
        for bid in set(msg.ids) - known:
            for name, (msg_type, qos) in REP155_BODY_TOPICS.items():
                topic = f"/humans/bodies/{bid}/{name}"
                self.hri[topic] = []
                self.node.create_subscription(msg_type, topic, self.hri[topic].append, qos)
            self.g1[bid] = []
            self.node.create_subscription(JointState, f"{NS}/fhmr_node/g1/{bid}/joint_states",
                                          self.g1[bid].append, 10)

    def spin(self, seconds: float, until=lambda: False) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end and not until():
            rclpy.spin_once(self.node, timeout_sec=0.05)

    def wait_for_node(self, proc: subprocess.Popen, inputs=None, timeout: float = 90.0) -> None:
        """Until the node's subscriptions are matched (it has started); ``inputs`` is the
        publisher of its images (the harness's own by default) or keypoints."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert proc.poll() is None, f"node exited: {node_log(proc)}"
            if self.subscribed(inputs or self.pub_image):
                return
            self.spin(0.2)
        raise AssertionError("the node did not subscribe in time")

    def lead_in(self, stamp: float, i: float) -> None:
        """Intrinsics and odometry before a new node's first image (at ``stamp``, pose
        yaw(i)): five samples in the half second before it, on the same steady turn. A
        publisher matches the node's subscription before the node has matched it back, so
        the first best-effort samples may be lost; with several, losing some costs nothing."""
        for k in range(5):
            dt = -0.5 + 0.1 * k
            self.pub_info.publish(camera_info_msg(self.K(), W, H, sec_to_stamp(stamp),
                                                  CAMERA_FRAME))
            self.pub_odom.publish(odometry_msg(sec_to_stamp(stamp + dt),
                                               yaw_pose(self.yaw(i + dt * FPS)), "odom",
                                               "base_link"))
            self.spin(0.2)

    def subscribed(self, inputs) -> bool:
        """Has the node matched ``inputs`` (its image or keypoints publisher), camera_info
        and odometry? Discovery is per topic: an image sent before camera_info's
        subscription is matched would be dropped for want of intrinsics."""
        return all(p.get_subscription_count() for p in (inputs, self.pub_info, self.pub_odom))

    def yaw(self, i: float) -> float:
        return YAW0 + (YAW1 - YAW0) * i / (FRAMES - 1)

    def frame(self, i: int) -> np.ndarray:
        """The photo seen after the robot turned left by yaw(i): the optical frame turns by
        −ψ about its y axis (y down), so pixels map by K R_y(ψ) K^-1."""
        c, s = math.cos(self.yaw(i)), math.sin(self.yaw(i))
        R = np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
        K = self.K()
        return cv2.warpPerspective(self.photo, K @ R @ np.linalg.inv(K), (W, H),
                                   borderValue=(110, 110, 110))

    def K(self) -> np.ndarray:
        return np.array([[F, 0, W / 2], [0, F, H / 2], [0, 0, 1]])

    def send(self, i: int, stamp: float, image: np.ndarray | None = None,
             info: CameraInfo | None = None) -> None:
        t = sec_to_stamp(stamp)
        # odometry around the image stamp, on the robot's steady turn (yaw linear in time),
        # so that any two samples interpolate to the exact pose even if one is lost
        for dt in (-0.05, 0.0):
            self.pub_odom.publish(odometry_msg(sec_to_stamp(stamp + dt),
                                               yaw_pose(self.yaw(i + dt * FPS)), "odom",
                                               "base_link"))
        self.pub_info.publish(info or camera_info_msg(self.K(), W, H, t, CAMERA_FRAME))
        self.pub_image.publish(bgr_to_image_msg(self.frame(i) if image is None else image,
                                                t, CAMERA_FRAME))
        self.spin(0.05)

    def stop_node(self) -> None:
        """Stop the main stream's node (once) before a test starts a node of its own."""
        if self.proc.poll() is None:
            stop_node(self.proc)

    def call(self, service_type, name: str, request):
        """Call the node's service ``name`` and wait for the answer."""
        client = self.node.create_client(service_type, f"{NS}/fhmr_node/{name}")
        assert client.wait_for_service(timeout_sec=60.0), name
        future = client.call_async(request)
        self.spin(120.0, until=future.done)
        self.node.destroy_client(client)
        return future.result()

    def set_parameter(self, name: str, value):
        from rcl_interfaces.srv import SetParameters
        from rclpy.parameter import Parameter

        return self.call(SetParameters, "set_parameters", SetParameters.Request(
            parameters=[Parameter(name, value=value).to_parameter_msg()])).results[0]

    def diagnostic_values(self) -> dict[str, str]:
        for arr in reversed(self.diagnostics):
            for status in arr.status:
                if status.name == "fhmr_node: pipeline":
                    return {kv.key: kv.value for kv in status.values}
        return {}


@pytest.fixture(scope="module")
def harness():
    rclpy.init()
    h = Harness()
    proc = start_node("publish_g1:=true")
    try:
        h.wait_for_node(proc)
        h.lead_in(T0 + 0.05, 0)
        for i in range(FRAMES):
            h.send(i, T0 + 0.05 + i / FPS)
            h.spin(0.3)
        for k in range(1, 6):                                  # the robot keeps reporting
            h.pub_odom.publish(odometry_msg(sec_to_stamp(T0 + 0.05 + (FRAMES - 1 + k / 5) / FPS),
                                            yaw_pose(h.yaw(FRAMES - 1)), "odom", "base_link"))
            h.spin(0.05)
        stamps = {round(T0 + 0.05 + i / FPS, 6) for i in range(FRAMES)}
        h.spin(120.0, until=lambda: {round(stamp_to_sec(m.header.stamp), 6)
                                     for m in h.humans} >= stamps)
        h.proc, h.stamps = proc, stamps
        yield h
    finally:
        stop_node(proc)
        h.node.destroy_node()
        rclpy.shutdown()


def test_humans_arrive_for_every_image_with_its_stamp_and_frame(harness):
    got = {round(stamp_to_sec(m.header.stamp), 6) for m in harness.humans}
    # on failure: which stamps, and the node's own counts of what it refused or dropped
    assert got == harness.stamps, (f"no HumanStateArray for {sorted(harness.stamps - got)}; "
                                   f"node diagnostics: {harness.diagnostic_values()}")
    for m in harness.humans:
        assert m.header.frame_id == CAMERA_FRAME and m.world_frame_id == "odom"


def test_odometry_is_subscribed_best_effort_by_default(harness):
    """odom_reliability best_effort (the default): the node's odometry subscription matches
    the harness's reliable publisher best effort (fhmr-bench odom-bursts: a reliable one
    loses images to samples waiting for a lost one)."""
    def policies():
        return [info.qos_profile.reliability for info in
                harness.node.get_subscriptions_info_by_topic(f"{NS}/odom")
                if info.node_name == "fhmr_node"]

    harness.spin(5.0, until=lambda: bool(policies()))
    assert policies() == [ReliabilityPolicy.BEST_EFFORT]


def test_ids_are_stable_and_values_are_finite(harness):
    ids = [h.track_id for m in harness.humans for h in m.humans]
    # the player on the left stays in view all along, under one id
    main = max(set(ids), key=ids.count)
    assert ids.count(main) >= 0.9 * FRAMES
    assert len(set(ids)) <= 3             # the other player leaves the view early
    for m in harness.humans:
        for h in m.humans:
            assert h.id == f"body_b{h.track_id}"
            values = np.concatenate([h.betas, h.global_orient, h.body_pose, h.transl,
                                     [p.x for p in h.joints_world], [p.z for p in h.joints_camera],
                                     h.joint_observation_confidence])
            assert np.isfinite(values).all() and len(h.joints_world) == 22
            assert set(h.joint_source) == {0, 1}


def test_world_positions_stay_put_while_the_camera_turns(harness):
    for tid in {h.track_id for m in harness.humans for h in m.humans}:
        samples = [(stamp_to_sec(m.header.stamp), h) for m in harness.humans
                   for h in m.humans if h.track_id == tid]
        if len(samples) < FRAMES // 2:
            continue
        cam = np.array([[h.pelvis_pose_camera.position.x, h.pelvis_pose_camera.position.z]
                        for _, h in samples])
        world = np.array([[h.pelvis_pose_world.position.x, h.pelvis_pose_world.position.y]
                          for _, h in samples])
        # the camera turned by 40°: in the camera frame the person sweeps sideways ...
        assert np.ptp(cam[:, 0]) > 0.8, f"track {tid}: camera-frame x barely moved"
        # ... in the world they stand still (as in the photo)
        assert np.ptp(world, axis=0).max() < 0.5, f"track {tid}: world position drifts"


def test_camera_and_world_outputs_agree_through_the_camera_pose(harness):
    """One person, one place: each published joint in the world frame is the camera-frame
    joint mapped through odometry ∘ extrinsics at the image stamp, within 2 cm."""
    optical = np.array([[0.0, 0, 1, 0], [-1, 0, 0, 0], [0, -1, 0, 0], [0, 0, 0, 1]])
    gaps = []
    for m in harness.humans:
        i = round((stamp_to_sec(m.header.stamp) - T0 - 0.05) * FPS)
        T = yaw_pose(harness.yaw(i)) @ optical                # odom <- optical at the stamp
        for h in m.humans:
            cam = np.array([[p.x, p.y, p.z] for p in h.joints_camera])
            world = np.array([[p.x, p.y, p.z] for p in h.joints_world])
            gaps.append(np.linalg.norm(cam @ T[:3, :3].T + T[:3, 3] - world, axis=-1).max())
            pelvis_world = h.pelvis_pose_world.position
            assert np.allclose(world[0], [pelvis_world.x, pelvis_world.y, pelvis_world.z],
                               atol=1e-4)
    assert len(gaps) >= FRAMES and max(gaps) < 0.02, f"worst gap {max(gaps):.3f} m"


def test_tf_markers_and_diagnostics_arrive(harness):
    frames = {(t.header.frame_id, t.child_frame_id) for m in harness.tf for t in m.transforms}
    ids = {h.track_id for m in harness.humans for h in m.humans}
    assert {("odom", f"body_b{i}") for i in ids} <= frames
    namespaces = {mk.ns for arr in harness.markers for mk in arr.markers}
    assert {"skeleton", "id", "trajectory"} <= namespaces
    values = harness.diagnostic_values()
    assert float(values["output_rate_hz"]) >= 0 and values["model_device"] == "cpu"
    # no base_footprint in the harness's TF: the floor is the configured world height
    assert values["floor"] == "world z = 0 m (floor_height_m)"


def test_ros4hri_bodies_are_the_people_of_humans_at_the_same_places(harness):
    """/humans/bodies/tracked lists the people of ~/humans (body_<id> ids); each body's
    position is the midpoint of its hips in ~/humans at the same stamp, its roi the same
    box, its skeleton2d holds the detector's points inside the image, its joint_states
    20 joints of the ROS4HRI model named after the body."""
    humans = {(round(stamp_to_sec(m.header.stamp), 6), h.id): h
              for m in harness.humans for h in m.humans}
    people = {h.id for h in humans.values()}
    tracked = {i for m in harness.hri_tracked for i in m.ids}
    assert tracked and {f"body_{i}" for i in tracked} == people           # i: b<track id>
    checked = 0
    for topic, msgs in harness.hri.items():
        bid, name = topic.split("/")[3], topic.split("/")[4]
        assert msgs, f"nothing on {topic}"
        for m in msgs:
            h = humans[(round(stamp_to_sec(m.header.stamp), 6), f"body_{bid}")]
            if name == "position":
                hips = 0.5 * (np.array([[p.x, p.y, p.z] for p in h.joints_world[1:3]]).sum(0))
                np.testing.assert_allclose([m.point.x, m.point.y, m.point.z], hips, atol=1e-4)
                assert m.header.frame_id == "odom"
            elif name == "roi":
                np.testing.assert_allclose([m.xmin * W, m.ymin * H, m.xmax * W, m.ymax * H],
                                           np.clip(h.bbox, 0, [W, H, W, H]), atol=0.05)
            elif name == "skeleton2d":
                seen = [p for p in m.skeleton if p.c > 0.5]
                assert len(seen) >= 10 and all(0 <= p.x <= 1 and 0 <= p.y <= 1 for p in seen)
            elif name == "joint_states":
                assert len(m.name) == 20 and all(n.endswith(f"_{bid}") for n in m.name)
                assert np.isfinite(m.position).all()
            checked += 1
    assert checked > 50


def test_trajectories_hold_each_persons_published_world_pelvis_oldest_first(harness):
    """~/trajectories (sent while someone reads it) ends, at each image, with that image's
    pelvis_pose_world of every person, after the person's earlier samples."""
    humans = {round(stamp_to_sec(m.header.stamp), 6): m for m in harness.humans}
    # each image's trajectories follow its humans: the fixture waited for the humans only
    harness.spin(30.0, until=lambda: len(harness.trajectories) >= len(humans))
    checked = 0
    for arr in harness.trajectories:
        m = humans[round(stamp_to_sec(arr.header.stamp), 6)]
        assert arr.header.frame_id == "odom"
        by_id = {t.track_id: t for t in arr.trajectories}
        for h in m.humans:
            points = by_id[h.track_id].points
            stamps = [stamp_to_sec(p.stamp) for p in points]
            assert stamps == sorted(stamps) and stamps[-1] == stamp_to_sec(m.header.stamp)
            last, want = points[-1].pelvis_pose.position, h.pelvis_pose_world.position
            assert np.allclose([last.x, last.y, last.z], [want.x, want.y, want.z], atol=1e-6)
            checked += 1
    assert len(harness.trajectories) == len(harness.humans) and checked >= 0.9 * FRAMES
    longest = max(len(t.points) for arr in harness.trajectories for t in arr.trajectories)
    assert longest >= 0.9 * FRAMES            # the main player's whole history


def test_bad_input_is_counted_and_the_node_keeps_answering(harness):
    h = harness
    t = T0 + 10.0
    bad = {
        "wrong encoding": Image(encoding="32FC1", width=4, height=4, step=16, data=[0] * 64),
        "empty": Image(encoding="bgr8", width=0, height=0, step=0),
        "odd size": Image(encoding="bgr8", width=100, height=100, step=300, data=[0] * 99),
        "huge": bgr_to_image_msg(np.zeros((600, 800, 3), np.uint8), sec_to_stamp(0), "x"),
    }
    for k, msg in enumerate(bad.values()):
        msg.header.stamp = sec_to_stamp(t + 0.1 * k)
        h.pub_image.publish(msg)
        h.spin(0.2)
    zero_k = camera_info_msg(h.K(), W, H, sec_to_stamp(t), CAMERA_FRAME)
    zero_k.k = [0.0] * 9
    nan_odom = odometry_msg(sec_to_stamp(t + 1.0), yaw_pose(0.0), "odom", "base_link")
    nan_odom.pose.pose.position.x = float("nan")
    for _ in range(3):                     # sensor topics are best effort: send a few
        h.pub_info.publish(zero_k)
        h.pub_odom.publish(nan_odom)
        h.spin(0.2)
    h.send(0, t + 1.0)                                  # a good image ...
    for _ in range(3):      # odometry older than both of the image's samples (best effort:
        # either may be lost, and a repeat of the newest stamp is not out of order)
        h.pub_odom.publish(odometry_msg(sec_to_stamp(t + 0.5), yaw_pose(0.0), "odom",
                                        "base_link"))
        h.spin(0.1)
    blank = np.full((H, W, 3), 128, np.uint8)           # ... nobody in view
    h.send(0, t + 1.1, image=blank)
    for stamp in (0.0, t + 1.1):             # a driver that does not stamp; a repeat
        h.pub_image.publish(bgr_to_image_msg(h.frame(1), sec_to_stamp(stamp), CAMERA_FRAME))
        h.spin(0.1)
    for _ in range(3):                   # another frame than world_frame (best effort)
        h.pub_odom.publish(odometry_msg(sec_to_stamp(t + 1.2), yaw_pose(0.0), "map",
                                        "base_link"))
        h.spin(0.05)
    h.spin(30.0, until=lambda: any(abs(stamp_to_sec(m.header.stamp) - (t + 1.1)) < 1e-6
                                   for m in h.humans))
    empty = [m for m in h.humans if abs(stamp_to_sec(m.header.stamp) - (t + 1.1)) < 1e-6]
    assert empty and not empty[0].humans                # published, with no people
    # a looping recording: stamps jump back; the node resets and answers again
    n = len(h.humans)
    for i in range(6):
        h.send(i, T0 + 0.05 + i / FPS)
        h.spin(0.15)
    h.spin(60.0, until=lambda: len(h.humans) > n)
    assert len(h.humans) > n, "no output after the time jump"
    h.spin(1.5)
    values = h.diagnostic_values()
    for key in ("bad_images", "bad_camera_info", "bad_odometry", "odometry_out_of_order",
                "time_jumps", "images_unstamped", "images_repeated_stamp",
                "odometry_frame_mismatch"):
        assert int(values.get(key, 0)) >= 1, f"{key} not counted: {values}"
    assert int(values["bad_images"]) >= 4
    assert h.proc.poll() is None                        # still running


def test_live_parameters_change_and_the_rest_are_refused_with_a_reason(harness):
    """stride is read at configure only; max_people changes live; a value out
    of its declared range is refused; the ranges are visible to `ros2 param describe`."""
    from rcl_interfaces.srv import DescribeParameters

    stride = harness.set_parameter("stride", 2)
    assert not stride.successful and "read at configure" in stride.reason
    assert harness.set_parameter("max_people", 12).successful
    hypotheses = harness.set_parameter("hypotheses", 0)
    assert not hypotheses.successful and hypotheses.reason
    describe = harness.node.create_client(DescribeParameters,
                                          f"{NS}/fhmr_node/describe_parameters")
    assert describe.wait_for_service(timeout_sec=10.0)
    future = describe.call_async(DescribeParameters.Request(names=["stride", "max_people"]))
    harness.spin(10.0, until=future.done)
    stride_d, people_d = future.result().descriptors
    assert "read at configure" in stride_d.additional_constraints
    assert stride_d.integer_range[0].from_value == 1
    assert people_d.additional_constraints == "changes live"
    assert people_d.integer_range[0].from_value == 1


def test_too_many_people_are_counted_and_a_restart_uses_new_ids(harness):
    """A second node limited to one person: the other is counted, not tracked; and the
    ids it hands out are not those of the first node's run. Stopped (SIGTERM) while images
    still arrive, it exits cleanly: status 0, no error in its log."""
    harness.stop_node()     # after the main stream: one node at a time keeps the CPU free
    first_run = {p.track_id for m in harness.humans for p in m.humans}
    proc = start_node("max_people:=1")
    h = harness
    second_run = lambda: {p.track_id for m in h.humans for p in m.humans  # noqa: E731
                          if stamp_to_sec(m.header.stamp) >= T0 + 50}
    try:
        h.wait_for_node(proc)
        h.lead_in(T0 + 50, 0)
        h.diagnostics.clear()
        for i in range(6):
            h.send(i, T0 + 50 + i / FPS)
            h.spin(0.2)
        h.spin(30.0, until=lambda: int(h.diagnostic_values().get("people_over_limit", 0)) > 0
               and second_run())
        assert int(h.diagnostic_values()["people_over_limit"]) > 0
        assert len(second_run()) == 1 and not second_run() & first_run
        for i in range(6, 9):                   # still streaming when SIGTERM comes
            h.send(i, T0 + 50 + i / FPS)
        proc.terminate()
        assert proc.wait(timeout=20) == 0
        log = node_log(proc)
        assert not any(bad in log for bad in ("failed", "invalid", "Error", "Traceback")), log
    finally:
        if proc.poll() is None:
            stop_node(proc)


def test_lifecycle_transitions_and_a_failed_configure_that_is_fixed(harness):
    """autostart:=false: the node waits unconfigured. Configure fails on a launch value out
    of range, then on a missing checkpoint, naming each, and stays unconfigured; with the
    values fixed it configures and activates and answers images; deactivated it neither
    subscribes nor publishes; cleanup and configure again work."""
    from lifecycle_msgs.msg import State, Transition
    from lifecycle_msgs.srv import ChangeState, GetState

    h = harness
    h.stop_node()
    proc = start_node("autostart:=false", "stride:=0", "checkpoint:=/nonexistent/model.pt")

    def change(transition):
        return h.call(ChangeState, "change_state", ChangeState.Request(
            transition=Transition(id=transition))).success

    def state():
        return h.call(GetState, "get_state", GetState.Request()).current_state.id

    try:
        assert state() == State.PRIMARY_STATE_UNCONFIGURED
        assert h.pub_image.get_subscription_count() == 0
        assert not change(Transition.TRANSITION_CONFIGURE)
        assert state() == State.PRIMARY_STATE_UNCONFIGURED
        assert h.set_parameter("stride", 4).successful          # allowed while unconfigured
        assert not change(Transition.TRANSITION_CONFIGURE)
        assert h.set_parameter("checkpoint", "").successful
        assert change(Transition.TRANSITION_CONFIGURE)
        assert state() == State.PRIMARY_STATE_INACTIVE
        assert change(Transition.TRANSITION_ACTIVATE)
        h.spin(10.0, until=lambda: h.pub_image.get_subscription_count() > 0)
        answered = lambda t0: {m.header.stamp.sec for m in h.humans  # noqa: E731
                               if stamp_to_sec(m.header.stamp) >= t0}
        for i in range(6):
            h.send(i, T0 + 100 + i / FPS)
            h.spin(0.2)
        h.spin(60.0, until=lambda: answered(T0 + 100))
        assert answered(T0 + 100)
        assert change(Transition.TRANSITION_DEACTIVATE)
        assert state() == State.PRIMARY_STATE_INACTIVE
        h.spin(5.0, until=lambda: h.pub_image.get_subscription_count() == 0)
        assert h.pub_image.get_subscription_count() == 0
        for i in range(3):
            h.send(i, T0 + 200 + i / FPS)
        h.spin(3.0)
        assert not answered(T0 + 200)
        h.diagnostics.clear()
        h.spin(5.0, until=lambda: any("inactive" in s.message for a in h.diagnostics
                                      for s in a.status))
        assert any("inactive" in s.message for a in h.diagnostics for s in a.status)
        assert change(Transition.TRANSITION_CLEANUP)
        assert state() == State.PRIMARY_STATE_UNCONFIGURED
        assert change(Transition.TRANSITION_CONFIGURE)
        assert state() == State.PRIMARY_STATE_INACTIVE
        assert proc.poll() is None
        log = node_log(proc)
        assert "stride out of range" in log and "model.pt not found" in log
        assert "Traceback" not in log
    finally:
        stop_node(proc)


def test_extrinsics_come_from_tf_and_an_unknown_frame_is_counted(harness):
    """Without camera_extrinsics the node looks the camera up in TF: a mast sent once on
    /tf_static before the node starts (transient local), the camera on the mast on /tf
    with every image. World joints = odometry · TF chain · camera joints within 2 cm; an
    image in a frame TF does not know is counted as images_without_extrinsics."""
    from geometry_msgs.msg import TransformStamped

    h = harness
    h.stop_node()
    transient = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                           durability=DurabilityPolicy.TRANSIENT_LOCAL)
    pub_static = h.node.create_publisher(TFMessage, "/tf_static", transient)
    pub_tf = h.node.create_publisher(TFMessage, "/tf", QoSProfile(
        depth=100, reliability=ReliabilityPolicy.RELIABLE))

    def link(parent, child, xyz, q, stamp):
        t = TransformStamped()
        t.header.frame_id, t.child_frame_id, t.header.stamp = parent, child, stamp
        tr, rot = t.transform.translation, t.transform.rotation
        (tr.x, tr.y, tr.z), (rot.x, rot.y, rot.z, rot.w) = xyz, q
        return TFMessage(transforms=[t])

    pub_static.publish(link("base_link", "test_mast", (0.1, 0.0, 0.4), (0.0, 0.0, 0.0, 1.0),
                            sec_to_stamp(0.0)))
    mount = np.array([[0.0, 0, 1, 0.1], [-1, 0, 0, 0], [0, -1, 0, 0.7], [0, 0, 0, 1]])
    proc = start_node(extrinsics=False)
    t0 = T0 + 300
    try:
        h.wait_for_node(proc)
        h.lead_in(t0, 0)
        for i in range(10):
            pub_tf.publish(link("test_mast", CAMERA_FRAME, (0.0, 0.0, 0.3),
                                (-0.5, 0.5, -0.5, 0.5), sec_to_stamp(t0 + i / FPS)))
            h.send(i, t0 + i / FPS)
            h.spin(0.2)
        stray = t0 + 10 / FPS
        for dt in (0.0, 0.05):      # odometry on both sides of the stray image, sent first
            h.pub_odom.publish(odometry_msg(sec_to_stamp(stray + dt),
                                            yaw_pose(h.yaw(10 + dt * FPS)), "odom", "base_link"))
        h.spin(0.2)
        h.pub_image.publish(bgr_to_image_msg(h.frame(9), sec_to_stamp(stray), "nowhere"))
        h.spin(60.0, until=lambda: int(
            h.diagnostic_values().get("images_without_extrinsics", 0)) >= 1)
        assert int(h.diagnostic_values().get("images_without_extrinsics", 0)) == 1
        h.spin(60.0, until=lambda: any(abs(stamp_to_sec(m.header.stamp) - t0 - 9 / FPS)
                                       < 1e-6 for m in h.humans))
        gaps = []
        for m in h.humans:
            i = round((stamp_to_sec(m.header.stamp) - t0) * FPS)
            if not 0 <= i < 10 or abs(stamp_to_sec(m.header.stamp) - t0 - i / FPS) > 1e-6:
                continue
            T = yaw_pose(h.yaw(i)) @ mount                 # odom <- optical through TF
            for person in m.humans:
                cam = np.array([[p.x, p.y, p.z] for p in person.joints_camera])
                world = np.array([[p.x, p.y, p.z] for p in person.joints_world])
                gaps.append(np.linalg.norm(cam @ T[:3, :3].T + T[:3, 3] - world, -1).max())
        assert len(gaps) >= 10 and max(gaps) < 0.02, f"{len(gaps)}, {max(gaps, default=0)}"
    finally:
        stop_node(proc)
        h.node.destroy_publisher(pub_static)
        h.node.destroy_publisher(pub_tf)


def test_keypoints_from_another_node_replace_the_images(harness):
    """input:=keypoints: a pose detector in another node (here this process, running the
    default detector on the turning stream and sending COCO-17 with its own ids) feeds the
    node, which loads no detector and, as advised for COCO-17, holds the published frames
    known (known_frames:=64); every message is answered with its stamp, the ids hold,
    and a malformed message is counted."""
    from fhmr_ros.body.keypoints import COCO17, convert_keypoints
    from fhmr_ros.msg import PersonKeypointsArray
    from fhmr_ros.perception.movenet_blazepose_detector import MoveNetBlazePoseDetector
    from fhmr_ros.ros.keypoints_input import keypoints_msg

    h = harness
    h.stop_node()
    pub = h.node.create_publisher(PersonKeypointsArray, f"{NS}/keypoints", QoSProfile(
        depth=50, reliability=ReliabilityPolicy.RELIABLE))
    detector, messages = MoveNetBlazePoseDetector(), []
    t0 = T0 + 400
    for i in range(12):
        people = sorted(detector.detect(h.frame(i)), key=lambda p: p.bbox[0])
        for n, p in enumerate(people):
            p.keypoints = convert_keypoints(p.keypoints, keypoint_format(p.keypoint_format),
                                            COCO17)
            p.keypoint_format, p.source_id = "coco17", 100 + n
        messages.append(keypoints_msg(sec_to_stamp(t0 + i / FPS), CAMERA_FRAME, (W, H),
                                      people))
    proc = start_node("input:=keypoints", "known_frames:=64")
    try:
        h.wait_for_node(proc, pub)
        h.lead_in(t0, 0)
        for i, msg in enumerate(messages):
            stamp = t0 + i / FPS
            for dt in (-0.05, 0.0):
                h.pub_odom.publish(odometry_msg(sec_to_stamp(stamp + dt),
                                                yaw_pose(h.yaw(i + dt * FPS)), "odom",
                                                "base_link"))
            h.pub_info.publish(camera_info_msg(h.K(), W, H, sec_to_stamp(stamp), CAMERA_FRAME))
            pub.publish(msg)
            h.spin(0.1)
        broken = keypoints_msg(sec_to_stamp(t0 + 2.0), CAMERA_FRAME, (W, H), [])
        broken.people = [type(messages[0].people[0])(id=1, score=0.9, keypoints=[1.0] * 7)]
        pub.publish(broken)
        stamps = {round(t0 + i / FPS, 6) for i in range(12)}
        answered = lambda: {round(stamp_to_sec(m.header.stamp), 6)  # noqa: E731
                            for m in h.humans} & stamps
        h.spin(60.0, until=lambda: answered() == stamps and int(
            h.diagnostic_values().get("bad_images", 0)) >= 1)
        assert answered() == stamps
        assert int(h.diagnostic_values()["bad_images"]) == 1
        ids = [p.track_id for m in h.humans if round(stamp_to_sec(m.header.stamp), 6) in stamps
               for p in m.humans]
        # the player on the left is in every message under the detector's id 100: one
        # track all along; the other one is detected in 3 images only (too short to run)
        assert max(ids.count(i) for i in set(ids)) == 12 and len(set(ids)) <= 2
        assert "keypoints from another node" in node_log(proc)
    finally:
        stop_node(proc)
        h.node.destroy_publisher(pub)


CORRUPT = os.path.join(tempfile.gettempdir(), "fhmr_corrupt_checkpoint.pt")
NO_SUCH_GPU = (("device:=cuda:7", "GPU(s) are visible") if torch_cuda_available()
               else ("device:=cuda", "set device:=cpu"))


@pytest.mark.parametrize("param, name", [
    ("checkpoint:=/nonexistent/model.pt", "model.pt"),
    ("body_model_path:=/nonexistent/SMPLX.npz", "smpl-x.is.tue.mpg.de"),
    (f"checkpoint:={CORRUPT}", "cannot be read as a checkpoint"),
    NO_SUCH_GPU,
    ("device:=gpu", "device must be cpu, cuda or cuda:N"),
    ("stride:=0", "stride out of range. Min: 1"),
    ("lag:=-1", "lag out of range. Min: 0"),
    ("max_people:=0", "max_people out of range. Min: 1"),
    ("queue_size:=0", "queue_size out of range. Min: 1"),
    ("stride:=2.5", "stride"),
    ("camera_extrinsics:=[1.0, 2.0]", "camera_extrinsics must be"),
    ("camera_extrinsics:=[0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0]", "non-zero quaternion"),
    ("image_transport:=theora", "image_transport must be one of raw, compressed"),
    ("landmarks:=heavy", "landmarks must be one of full, lite"),
    ("detector:=no_such_detector", "unknown detector 'no_such_detector'"),
    (("detector:=mediapipe", "landmarks:=lite"), "applies to the movenet_blazepose detector"),
])
def test_startup_problems_stop_the_node_with_a_clear_message(param, name):
    with open(CORRUPT, "wb") as f:
        f.write(b"not a checkpoint" * 64)
    params = param if isinstance(param, tuple) else (param,)
    proc = subprocess.run([sys.executable, "-m", "fhmr_ros.ros.node", "--ros-args",
                           "-r", f"__ns:={NS}_missing", *(a for p in params for a in ("-p", p))],
                          capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert name in out and "Traceback" not in out, out


def test_a_missing_pose_network_stops_the_node_with_a_clear_message(tmp_path):
    """Shipped models looked up in an empty folder, the checkpoint given explicitly: the
    detector's network is what is missing."""
    from fhmr_ros.model.checkpoint import default_checkpoint

    proc = subprocess.run([sys.executable, "-m", "fhmr_ros.ros.node", "--ros-args",
                           "-r", f"__ns:={NS}_missing",
                           "-p", f"checkpoint:={default_checkpoint('lite')}"],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "FHMR_MODELS": str(tmp_path)})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "movenet_multipose.onnx not found" in out and "convert_pose_models.sh" in out
    assert "Traceback" not in out


def test_the_live_g1_follows_each_body_within_its_joint_ranges(harness):
    """publish_g1: per body of /humans/bodies/tracked, ~/g1/<id>/joint_states carries the
    G1's 29 joints by their MJCF names, stamped as the person's ~/humans, every angle
    inside the joint's range, and the robot moves (not a constant pose)."""
    import mujoco

    from fhmr_ros.export.humanoid_retarget import G1_MJCF, g1_joint_names

    ranges = mujoco.MjModel.from_xml_path(str(G1_MJCF)).jnt_range[1:]
    humans = {(round(stamp_to_sec(m.header.stamp), 6), h.id)
              for m in harness.humans for h in m.humans}
    main = max(harness.g1, key=lambda bid: len(harness.g1[bid]))
    assert len(harness.g1[main]) >= FRAMES // 2
    for bid, msgs in harness.g1.items():
        for m in msgs:
            assert tuple(m.name) == g1_joint_names()
            assert (round(stamp_to_sec(m.header.stamp), 6), f"body_{bid}") in humans
            q = np.asarray(m.position)
            assert ((q >= ranges[:, 0] - 1e-6) & (q <= ranges[:, 1] + 1e-6)).all()
    q = np.array([m.position for m in harness.g1[main]])
    assert np.ptp(q, axis=0).max() > 0.05
