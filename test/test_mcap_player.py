"""MCAP recordings without rosbag2 (fhmr_ros.ros.mcap_io) and the camera player
(fhmr_ros/ros/video_stream.py, playback.py, tools/player.py): real messages, real footage, real DDS."""

import math
import os
import subprocess
import sys
import time
import uuid
import warnings

import cv2
import numpy as np
import pytest
import rclpy
from ament_index_python.packages import get_package_share_directory
from geometry_msgs.msg import Point
from mcap.well_known import MessageEncoding, SchemaEncoding
from mcap.writer import Writer
from nav_msgs.msg import Odometry
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from rclpy.serialization import serialize_message
from sensor_msgs.msg import CameraInfo, CompressedImage
from std_msgs.msg import String

from fhmr_ros.data.footage import footage_path
from fhmr_ros.msg import HumanState, HumanStateArray
from fhmr_ros.ros.camera_info import camera_info_msg, intrinsics_from_camera_info
from fhmr_ros.ros.image_conversion import bgr_to_image_msg, compressed_to_bgr, image_to_bgr
from fhmr_ros.ros.mcap_io import (McapFormatError, McapRecorder, message_class,
                                  message_definition, read_messages, topics)
from fhmr_ros.ros.odometry import (odometry_msg, pose_to_matrix, sec_to_stamp,
                                   stamp_to_sec)
from fhmr_ros.ros.video_stream import Motion, bag_messages, write_video_bag

with warnings.catch_warnings():   # the module warns on import that mcap_ros2.decoder is newer
    warnings.simplefilter("ignore", DeprecationWarning)
    from mcap_ros2.reader import read_ros2_messages

VIDEO_SIZE = (768, 576)  # vtest.avi, width x height


def _human_array() -> HumanStateArray:
    """A HumanStateArray with one person: nested geometry_msgs types, arrays, constants."""
    human = HumanState(id="body_7", track_id=7, tracking_state=HumanState.TRACKING_CONFIRMED,
                       confidence=0.75)
    human.bbox = np.array([10.5, 20.0, 110.0, 320.25], np.float32)
    human.betas = np.linspace(-1, 1, 10).astype(np.float32)
    human.body_pose = np.arange(63, dtype=np.float32) / 100
    human.pelvis_pose_world.position.x = 2.5
    human.pelvis_pose_world.orientation.z = math.sin(0.3)
    human.pelvis_pose_world.orientation.w = math.cos(0.3)
    human.velocity_world.linear.y = -0.4
    human.joints_camera = [Point(x=0.1 * j, y=-0.2 * j, z=3.0 + j) for j in range(22)]
    human.joint_source = [HumanState.JOINT_SOURCE_COMPLETED] * 22
    msg = HumanStateArray(world_frame_id="odom", humans=[human])
    msg.header.stamp = sec_to_stamp(12.5)
    msg.header.frame_id = "camera_optical_frame"
    return msg


