"""Send a message through DDS to ourselves: one node publishes it and subscribes to it."""

from __future__ import annotations

import time

import rclpy


def publish_until_received(msg, msg_type, topic: str, node_name: str,
                           timeout_s: float = 20.0):
    """Publish ``msg`` on ``topic`` until this node's own subscription receives it (DDS
    discovery takes a moment). Returns (resolved topic name, received message); raises
    RuntimeError when nothing arrives within ``timeout_s``. Initialises and shuts down rclpy.
    """
    rclpy.init()
    try:
        node = rclpy.create_node(node_name)
        received = []
        node.create_subscription(msg_type, topic, received.append, 10)
        pub = node.create_publisher(msg_type, topic, 10)
        deadline = time.monotonic() + timeout_s
        while not received and time.monotonic() < deadline:
            pub.publish(msg)
            rclpy.spin_once(node, timeout_sec=0.1)
        resolved = pub.topic_name
        node.destroy_node()
    finally:
        rclpy.shutdown()
    if not received:
        raise RuntimeError(f"no {msg_type.__name__} came back on {resolved} "
                           f"within {timeout_s:.0f} s")
    return resolved, received[0]
