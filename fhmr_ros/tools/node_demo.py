"""The node end to end on the demo stream (part of `make demo`).

    python -m fhmr_ros.tools.node_demo --out artifacts/demo/node [--frames 40] [--rate 0.3]

1. writes the demo stream, OpenCV's vtest.avi as JPEG-compressed images + camera_info +
   odometry + the camera's mount on /tf_static, into OUT/input.mcap (fhmr-player's
   recording path, no DDS); compressed, because raw 768 × 576 images sent best effort
   between processes lose frames here (Fast DDS's 512 KB shared-memory segments; see
   docs/robot.md);
2. starts fhmr_node in its own process and `fhmr-player OUT/input.mcap` in another, which
   publishes the recording over DDS at ``rate`` × real time;
3. records everything on the wire (inputs and the node's humans, trajectories, markers,
   TF, diagnostics, debug image) into OUT/recording.mcap and writes the node's overlay
   stream (~/debug_image) to OUT/overlay.mp4;
4. stops when the node has published a HumanStateArray for the last image.

The camera of vtest.avi hangs about 6 m up, pitched ~25° down; the stream's /tf_static
gives the node that pose as its base -> camera extrinsics (looked up in TF, as on a robot),
with a robot standing still at the odom origin.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import rclpy
import torch
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data

from fhmr_ros.data.footage import footage_path
from fhmr_ros.geometry.rotations import matrix_to_quaternion
from fhmr_ros.ros.image_conversion import image_to_bgr
from fhmr_ros.ros.mcap_io import McapRecorder, message_class, topics
from fhmr_ros.ros.odometry import stamp_to_sec
from fhmr_ros.streaming.camera_pose import static_world_camera

VIDEO_FPS = 10.0


def camera_mount(pitch_deg: float, height_m: float) -> tuple[float, ...]:
    """[x, y, z, qx, qy, qz, qw] of an optical frame ``height_m`` up, pitched down."""
    T = static_world_camera(pitch_deg, height_m)
    q = matrix_to_quaternion(torch.from_numpy(T[:3, :3])).numpy()
    return (0.0, 0.0, height_m, *(float(v) for v in q))


def main(argv: list[str] | None = None) -> int:
    from fhmr_ros.ros.video_stream import write_video_bag

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("artifacts/demo/node"))
    ap.add_argument("--frames", type=int, default=40, help="vtest.avi frames from frame 40")
    ap.add_argument("--rate", type=float, default=0.3, help="playback speed (× real time)")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    stream = args.out / "input.mcap"
    start = 1_000.0
    write_video_bag(footage_path("vtest.avi"), stream, args.frames, start_frame=40,
                    start_time=start, compressed=True, camera_mount=camera_mount(25.0, 6.0))
    last_stamp = start + (args.frames - 1) / VIDEO_FPS
    ns = "/demo"
    # a DDS domain of its own: nothing else on this machine sees or disturbs the demo
    os.environ.update(ROS_AUTOMATIC_DISCOVERY_RANGE="LOCALHOST",
                      ROS_DOMAIN_ID=str(150 + os.getpid() % 50))
    env = dict(os.environ)
    node = subprocess.Popen(
        [sys.executable, "-m", "fhmr_ros.ros.node", "--ros-args", "-r", f"__ns:={ns}",
         "-r", "image/compressed:=/camera/image/compressed",
         "-r", "camera_info:=/camera/camera_info", "-r", "odom:=/odom",
         "-p", "image_transport:=compressed", "-p", "queue_size:=1000",
         "-p", "odom_wait_s:=3.0"], env=env)
    rclpy.init()
    rec = rclpy.create_node("fhmr_demo_recorder", namespace=ns)
    counts = {"humans": 0, "people": 0, "overlay": 0}
    done = {"last": False}
    overlay = {"writer": None}
    try:
        with McapRecorder(args.out / "recording.mcap") as recorder:
            def keep(topic):
                def callback(msg):
                    header = getattr(msg, "header", None)
                    t = stamp_to_sec(header.stamp) if header is not None else time.time()
                    recorder.write(topic, msg, int(t * 1e9))
                    if topic.endswith("/humans"):
                        counts["humans"] += 1
                        counts["people"] += len(msg.humans)
                        done["last"] |= abs(t - last_stamp) < 1e-6
                    if topic.endswith("/debug_image"):
                        image = image_to_bgr(msg)
                        if overlay["writer"] is None:
                            overlay["writer"] = cv2.VideoWriter(
                                str(args.out / "overlay.mp4"), cv2.VideoWriter_fourcc(*"mp4v"),
                                VIDEO_FPS, (image.shape[1], image.shape[0]))
                        overlay["writer"].write(image)
                        counts["overlay"] += 1
                return callback

            reliable = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
            wire = {t: message_class(type_name) for t, type_name in topics(stream).items()}
            wire.update({f"{ns}/fhmr_node/{t}": message_class(n) for t, n in (
                ("humans", "fhmr_ros/msg/HumanStateArray"),
                ("trajectories", "fhmr_ros/msg/HumanTrajectoryArray"),
                ("markers", "visualization_msgs/msg/MarkerArray"),
                ("debug_image", "sensor_msgs/msg/Image"))})
            wire["/tf"] = message_class("tf2_msgs/msg/TFMessage")
            wire["/diagnostics"] = message_class("diagnostic_msgs/msg/DiagnosticArray")
            for topic, cls in wire.items():       # inputs best effort: they may be either
                qos = reliable if "fhmr_node" in topic else qos_profile_sensor_data
                rec.create_subscription(cls, topic, keep(topic), qos)
            player = subprocess.Popen(
                [sys.executable, "-m", "fhmr_ros.tools.player", str(stream), "--rate",
                 str(args.rate), "--wait-for-subscribers", "60"], env=env)
            end = time.monotonic() + args.timeout
            while not done["last"] and time.monotonic() < end and node.poll() is None:
                rclpy.spin_once(rec, timeout_sec=0.1)
                if player.poll() is not None:             # played: the node has a minute
                    end = min(end, time.monotonic() + 60.0)
            player.wait(timeout=30)
            rclpy.spin_once(rec, timeout_sec=1.0)        # the last overlay frame
    finally:
        if overlay["writer"] is not None:
            overlay["writer"].release()
        node.terminate()
        node.wait(timeout=30)
        rec.destroy_node()
        rclpy.try_shutdown()
    print(f"[node demo] fhmr_node published {counts['humans']} HumanStateArrays "
          f"({counts['people']} person states) for {args.frames} images of vtest.avi; "
          f"wrote {args.out}/recording.mcap (inputs + outputs), {args.out}/overlay.mp4 "
          f"({counts['overlay']} frames) and {stream}")
    return 0 if done["last"] else 1


if __name__ == "__main__":
    sys.exit(main())
