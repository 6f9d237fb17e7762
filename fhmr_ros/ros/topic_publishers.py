"""Publishers made when their topic first has a message: the per-body topics (ROS4HRI's
/humans/bodies/<id>/..., the live G1's ~/g1/<id>/...) come and go with the people, so a
body's publishers are destroyed once it is no longer tracked (``keep_bodies``)."""

from __future__ import annotations

from rclpy.node import Node
from rclpy.publisher import Publisher
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from fhmr_ros.body.person_ids import body_id

from .hri_messages import TRACKED_TOPIC

# reliable for every reader; the roi latched (transient local), as libhri subscribes it
LATCHED = ("/roi",)


def topic_qos(topic: str) -> QoSProfile:
    latched = topic.endswith(LATCHED)
    return QoSProfile(depth=1 if latched else 10, reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL if latched
                      else DurabilityPolicy.VOLATILE)


class TopicPublishers:
    def __init__(self, node: Node) -> None:
        self.node = node
        self._publishers: dict[str, Publisher] = {}

    def publish(self, topic: str, msg) -> None:
        pub = self._publishers.get(topic)
        if pub is None:
            pub = self._publishers[topic] = self.node.create_publisher(
                type(msg), topic, topic_qos(topic))
        pub.publish(msg)

    def keep_bodies(self, track_ids: set[int]) -> None:
        """Destroy the per-body publishers (a ``/<body id>/`` in the topic) of every body
        not among ``track_ids``."""
        keep = {f"/{body_id(t)}/" for t in track_ids}
        self._destroy([t for t in self._publishers if t != TRACKED_TOPIC
                       and not any(k in t for k in keep)])

    def close_family(self, prefix: str) -> None:
        """Destroy every publisher whose topic starts with ``prefix`` (an output switched
        off)."""
        self._destroy([t for t in self._publishers if t.startswith(prefix)])

    def _destroy(self, topics: list[str]) -> None:
        for topic in topics:
            self.node.destroy_publisher(self._publishers.pop(topic))

    def close(self) -> None:
        for pub in self._publishers.values():
            self.node.destroy_publisher(pub)
        self._publishers = {}
