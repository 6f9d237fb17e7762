"""fhmr-bag: run fhmr_node offline over a recording and write its outputs next to the input.

    fhmr-bag IN.mcap --out OUT.mcap [--image-topic /camera/image] [--camera-info-topic ...]
             [--odom-topic /odom] [--compressed] [-p name:=value ...]

IN.mcap is what `ros2 bag record` writes (MCAP, CDR) or what `fhmr-player --record` writes.
The node itself (fhmr_ros/ros/node.py, same parameters) runs in this process: its callbacks
get the recorded messages in log-time order, and everything it publishes is written to
OUT.mcap together with every input message: ~/humans, ~/trajectories, ~/markers,
~/debug_image, /tf, /diagnostics. Nothing is dropped for speed: the next image is handed
over only once the worker has taken the previous one, after the odometry up to it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import rclpy
from rclpy.parameter import Parameter

from .mcap_io import McapFormatError, McapRecorder, read_messages, topics
from .node import FhmrNode, StartupError
from .odometry import stamp_to_sec

OUTPUT_TOPICS = {"humans": "pub_humans", "trajectories": "pub_trajectories",
                 "markers": "pub_markers", "debug_image": "pub_debug"}


def parse_parameter(text: str) -> Parameter:
    """name:=value with a YAML-typed value, as `--ros-args -p` takes it."""
    import yaml

    name, sep, value = text.partition(":=")
    if not sep:
        raise ValueError(f"-p wants name:=value, got {text!r}")
    return Parameter(name, value=yaml.safe_load(value))


def record_outputs(node: FhmrNode, recorder: McapRecorder) -> None:
    """Everything the node publishes goes to ``recorder`` (stamped with the message's own
    header stamp where it has one)."""
    prefix = node.get_fully_qualified_name()
    pubs = {f"{prefix}/{t}": getattr(node, attr) for t, attr in OUTPUT_TOPICS.items()}
    pubs["/diagnostics"] = node.pub_diagnostics
    if node.pub_tf is not None:
        pubs["/tf"] = node.pub_tf
    for topic, pub in pubs.items():
        def write(msg, topic=topic):
            header = getattr(msg, "header", None)
            if header is None and getattr(msg, "transforms", None):
                header = msg.transforms[0].header
            stamp = stamp_to_sec(header.stamp) if header is not None else time.time()
            recorder.write(topic, msg, int(stamp * 1e9))
        pub.publish = write


def wait_until_taken(node: FhmrNode, timeout_s: float = 600.0) -> None:
    """Until the perception thread has taken every queued image."""
    end = time.monotonic() + timeout_s
    while node.queued_images() and time.monotonic() < end:
        time.sleep(0.002)


def wait_until_idle(node: FhmrNode, timeout_s: float = 600.0) -> None:
    """Until the workers have published everything (the node flushes after flush_idle_s)."""
    end = time.monotonic() + timeout_s
    while not node.idle() and time.monotonic() < end:
        time.sleep(0.05)


def run(args) -> dict:
    available = topics(args.input)
    image_topic = args.image_topic + ("/compressed" if args.compressed else "")
    for name in (image_topic, args.camera_info_topic):
        if name not in available:
            raise ValueError(f"{args.input} has no topic {name}; it has {sorted(available)}")
    params = [parse_parameter(p) for p in args.param]
    params += [Parameter("queue_size", value=1000),
               Parameter("image_transport", value="compressed" if args.compressed else "raw"),
               Parameter("use_odometry", value=args.odom_topic in available)]
    node = FhmrNode(parameter_overrides=params)
    node.record_all = True
    counts = {"images": 0, "inputs": 0}
    try:
        with McapRecorder(args.out) as recorder:
            record_outputs(node, recorder)
            handlers = {image_topic: node._on_image,
                        args.camera_info_topic: node._on_camera_info,
                        args.odom_topic: node._on_odometry}
            for rec in read_messages(args.input):
                recorder.write(rec.topic, rec.msg, rec.log_time_ns)
                counts["inputs"] += 1
                handler = handlers.get(rec.topic)
                if handler is None:
                    continue
                if rec.topic == image_topic:
                    wait_until_taken(node)
                    counts["images"] += 1
                handler(rec.msg)
            wait_until_idle(node)
            node._publish_diagnostics()
            counts.update(node.counters)
    finally:
        node.stop()
        node.destroy_node()
    return counts


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fhmr-bag", description=__doc__.split("\n")[0])
    ap.add_argument("input", type=Path, help="recording (MCAP)")
    ap.add_argument("--out", type=Path, required=True, help="MCAP to write")
    ap.add_argument("--image-topic", default="/camera/image")
    ap.add_argument("--camera-info-topic", default="/camera/camera_info")
    ap.add_argument("--odom-topic", default="/odom",
                    help="odometry topic; without it in the recording: static camera")
    ap.add_argument("--compressed", action="store_true",
                    help="read sensor_msgs/CompressedImage from <image-topic>/compressed")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="NAME:=VALUE",
                    help="a node parameter (config/fhmr.yaml), repeatable")
    args = ap.parse_args(argv)
    rclpy.init()
    try:
        counts = run(args)
    except (StartupError, ValueError, McapFormatError, FileNotFoundError) as e:
        print(f"fhmr-bag: error: {e}", file=sys.stderr)
        return 2
    finally:
        rclpy.try_shutdown()
    print(f"fhmr-bag: {counts['images']} images -> {args.out} "
          f"({counts.get('people_published', 0)} person states; problems: "
          + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())
                       if k not in ("images", "inputs", "people_published")) or "none") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
