"""fhmr-player: publish a camera stream as ROS 2 topics, from a video or an MCAP recording.

    fhmr-player VIDEO [--fps F] [--intrinsics FX,FY,CX,CY] [--compressed]
                [--motion static|forward|turn] [--speed M/S] [--yaw-rate RAD/S]
                [--image-topic T] [--camera-info-topic T] [--odom-topic T]
                [--odom-frame F] [--base-frame F] [--camera-frame F]
                [--camera-mount X,Y,Z,QX,QY,QZ,QW] [--start-time S]
                [--start-frame K] [--max-frames N] [common options]
    fhmr-player BAG.mcap [--topics T1,T2] [common options]
    common options: [--rate R] [--loop N] [--record OUT.mcap [--no-publish]]
                    [--wait-for-subscribers SEC] [--node-name NAME]

Video: every frame is a sensor_msgs/Image (bgr8) on --image-topic, or with --compressed a
JPEG sensor_msgs/CompressedImage on <image-topic>/compressed, with a matching CameraInfo
(--intrinsics, default: focal = image diagonal in pixels, principal point at the centre, as
fhmr-video assumes). Frame i (counted over all loops) is stamped start + i / fps (start:
--start-time, default the wall time at start-up). nav_msgs/Odometry of a synthetic robot
base (--motion static: identity; forward: +x at --speed; turn: yaw at --yaw-rate in place)
comes at every image stamp and halfway between images, so a consumer must interpolate.
The camera's mount on the base (--camera-mount: base -> optical frame, default 1 m up
looking along +x) goes once to /tf_static, as a robot's robot_state_publisher sends it.
Frames --start-frame .. --start-frame + --max-frames - 1 are played on each loop.

MCAP: every message of a known type (optionally only --topics) is republished on its
recorded topic at its recorded timing; its header stamps are left as recorded.

--rate R plays R times faster than real time. --loop N plays N times: the video's stamps
and robot motion continue across loops, whereas a recording replays its own stamps, so its
stamps jump back at each loop (a consumer sees a time jump). --record OUT.mcap also writes
everything published into an MCAP (profile ros2, as `ros2 bag record` does), logged at each
message's playback time (its stamp for a video; for a recording its log time plus the
duration of the loops before); with --no-publish nothing goes to DDS and the file is
written as fast as possible.

QoS: images and camera_info sensor-data (best effort), /tf_static reliable and transient
local (a late subscriber still gets it), everything else reliable with depth 50. A raw
image larger than Fast DDS's 512 KB shared-memory segment (768x576 bgr8 is 1.3 MB) travels
as UDP fragments, and best effort on loopback then loses many of them (about half on the
development machine): a subscriber that needs every frame takes --compressed.
Topics in an MCAP whose type has no installed Python class are left out (and named).

Needs ROS 2 (rclpy and the message packages); ROS modules are imported where they are used,
so that the library, this module included, imports without ROS.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..streaming.camera_pose import FORWARD_CAMERA_MOUNT, pose_from_xyz_quaternion
from .video import default_intrinsics, parse_intrinsics, video_frames, video_info

MOTIONS = ("static", "forward", "turn")
SENSOR_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage",
                "sensor_msgs/msg/CameraInfo")


@dataclass(frozen=True)
class Motion:
    """Synthetic motion of the robot base in the odom frame (z up), starting at identity."""

    kind: str = "static"   # one of MOTIONS
    speed: float = 0.5     # m/s along the base's +x ("forward")
    yaw_rate: float = 0.2  # rad/s about +z, turning in place ("turn")

    def __post_init__(self):
        if self.kind not in MOTIONS:
            raise ValueError(f"unknown motion {self.kind!r}; choose one of {MOTIONS}")

    def pose(self, t: float) -> np.ndarray:
        """T_odom_base (4, 4) at ``t`` seconds after the start."""
        T = np.eye(4)
        if self.kind == "forward":
            T[0, 3] = self.speed * t
        elif self.kind == "turn":
            c, s = math.cos(self.yaw_rate * t), math.sin(self.yaw_rate * t)
            T[:2, :2] = [[c, -s], [s, c]]
        return T

    def twist(self) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        """(linear m/s, angular rad/s) in the base frame; constant over time."""
        linear = (self.speed, 0.0, 0.0) if self.kind == "forward" else (0.0, 0.0, 0.0)
        angular = (0.0, 0.0, self.yaw_rate) if self.kind == "turn" else (0.0, 0.0, 0.0)
        return linear, angular


@dataclass(frozen=True)
class FrameIds:
    """Frame ids of the published messages."""

    odom: str = "odom"
    base: str = "base_link"
    camera: str = "camera_optical_frame"


@dataclass(frozen=True)
class VideoTopics:
    """Topics of a video stream (a CompressedImage goes to ``<image>/compressed``)."""

    image: str = "camera/image"
    camera_info: str = "camera/camera_info"
    odom: str = "odom"
    tf_static: str = "/tf_static"

    @property
    def compressed_image(self) -> str:
        """Topic of CompressedImage messages."""
        return f"{self.image.rstrip('/')}/compressed"

    def types(self, compressed: bool) -> dict[str, type]:
        """Topic -> message class of a stream with raw or compressed images."""
        from nav_msgs.msg import Odometry
        from sensor_msgs.msg import CameraInfo, CompressedImage, Image
        from tf2_msgs.msg import TFMessage

        image = (self.compressed_image, CompressedImage) if compressed else (self.image, Image)
        return {image[0]: image[1], self.camera_info: CameraInfo, self.odom: Odometry,
                self.tf_static: TFMessage}


class StreamFrame(NamedTuple):
    """One video frame as messages: the image, its camera_info (both stamped ``stamp_ns``)
    and the odometry to publish with it, oldest first (the sample halfway since the previous
    frame, if any, then the one at ``stamp_ns``)."""

    stamp_ns: int
    image: Any             # sensor_msgs/Image or sensor_msgs/CompressedImage
    camera_info: Any       # sensor_msgs/CameraInfo
    odometry: list[Any]    # nav_msgs/Odometry


class TimedMessage(NamedTuple):
    """A message on its topic at its playback time (ns)."""

    time_ns: int
    topic: str
    msg: Any


def ns_to_stamp(ns: int):
    """builtin_interfaces/Time of ``ns`` nanoseconds, exactly."""
    from rclpy.time import Time

    return Time(nanoseconds=ns).to_msg()


def stamp_to_ns(stamp) -> int:
    """Nanoseconds of a builtin_interfaces/Time, exactly."""
    from rclpy.time import Time

    return Time.from_msg(stamp).nanoseconds


class VideoStream:
    """The frames of a video as StreamFrame messages (see the module docstring).

    K (3, 3) defaults to the image-diagonal focal length; ``start_time`` (s) defaults to
    the wall time when the stream is made; ``fps`` to the video's own.
    """

    def __init__(self, video: str | Path, *, fps: float | None = None,
                 K: np.ndarray | None = None, motion: Motion = Motion(),
                 frame_ids: FrameIds = FrameIds(),
                 camera_mount: tuple[float, ...] = FORWARD_CAMERA_MOUNT,
                 start_time: float | None = None,
                 start_frame: int = 0, max_frames: int | None = None, loops: int = 1,
                 compressed: bool = False, jpeg_quality: int = 90):
        self.path = Path(video)
        if not self.path.is_file():
            raise FileNotFoundError(f"no video at {self.path}")
        video_fps, self.width, self.height, _ = video_info(self.path)
        self.fps = float(fps or video_fps)
        if not self.fps > 0:
            raise ValueError(f"{self.path} reports no frame rate: pass fps (--fps)")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"{self.path} reports no image size")
        if loops < 1 or start_frame < 0 or (max_frames is not None and max_frames < 1):
            raise ValueError("loops and max_frames must be >= 1, start_frame >= 0")
        self.K = default_intrinsics(self.width, self.height) if K is None else np.asarray(K)
        self.motion, self.frame_ids = motion, frame_ids
        self.T_base_camera = pose_from_xyz_quaternion(camera_mount)    # (4, 4)
        self.start_ns = time.time_ns() if start_time is None else round(start_time * 1e9)
        self.start_frame, self.max_frames, self.loops = start_frame, max_frames, loops
        self.compressed, self.jpeg_quality = compressed, jpeg_quality

    def stamp_ns(self, i: float) -> int:
        """Stamp of frame ``i`` (counted over all loops; fractional for in-between)."""
        return self.start_ns + round(i * 1e9 / self.fps)

    def mount(self):
        """tf2_msgs/TFMessage for /tf_static: base -> camera optical frame, stamped at the
        start."""
        from ..ros.tf_frames import tf_message, transform_msg

        return tf_message([transform_msg(self.T_base_camera, ns_to_stamp(self.start_ns),
                                         self.frame_ids.base, self.frame_ids.camera)])

    def odometry(self, stamp_ns: int):
        """nav_msgs/Odometry of the synthetic base at ``stamp_ns``."""
        from ..ros.odometry import odometry_msg

        linear, angular = self.motion.twist()
        T = self.motion.pose((stamp_ns - self.start_ns) * 1e-9)
        return odometry_msg(ns_to_stamp(stamp_ns), T, self.frame_ids.odom,
                            self.frame_ids.base, linear, angular)

    def frame(self, i: int, image: np.ndarray) -> StreamFrame:
        """Frame ``i`` (over all loops) holding the BGR ``image``."""
        from ..ros.camera_info import camera_info_msg
        from ..ros.image_conversion import bgr_to_compressed_msg, bgr_to_image_msg

        stamp_ns = self.stamp_ns(i)
        stamp = ns_to_stamp(stamp_ns)
        camera = self.frame_ids.camera
        if self.compressed:
            image_msg = bgr_to_compressed_msg(image, stamp, camera, self.jpeg_quality)
        else:
            image_msg = bgr_to_image_msg(image, stamp, camera)
        info = camera_info_msg(self.K, image.shape[1], image.shape[0], stamp, camera)
        odometry = [self.odometry(self.stamp_ns(i - 0.5))] if i > 0 else []
        return StreamFrame(stamp_ns, image_msg, info, odometry + [self.odometry(stamp_ns)])

    def __iter__(self) -> Iterator[StreamFrame]:
        i = 0
        for _ in range(self.loops):
            first = i
            for _, image in video_frames(self.path, self.start_frame, self.max_frames):
                yield self.frame(i, image)
                i += 1
            if i == first:
                raise ValueError(f"{self.path} has no frame from frame {self.start_frame} on")


def video_messages(stream: VideoStream,
                   video_topics: VideoTopics = VideoTopics()) -> Iterator[TimedMessage]:
    """The stream's messages in stamp order: the camera mount (/tf_static) first; at one
    stamp odometry, camera_info, image."""
    image_topic = video_topics.compressed_image if stream.compressed else video_topics.image
    yield TimedMessage(stream.start_ns, video_topics.tf_static, stream.mount())
    for frame in stream:
        for odom in frame.odometry:
            yield TimedMessage(stamp_to_ns(odom.header.stamp), video_topics.odom, odom)
        yield TimedMessage(frame.stamp_ns, video_topics.camera_info, frame.camera_info)
        yield TimedMessage(frame.stamp_ns, image_topic, frame.image)


def bag_messages(path: str | Path, topic_filter: set[str] | None = None,
                 loops: int = 1) -> Iterator[TimedMessage]:
    """The messages of an MCAP recording (of types with an installed class) at their log
    times, ``loops`` times over; each loop is shifted to start one mean message interval
    after the previous one ended, while the messages keep their recorded stamps."""
    from ..ros.mcap_io import read_messages

    offset = 0
    for _ in range(loops):
        first = last = None
        count = 0
        for recorded in read_messages(path, topic_filter):
            first = recorded.log_time_ns if first is None else first
            last = recorded.log_time_ns
            count += 1
            yield TimedMessage(recorded.log_time_ns + offset, recorded.topic, recorded.msg)
        if count == 0:
            return
        span = last - first
        offset += span + (span // (count - 1) if count > 1 else 1)


def write_video_bag(video: str | Path, out_mcap: str | Path, max_frames: int | None = None,
                    *, video_topics: VideoTopics = VideoTopics(), **stream_options
                    ) -> Counter[str]:
    """Write a video's stream (VideoStream options as keywords) into an MCAP without DDS,
    each message logged at its stamp. Returns the message count per topic."""
    stream = VideoStream(video, max_frames=max_frames, **stream_options)
    return play(video_messages(stream, video_topics), rate=None, recorder_path=out_mcap)


def qos_for(topic: str, msg_type: type):
    """Sensor-data QoS for images and camera_info, reliable and transient local for
    /tf_static (as tf2's static broadcaster), reliable depth 50 for the rest."""
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

    from ..ros.mcap_io import type_name_of

    if type_name_of(msg_type) in SENSOR_TYPES:
        return qos_profile_sensor_data
    if absolute_topic(topic) == "/tf_static":
        return QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE,
                          durability=DurabilityPolicy.TRANSIENT_LOCAL)
    return QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)