def _sample_messages() -> list[tuple[str, object, int]]:
    """(topic, message, log time ns) of four types, built with the package's converters."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    stamp = sec_to_stamp(12.5)
    K = np.array([[500.0, 0, 4], [0, 510, 3], [0, 0, 1]])
    T = np.eye(4)
    T[:3, :3] = [[0, -1, 0], [1, 0, 0], [0, 0, 1]]
    T[:3, 3] = [1.0, 2.0, 0.5]
    return [
        ("/camera/image", bgr_to_image_msg(image, stamp, "cam"), 12_500_000_000),
        ("/camera/camera_info", camera_info_msg(K, 8, 6, stamp, "cam"), 12_500_000_000),
        ("/odom", odometry_msg(stamp, T, "odom", "base_link", (0.5, 0, 0), (0, 0, 0.1)),
         12_400_000_000),
        ("/humans", _human_array(), 12_600_000_000),
    ]


def test_round_trip_and_mcap_ros2_decodes_stored_definitions(tmp_path):
    path = tmp_path / "sub" / "round_trip.mcap"
    sent = _sample_messages()
    with McapRecorder(path) as recorder:
        for topic, msg, stamp_ns in sent:
            recorder.write(topic, msg, stamp_ns)
    assert topics(path) == {"/camera/image": "sensor_msgs/msg/Image",
                            "/camera/camera_info": "sensor_msgs/msg/CameraInfo",
                            "/odom": "nav_msgs/msg/Odometry",
                            "/humans": "fhmr_ros/msg/HumanStateArray"}

    reader = read_messages(path)
    got = list(reader)
    assert not reader.skipped
    expected = sorted(sent, key=lambda s: s[2])   # read back in log-time order
    assert [(m.topic, m.log_time_ns) for m in got] == [(t, ns) for t, _, ns in expected]
    for m, (_, msg, _) in zip(got, expected):
        assert type(m.msg) is type(msg) and m.msg == msg
        assert message_class(m.type_name) is type(msg)
    only = [m.topic for m in read_messages(path, {"/odom", "/humans"})]
    assert only == ["/odom", "/humans"]

    # mcap_ros2 builds its decoders from the definitions stored in the file alone.
    decoded = {m.channel.topic: (m.schema.name, m.ros_msg) for m in read_ros2_messages(path)}
    assert {t: name for t, (name, _) in decoded.items()} == topics(path)
    image = decoded["/camera/image"][1]
    assert (image.width, image.height, image.encoding) == (8, 6, "bgr8")
    assert bytes(image.data) == bytes(sent[0][1].data)
    assert list(decoded["/camera/camera_info"][1].k) == [500, 0, 4, 0, 510, 3, 0, 0, 1]
    odom = decoded["/odom"][1]
    assert (odom.child_frame_id, odom.pose.pose.position.y) == ("base_link", 2.0)
    assert odom.pose.pose.orientation.z == pytest.approx(math.sqrt(0.5))
    humans = decoded["/humans"][1]
    assert humans.header.stamp.sec == 12 and humans.header.stamp.nanosec == 500_000_000
    human = humans.humans[0]
    assert (human.id, human.track_id, len(human.joints_camera)) == ("body_7", 7, 22)
    assert human.joints_camera[5].z == pytest.approx(8.0)
    assert human.pelvis_pose_world.orientation.w == pytest.approx(math.cos(0.3))
    assert human.velocity_world.linear.y == pytest.approx(-0.4)
    assert list(human.bbox) == pytest.approx([10.5, 20.0, 110.0, 320.25])
    assert list(human.joint_source) == [1] * 22


def test_message_definition_matches_rosbag2_layout():
    text = message_definition("sensor_msgs/msg/Image")
    share = get_package_share_directory("sensor_msgs")
    with open(os.path.join(share, "msg", "Image.msg")) as f:
        assert text.startswith(f.read())
    lines = text.splitlines()
    for dep in ("std_msgs/Header", "builtin_interfaces/Time"):
        i = lines.index(f"MSG: {dep}")
        assert lines[i - 1] == "=" * 80
    assert lines.count("MSG: builtin_interfaces/Time") == 1
    human = message_definition("fhmr_ros/msg/HumanStateArray").splitlines()
    for dep in ("fhmr_ros/HumanState", "geometry_msgs/Pose", "geometry_msgs/Point",
                "geometry_msgs/Quaternion", "geometry_msgs/Twist", "geometry_msgs/Vector3",
                "std_msgs/Header", "builtin_interfaces/Time"):
        assert human.count(f"MSG: {dep}") == 1
    with pytest.raises(LookupError, match="nope_msgs"):
        message_definition("nope_msgs/msg/Thing")
    with pytest.raises(LookupError, match="Nope"):
        message_class("sensor_msgs/msg/Nope")


def write_raw_mcap(path, channels: dict[str, tuple[str, bytes]], messages) -> None:
    """An MCAP written byte by byte: channels {topic: (type name, ros2msg schema)};
    messages [(topic, CDR payload)], logged at 1, 2, 3, ... ns."""
    with open(path, "wb") as stream:
        writer = Writer(stream)
        writer.start(profile="ros2")
        ids = {topic: writer.register_channel(topic, MessageEncoding.CDR,
                                              writer.register_schema(name, SchemaEncoding.ROS2,
                                                                     schema))
               for topic, (name, schema) in channels.items()}
        for t, (topic, payload) in enumerate(messages, start=1):
            writer.add_message(ids[topic], t, payload, t)
        writer.finish()


def test_unknown_types_are_skipped_and_counted(tmp_path):
    path = tmp_path / "mixed.mcap"
    write_raw_mcap(path, {"/text": ("std_msgs/msg/String", b"string data\n"),
                          "/thing": ("nope_msgs/msg/Thing", b"int32 x\n")},
                   [m for i in range(3) for m in (
                       ("/text", serialize_message(String(data=f"m{i}"))),
                       ("/thing", b"\x00\x01\x00\x00\x05\x00\x00\x00"))])
    reader = read_messages(path)
    assert [m.msg.data for m in reader] == ["m0", "m1", "m2"]
    assert reader.skipped == {"nope_msgs/msg/Thing: type not installed": 3}


def test_malformed_payloads_and_foreign_schemas_are_skipped_and_counted(tmp_path):
    path = tmp_path / "odd.mcap"
    write_raw_mcap(path, {
        # the installed definition, written with other comments and spacing: accepted
        "/text": ("std_msgs/msg/String", b"# a comment\nstring   data  # text\n"),
        "/number": ("std_msgs/msg/Int32", b"int64 data\n")},       # not what is installed
        [("/text", serialize_message(String(data="ok"))),
         ("/text", b"\x00\x01\x00\x00\xff\xff\xff\x7f"),           # a string too long
         ("/number", b"\x00\x01\x00\x00" + b"\x00" * 8),
         ("/text", serialize_message(String(data="still ok")))])
    reader = read_messages(path)
    assert [m.msg.data for m in reader] == ["ok", "still ok"]
    assert reader.skipped == {
        "std_msgs/msg/String: malformed payload": 1,
        "std_msgs/msg/Int32: schema differs from the installed definition": 1}


def test_corrupt_or_missing_recording_raises_clear_error(tmp_path):
    garbage = tmp_path / "garbage.mcap"
    garbage.write_bytes(b"this is not an mcap file" * 20)
    with pytest.raises(McapFormatError, match="garbage.mcap is not a readable MCAP"):
        read_messages(garbage)
    with pytest.raises(McapFormatError, match="not a readable MCAP"):
        topics(garbage)
    good = tmp_path / "good.mcap"
    with McapRecorder(good) as recorder:
        for topic, msg, stamp_ns in _sample_messages():
            recorder.write(topic, msg, stamp_ns)
    truncated = tmp_path / "truncated.mcap"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(McapFormatError, match="truncated.mcap"):
        list(read_messages(truncated))
    with pytest.raises(FileNotFoundError, match="absent.mcap"):
        read_messages(tmp_path / "absent.mcap")


def test_write_video_bag_on_real_footage(tmp_path):
    video = footage_path("vtest.avi")
    out = tmp_path / "vtest.mcap"
    counts = write_video_bag(video, out, 5, start_time=1000.0, motion=Motion("forward", 2.0))
    assert counts == {"camera/image": 5, "camera/camera_info": 5, "odom": 9, "/tf_static": 1}
    cap = cv2.VideoCapture(str(video))
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = [cap.read()[1] for _ in range(5)]
    cap.release()

    recorded = list(read_messages(out))
    mount = recorded[0]                           # the camera's mount first, on /tf_static
    assert mount.topic == "/tf_static" and mount.log_time_ns == 1000 * 10**9
    (link,) = mount.msg.transforms
    assert (link.header.frame_id, link.child_frame_id) == ("base_link", "camera_optical_frame")
    assert link.transform.translation.z == pytest.approx(1.0)
    for m in recorded[1:]:
        assert m.log_time_ns == m.msg.header.stamp.sec * 10**9 + m.msg.header.stamp.nanosec
    images = [m.msg for m in recorded if m.topic == "/camera/image"]
    infos = [m.msg for m in recorded if m.topic == "/camera/camera_info"]
    odoms = [m.msg for m in recorded if m.topic == "/odom"]
    assert (len(images), len(infos), len(odoms)) == (5, 5, 9)
    for image, frame in zip(images, frames):
        assert (image.width, image.height, image.encoding) == (*VIDEO_SIZE, "bgr8")
        assert np.array_equal(image_to_bgr(image), frame)
    image_t = np.array([stamp_to_sec(i.header.stamp) for i in images])
    np.testing.assert_allclose(np.diff(image_t), 1 / fps, atol=1e-9)
    assert image_t[0] == pytest.approx(1000.0)
    f = math.hypot(*VIDEO_SIZE)
    for info, image in zip(infos, images):
        assert info.header == image.header
        np.testing.assert_allclose(intrinsics_from_camera_info(info),
                                   [[f, 0, 384], [0, f, 288], [0, 0, 1]])
    odom_t = np.array([stamp_to_sec(o.header.stamp) for o in odoms])
    np.testing.assert_allclose(np.diff(odom_t), 0.5 / fps, atol=1e-9)   # halfway samples
    assert set(image_t) <= set(odom_t)
    x = [pose_to_matrix(o.pose.pose)[0, 3] for o in odoms]
    np.testing.assert_allclose(x, 2.0 * (odom_t - 1000.0), atol=1e-9)
    assert all(o.twist.twist.linear.x == 2.0 for o in odoms)

    # Replaying a recording twice: the timeline goes on, the stamps start over.
    replay = list(bag_messages(out, {"/camera/image"}, loops=2))
    times = [r.time_ns for r in replay]
    assert len(replay) == 10 and times == sorted(times) and len(set(times)) == 10
    assert replay[5].msg.header.stamp == replay[0].msg.header.stamp


def test_motion_models():
    T = Motion("turn", yaw_rate=0.5).pose(2.0)
    np.testing.assert_allclose(T[:2, :2], [[math.cos(1), -math.sin(1)],
                                           [math.sin(1), math.cos(1)]])
    np.testing.assert_allclose(T[:3, 3], 0)
    assert Motion("forward", speed=1.5).pose(2.0)[:3, 3] == pytest.approx([3, 0, 0])
    assert np.array_equal(Motion("static").pose(9.0), np.eye(4))
    with pytest.raises(ValueError, match="unknown motion"):
        Motion("fly")


def test_player_publishes_video_over_dds():
    """fhmr-player in its own process, received here with sensor-data QoS. JPEG images:
    raw 768x576 bgr8 (1.3 MB) exceeds Fast DDS's 512 KB shared-memory segment, and over
    loopback UDP best effort loses about half of such messages on this machine."""
    ns = f"/player_test_{uuid.uuid4().hex[:8]}"
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node("player_test_listener", context=context)
    images, infos, odoms = [], [], []
    node.create_subscription(CompressedImage, f"{ns}/camera/image/compressed", images.append,
                             qos_profile_sensor_data)
    node.create_subscription(CameraInfo, f"{ns}/camera/camera_info", infos.append,
                             qos_profile_sensor_data)
    node.create_subscription(Odometry, f"{ns}/odom", odoms.append,
                             QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE))
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    cmd = [sys.executable, "-m", "fhmr_ros.tools.player", str(footage_path("vtest.avi")),
           "--max-frames", "5", "--rate", "2", "--compressed", "--intrinsics", "500,510,380,290",
           "--image-topic", f"{ns}/camera/image",
           "--camera-info-topic", f"{ns}/camera/camera_info", "--odom-topic", f"{ns}/odom",
           "--node-name", "player_under_test", "--wait-for-subscribers", "20"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 25
        ended = None
        while time.monotonic() < deadline:   # until a second after the player has exited
            executor.spin_once(timeout_sec=0.05)
            if ended is None and proc.poll() is not None:
                ended = time.monotonic()
            if ended is not None and time.monotonic() > ended + 1.0:
                break
        output = proc.communicate(timeout=15)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        executor.shutdown()
        node.destroy_node()
        context.try_shutdown()
    assert "played" in output, output
    assert len(images) >= 3, output
    cap = cv2.VideoCapture(str(footage_path("vtest.avi")))
    frames = [cap.read()[1].astype(np.float32) for _ in range(5)]
    cap.release()
    for image in images:
        bgr = compressed_to_bgr(image)
        assert bgr.shape == (VIDEO_SIZE[1], VIDEO_SIZE[0], 3)
        assert min(np.abs(bgr - frame).mean() for frame in frames) < 3.0   # JPEG quality 90
    assert len(infos) >= 3
    assert all(list(i.k) == [500, 0, 380, 0, 510, 290, 0, 0, 1] for i in infos)
    assert all((i.width, i.height) == VIDEO_SIZE for i in infos)
    assert {i.header.stamp.nanosec for i in images} <= {i.header.stamp.nanosec for i in infos}
    assert len(odoms) == 9 and all(o.child_frame_id == "base_link" for o in odoms)
