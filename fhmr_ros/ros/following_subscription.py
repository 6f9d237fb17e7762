"""A subscription whose reliability follows its topic's publishers (the odometry).

Best effort matches every publisher but never repairs a lost sample; reliable repairs them
(later samples waiting in order) but cannot match a best-effort publisher. ``auto`` subscribes reliably while every
publisher on the topic is reliable, best effort otherwise (also while none is known yet),
and ``refresh`` (called periodically) subscribes again when the publishers change. A forced
``reliable`` that a publisher cannot match is reported through ``on_incompatible``.
"""

from __future__ import annotations

from collections.abc import Callable

from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

MODES = {"reliable": ReliabilityPolicy.RELIABLE, "best_effort": ReliabilityPolicy.BEST_EFFORT}


class FollowingSubscription:
    def __init__(self, node: Node, msg_type: type, topic: str, callback: Callable,
                 mode: str, depth: int, on_incompatible: Callable[[str], None]) -> None:
        if mode not in (*MODES, "auto"):
            raise ValueError(f"reliability mode must be auto, reliable or best_effort, got "
                             f"{mode!r}")
        self.node, self.msg_type, self.callback = node, msg_type, callback
        self.topic = node.resolve_topic_name(topic)
        self.mode, self.depth, self.on_incompatible = mode, depth, on_incompatible
        self.reliability = self.wanted()
        self.subscription = self._subscribe()

    def wanted(self) -> ReliabilityPolicy:
        """The forced policy, or (auto) reliable iff every known publisher is."""
        if self.mode != "auto":
            return MODES[self.mode]
        publishers = self.node.get_publishers_info_by_topic(self.topic)
        reliable = [p.qos_profile.reliability == ReliabilityPolicy.RELIABLE for p in publishers]
        return (ReliabilityPolicy.RELIABLE if reliable and all(reliable)
                else ReliabilityPolicy.BEST_EFFORT)

    def _subscribe(self):
        events = SubscriptionEventCallbacks(incompatible_qos=lambda status: self.on_incompatible(
            f"a publisher on {self.topic} cannot match this {self.reliability.name.lower()} "
            "subscription (odom_reliability): set odom_reliability to auto or best_effort"))
        return self.node.create_subscription(
            self.msg_type, self.topic, self.callback,
            QoSProfile(depth=self.depth, reliability=self.reliability,
                       durability=DurabilityPolicy.VOLATILE), event_callbacks=events)

    def refresh(self) -> bool:
        """Subscribe again if the publishers now want the other policy; True if it did."""
        wanted = self.wanted()
        if wanted == self.reliability:
            return False
        self.node.destroy_subscription(self.subscription)
        self.reliability = wanted
        self.subscription = self._subscribe()
        return True

    def destroy(self) -> None:
        self.node.destroy_subscription(self.subscription)