class RosPublishers:
    """An rclpy node (own context) with one publisher per topic."""

    def __init__(self, topic_types: dict[str, type], node_name: str = "fhmr_player"):
        import rclpy

        self._context = rclpy.Context()
        rclpy.init(context=self._context)
        self.node = rclpy.create_node(node_name, context=self._context)
        self.publishers = {topic: self.node.create_publisher(cls, topic, qos_for(topic, cls))
                           for topic, cls in topic_types.items()}

    def wait_for_subscribers(self, timeout_s: float, settle_s: float = 0.5) -> list[str]:
        """Wait until every topic has a subscriber, at most ``timeout_s``; returns the
        topics still without one. Once all are matched, waits ``settle_s`` more: the
        subscribers match this publisher a moment after it matches them, and a best-effort
        message sent in between is lost. Transient-local topics (/tf_static) are not waited
        for: a late subscriber gets their messages anyway."""
        from rclpy.qos import DurabilityPolicy

        volatile = {t: p for t, p in self.publishers.items()
                    if p.qos_profile.durability != DurabilityPolicy.TRANSIENT_LOCAL}
        deadline = time.monotonic() + timeout_s
        while True:
            lonely = [t for t, p in volatile.items() if p.get_subscription_count() == 0]
            if not lonely:
                time.sleep(settle_s)
                return lonely
            if time.monotonic() >= deadline:
                return lonely
            time.sleep(0.05)

    def publish(self, item: TimedMessage) -> None:
        """Publish one message on its topic."""
        self.publishers[item.topic].publish(item.msg)

    def close(self, ack_timeout_s: float = 2.0) -> None:
        """Let reliable subscribers acknowledge what was sent, then shut the node down."""
        from rclpy.duration import Duration
        from rclpy.qos import ReliabilityPolicy

        for pub in self.publishers.values():
            if pub.qos_profile.reliability == ReliabilityPolicy.RELIABLE:
                pub.wait_for_all_acked(Duration(seconds=ack_timeout_s))
        self.node.destroy_node()
        self._context.try_shutdown()


