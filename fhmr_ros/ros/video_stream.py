"""A video as a robot camera's ROS 2 messages: images (raw or JPEG), camera_info, odometry
of a synthetic robot base and the camera mount on /tf_static (fhmr-player, the demos, the
node benchmark and the tests), and an MCAP recording's messages at their log times.

Frame i (counted over all loops) is stamped start + i / fps. Odometry comes at every image
stamp and halfway between images, so a consumer must interpolate. ROS modules are imported
where they are used.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..data.footage import video_frames, video_info
from ..geometry.cameras import default_intrinsics
from ..geometry.rotations import rotation_about_axis_np
from ..streaming.camera_pose import FORWARD_CAMERA_MOUNT, pose_from_xyz_quaternion
from .playback import TimedMessage, play

MOTIONS = ("static", "forward", "turn")


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
            T[:3, :3] = rotation_about_axis_np("z", self.yaw_rate * t)
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
        from .tf_frames import tf_message, transform_msg

        return tf_message([transform_msg(self.T_base_camera, ns_to_stamp(self.start_ns),
                                         self.frame_ids.base, self.frame_ids.camera)])

    def odometry(self, stamp_ns: int):
        """nav_msgs/Odometry of the synthetic base at ``stamp_ns``."""
        from .odometry import odometry_msg

        linear, angular = self.motion.twist()
        T = self.motion.pose((stamp_ns - self.start_ns) * 1e-9)
        return odometry_msg(ns_to_stamp(stamp_ns), T, self.frame_ids.odom,
                            self.frame_ids.base, linear, angular)

    def frame(self, i: int, image: np.ndarray) -> StreamFrame:
        """Frame ``i`` (over all loops) holding the BGR ``image``."""
        from .camera_info import camera_info_msg
        from .image_conversion import bgr_to_compressed_msg, bgr_to_image_msg

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
    from .mcap_io import read_messages

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
