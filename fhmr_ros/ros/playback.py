"""Publishing and recording timed messages: one publisher per topic with the QoS a camera
stream needs, and playback paced at a rate and/or recorded into an MCAP.

QoS: images and camera_info sensor-data (best effort), /tf_static reliable and transient
local (a late subscriber still gets it), everything else reliable with depth 50. ROS
modules are imported where they are used.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

SENSOR_TYPES = ("sensor_msgs/msg/Image", "sensor_msgs/msg/CompressedImage",
                "sensor_msgs/msg/CameraInfo")


class TimedMessage(NamedTuple):
    """A message on its topic at its playback time (ns)."""

    time_ns: int
    topic: str
    msg: Any


def qos_for(topic: str, msg_type: type):
    """Sensor-data QoS for images and camera_info, reliable and transient local for
    /tf_static (as tf2's static broadcaster), reliable depth 50 for the rest."""
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

    from .mcap_io import type_name_of

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
    from .mcap_io import McapRecorder

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