def absolute_topic(topic: str) -> str:
    """The fully qualified name a relative topic resolves to in the root namespace (the
    name rosbag2 would record)."""
    return topic if topic.startswith("/") else f"/{topic}"


def play(messages: Iterable[TimedMessage], *, rate: float | None,
         publish: Callable[[TimedMessage], None] | None = None,
         recorder_path: str | Path | None = None) -> Counter[str]:
    """Send each message to ``publish`` and/or record it (logged at its playback time,
    under its fully qualified topic name), paced at ``rate`` times real time (None: as fast
    as possible). Returns the count per topic."""
    from ..ros.mcap_io import McapRecorder

    counts: Counter[str] = Counter()
    recorder = McapRecorder(recorder_path) if recorder_path is not None else None
    start_wall = start_time = None
    try:
        for item in messages:
            if rate is not None:
                if start_wall is None:
                    start_wall, start_time = time.monotonic(), item.time_ns
                delay = start_wall + (item.time_ns - start_time) * 1e-9 / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            if publish is not None:
                publish(item)
            if recorder is not None:
                recorder.write(absolute_topic(item.topic), item.msg, item.time_ns)
            counts[item.topic] += 1
    finally:
        if recorder is not None:
            recorder.close()
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="fhmr-player", description=__doc__.split("\n")[0])
    ap.add_argument("source", type=Path, help="a video file, or an MCAP recording (.mcap)")
    ap.add_argument("--rate", type=float, default=1.0, help="speed-up over real time")
    ap.add_argument("--loop", type=int, default=1, metavar="N", help="play N times")
    ap.add_argument("--record", type=Path, default=None, metavar="OUT.mcap",
                    help="also write everything played into this MCAP")
    ap.add_argument("--no-publish", action="store_true",
                    help="with --record: write the MCAP at full speed, no DDS")
    ap.add_argument("--wait-for-subscribers", type=float, default=0.0, metavar="SEC",
                    help="wait up to SEC for a subscriber on every topic before playing")
    ap.add_argument("--node-name", default="fhmr_player")
    ap.add_argument("--topics", default=None, help="MCAP: comma-separated topics to play")
    video = ap.add_argument_group("video")
    video.add_argument("--fps", type=float, default=None,
                       help="frame rate (default: the video's own)")
    video.add_argument("--intrinsics", default=None, metavar="FX,FY,CX,CY",
                       help="pixels (default: focal = image diagonal, centred)")
    video.add_argument("--compressed", action="store_true",
                       help="JPEG CompressedImage on <image-topic>/compressed")
    video.add_argument("--motion", choices=MOTIONS, default="static")
    video.add_argument("--speed", type=float, default=Motion.speed, help="m/s (forward)")
    video.add_argument("--yaw-rate", type=float, default=Motion.yaw_rate, help="rad/s (turn)")
    video.add_argument("--image-topic", default=VideoTopics.image)
    video.add_argument("--camera-info-topic", default=VideoTopics.camera_info)
    video.add_argument("--odom-topic", default=VideoTopics.odom)
    video.add_argument("--odom-frame", default=FrameIds.odom)
    video.add_argument("--base-frame", default=FrameIds.base)
    video.add_argument("--camera-frame", default=FrameIds.camera)
    video.add_argument("--camera-mount", default=",".join(map(str, FORWARD_CAMERA_MOUNT)),
                       metavar="X,Y,Z,QX,QY,QZ,QW",
                       help="base -> camera optical frame, sent on /tf_static "
                            "(default: 1 m up, looking along +x)")
    video.add_argument("--start-time", type=float, default=None,
                       help="stamp of the first frame in seconds (default: now)")
    video.add_argument("--start-frame", type=int, default=0)
    video.add_argument("--max-frames", type=int, default=None, help="frames per loop")
    args = ap.parse_args(argv)
    if args.no_publish and args.record is None:
        ap.error("--no-publish needs --record")
    if not args.rate > 0 or args.loop < 1:
        ap.error("--rate must be > 0 and --loop >= 1")
    if args.topics is not None and not is_mcap(args.source):
        ap.error("--topics applies to MCAP recordings only")
    return args


