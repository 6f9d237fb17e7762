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
so that this module imports without ROS. The library half is fhmr_ros/ros/video_stream.py
(a video as messages) and fhmr_ros/ros/playback.py (publishers, pacing, recording).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

from ..geometry.cameras import parse_intrinsics
from ..ros.playback import RosPublishers, TimedMessage, absolute_topic, play
from ..ros.video_stream import (MOTIONS, FrameIds, Motion, VideoStream, VideoTopics,
                               bag_messages, video_messages)
from ..streaming.camera_pose import FORWARD_CAMERA_MOUNT



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
