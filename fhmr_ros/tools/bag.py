"""fhmr-bag: run fhmr_node offline over a recording and write its outputs next to the input.

    fhmr-bag IN.mcap --out OUT.mcap [--image-topic /camera/image] [--camera-info-topic ...]
             [--odom-topic /odom] [--compressed] [-p name:=value ...]

IN.mcap is what `ros2 bag record` writes (MCAP, CDR) or what `fhmr-player --record` writes.
The node's runtime core (fhmr_ros/streaming/stream_runtime.py, with the node's parameters
and the same message builder) runs in this process on the recorded messages in log-time
order, and everything the node would publish is written to OUT.mcap, stamped with its
image's stamp, together with every input message: ~/humans, ~/trajectories, ~/markers,
~/debug_image, /tf, and /diagnostics at the end. The recording's /tf_static and /tf give
the camera extrinsics, as on a robot (unless -p camera_extrinsics:=... overrides them).
Nothing is dropped for speed: when the image queue is full, reading waits.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import rclpy

from ..perception.tracker import run_first_id
from ..ros.diagnostics import runtime_diagnostics
from ..ros.input_adapters import (TF_TOPICS, feed_camera_info, feed_image, feed_odometry,
                                  feed_transforms)
from ..ros.mcap_io import McapFormatError, McapRecorder, read_messages, topics
from ..ros.node_runtime import build_node_runtime
from ..ros.odometry import sec_to_stamp, stamp_to_sec
from ..ros.recording_sink import NODE, RecordingSink
from ..streaming.runtime_builder import StartupError
from ..streaming.settings import settings_from_overrides

def parse_parameter(text: str) -> tuple[str, object]:
    """name:=value with a YAML-typed value, as `--ros-args -p` takes it."""
    import yaml

    name, sep, value = text.partition(":=")
    if not sep:
        raise ValueError(f"-p wants name:=value, got {text!r}")
    return name, yaml.safe_load(value)


def run(args) -> dict:
    if args.out.resolve() == args.input.resolve():
        raise ValueError(f"--out {args.out} is the input: writing would destroy it")
    available = topics(args.input)
    image_topic = args.image_topic + ("/compressed" if args.compressed else "")
    for name in (image_topic, args.camera_info_topic):
        if name not in available:
            raise ValueError(f"{args.input} has no topic {name}; it has {sorted(available)}")
    overrides = dict(parse_parameter(p) for p in args.param)
    overrides.update(image_transport="compressed" if args.compressed else "raw",
                     use_odometry=args.odom_topic in available)
    cfg = settings_from_overrides(overrides)
    counts = {"images": 0, "inputs": 0}
    last_stamp = 0.0
    with McapRecorder(args.out) as recorder:
        runtime = build_node_runtime(cfg, lambda messages: RecordingSink(recorder, messages),
                                     first_id=run_first_id())
        runtime.start()
        try:
            reader = read_messages(args.input)
            for rec in reader:
                recorder.write(rec.topic, rec.msg, rec.log_time_ns)
                counts["inputs"] += 1
                if rec.topic == image_topic:
                    counts["images"] += 1
                    last_stamp = max(last_stamp, stamp_to_sec(rec.msg.header.stamp))
                    feed_image(runtime, rec.msg, wait=True)
                elif rec.topic == args.camera_info_topic:
                    feed_camera_info(runtime, rec.msg)
                elif rec.topic == args.odom_topic:
                    feed_odometry(runtime, rec.msg, cfg.world_frame, cfg.base_frame)
                elif rec.topic in TF_TOPICS:
                    feed_transforms(runtime, rec.msg, static=TF_TOPICS[rec.topic])
            runtime.wait_until_idle(timeout_s=600.0)
        finally:
            runtime.stop()
        recorder.write("/diagnostics", runtime_diagnostics(runtime, cfg, NODE,
                                                           sec_to_stamp(last_stamp)),
                       int(round(last_stamp * 1e9)))
    counts.update(runtime.counters.snapshot())
    counts.update({f"messages skipped ({why})": n for why, n in reader.skipped.items()})
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
                       if k not in ("images", "inputs", "people_published",
                                    "images_published")) or "none") + ")")
    return 0


if __name__ == "__main__":
    sys.exit(main())