def is_mcap(path: Path) -> bool:
    """Whether ``path`` names an MCAP recording (by its extension)."""
    return path.suffix.lower() == ".mcap"


def source_of(args: argparse.Namespace) -> tuple[Iterator[TimedMessage], dict[str, type]]:
    """(messages, topic -> message class) of the source the arguments name."""
    from ..ros.mcap_io import message_class, topics

    if is_mcap(args.source):
        wanted = None if args.topics is None else {
            absolute_topic(t) for t in args.topics.split(",")}
        known = {}
        for topic, type_name in topics(args.source).items():
            if wanted is None or absolute_topic(topic) in wanted:
                try:
                    known[topic] = message_class(type_name)
                except LookupError:
                    print(f"[fhmr-player] leaving out {topic}: no Python class for "
                          f"{type_name or 'its type'}", file=sys.stderr)
        return bag_messages(args.source, set(known), args.loop), known
    stream = VideoStream(
        args.source, fps=args.fps,
        K=None if args.intrinsics is None else parse_intrinsics(args.intrinsics),
        motion=Motion(args.motion, args.speed, args.yaw_rate),
        frame_ids=FrameIds(args.odom_frame, args.base_frame, args.camera_frame),
        camera_mount=tuple(float(v) for v in args.camera_mount.split(",")),
        start_time=args.start_time, start_frame=args.start_frame,
        max_frames=args.max_frames, loops=args.loop, compressed=args.compressed)
    names = VideoTopics(args.image_topic, args.camera_info_topic, args.odom_topic)
    return video_messages(stream, names), names.types(args.compressed)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if importlib.util.find_spec("rclpy") is None:
        print("fhmr-player needs ROS 2 (rclpy and the message packages): "
              "source scripts/ros_env.sh", file=sys.stderr)
        return 2
    try:
        messages, topic_types = source_of(args)
    except (OSError, ValueError) as error:
        print(f"fhmr-player: {error}", file=sys.stderr)
        return 2
    publishers = None if args.no_publish else RosPublishers(topic_types, args.node_name)
    try:
        if publishers is not None and args.wait_for_subscribers > 0:
            lonely = publishers.wait_for_subscribers(args.wait_for_subscribers)
            if lonely:
                print(f"[fhmr-player] no subscriber yet on {', '.join(lonely)}; playing",
                      file=sys.stderr)
        counts = play(messages, rate=None if args.no_publish else args.rate,
                      publish=None if publishers is None else publishers.publish,
                      recorder_path=args.record)
    except KeyboardInterrupt:
        return 130
    finally:
        if publishers is not None:
            publishers.close()
    summary = ", ".join(f"{topic}: {n}" for topic, n in sorted(counts.items()))
    print(f"[fhmr-player] played {summary}" + (f"; recorded {args.record}" if args.record
                                               else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
