"""A subscription whose reliability follows its topic's publishers, over real DDS."""

import time

import pytest
import rclpy
from nav_msgs.msg import Odometry
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy

from fhmr_ros.ros.following_subscription import FollowingSubscription


@pytest.fixture
def graph():
    """A node in its own context and the executor that spins it."""
    context = rclpy.Context()
    rclpy.init(context=context)
    node = rclpy.create_node(f"following_test_{time.monotonic_ns()}", context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    yield node, executor
    executor.shutdown()
    node.destroy_node()
    context.try_shutdown()


def _until(executor, condition, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end and not condition():
        executor.spin_once(timeout_sec=0.05)
    return condition()


def _reliability(node, topic):
    return [i.qos_profile.reliability for i in node.get_subscriptions_info_by_topic(topic)]


def test_auto_follows_the_publishers_and_forced_modes_stay(graph):
    node, executor = graph
    topic = f"/following_test_{time.monotonic_ns()}/odom"
    problems = []
    auto = FollowingSubscription(node, Odometry, topic, lambda msg: None, "auto", 10,
                                 problems.append)
    assert auto.reliability == ReliabilityPolicy.BEST_EFFORT        # no publisher yet
    node.create_publisher(Odometry, topic, QoSProfile(
        depth=10, reliability=ReliabilityPolicy.RELIABLE))
    assert _until(executor, lambda: auto.refresh() or auto.reliability
                  == ReliabilityPolicy.RELIABLE)
    assert _reliability(node, topic) == [ReliabilityPolicy.RELIABLE]
    node.create_publisher(Odometry, topic, QoSProfile(
        depth=10, reliability=ReliabilityPolicy.BEST_EFFORT))
    assert _until(executor, lambda: auto.refresh() or auto.reliability
                  == ReliabilityPolicy.BEST_EFFORT)
    assert _reliability(node, topic) == [ReliabilityPolicy.BEST_EFFORT]
    auto.destroy()
    forced = FollowingSubscription(node, Odometry, topic, lambda msg: None, "reliable", 10,
                                   problems.append)
    assert not forced.refresh() and forced.reliability == ReliabilityPolicy.RELIABLE
    # a best-effort publisher cannot serve a reliable subscription: reported
    assert _until(executor, lambda: bool(problems)), "incompatible QoS not reported"
    assert "odom_reliability" in problems[0]
    with pytest.raises(ValueError, match="auto, reliable or best_effort"):
        FollowingSubscription(node, Odometry, topic, lambda msg: None, "sometimes", 10,
                              problems.append)
