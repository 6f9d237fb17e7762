"""`fhmr-bench node`: fhmr_node end to end, fed by another process over DDS.

The node runs as a user starts it (``python -m fhmr_ros.ros.node``, its own process, the
default parameters except those printed). This process plays a camera and a robot: it
publishes images at ``rate`` Hz stamped with the wall clock when sent, a camera_info per
image, odometry at every image stamp (a robot standing still) and the camera's mount on
/tf_static once, and subscribes to
``~/humans`` and ``/diagnostics``. Nothing subscribes to markers or the debug image.

Images travel as JPEG (``image_transport:=compressed``, the node's other parameters at
their defaults) unless ``--transport raw``: then raw bgr8 images go over a reliable
publisher to ``reliable_images:=true`` (between processes on one machine Fast DDS's shared
memory segment drops raw best-effort images above ~512 KB before the node ever sees them).

Per scene, after a warm-up (not counted), for the images sent in the measured window
(images go on for TAIL_S after it): sustained rate = their HumanStateArrays received within
the window per second; latency = receive time − the image's stamp (queue, detector,
tracker, the stride and look-ahead lag, the model, message building and DDS),
p50/p95/max; "in the node": the node's own receive-to-publish latency (its /diagnostics,
the last 200 images); dropped = the node's own count of images it could not keep up with;
and the node's per-stage milliseconds per image from /diagnostics.

Scenes (real footage): one person (basketball1.png's left player on a 640 x 480 grey
canvas, a still repeated) at 20 Hz, and the crowd (vtest.avi from frame 0, 768 x 576,
consecutive frames: pedestrians walking, ~5 in view) at 10 Hz (``--crowd-hz``: faster, to
find how many images a second the node can answer).

`fhmr-bench soak --minutes M` plays the crowd as a looping recording does (`ros2 bag play
--loop`): at 10 Hz, with the recording's own stamps, so they jump back by the loop's
length every 40 s. It samples the node's resident memory every 10 s and reports its growth
after the warm-up, whether the node is still running, the arrays received and the node's
own counters at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass

import numpy as np
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from nav_msgs.msg import Odometry
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
from sensor_msgs.msg import CameraInfo, CompressedImage, Image
from tf2_msgs.msg import TFMessage

from fhmr_ros.data.footage import read_image, vtest_frames
from fhmr_ros.geometry.rotations import rotation_about_axis_np
from fhmr_ros.msg import HumanStateArray
from fhmr_ros.ros.camera_info import camera_info_msg
from fhmr_ros.ros.image_conversion import bgr_to_compressed_msg, bgr_to_image_msg
from fhmr_ros.ros.odometry import odometry_msg, sec_to_stamp, stamp_to_sec
from fhmr_ros.ros.playback import qos_for
from fhmr_ros.ros.tf_frames import tf_message, transform_msg
from fhmr_ros.streaming.camera_pose import FORWARD_CAMERA_MOUNT, pose_from_xyz_quaternion
from fhmr_ros.streaming.runtime_report import STAGES

NS = "/fhmr_bench"
CAMERA_FRAME = "camera_optical_frame"
TAIL_S = 2.0    # images keep coming this long after the measured window, as from a camera
                # that goes on: the window's last images are published by the node's usual
                # runs, not by its idle flush (flush_idle_s after the stream stops)


@dataclass
class Scene:
    name: str
    frames: list[np.ndarray]        # played in a loop
    rate_hz: float


def scenes(rate_hz: dict[str, float] | None = None) -> list[Scene]:
    """The two scenes; ``rate_hz`` overrides a scene's input rate by its first word."""
    rate_hz = {"one": 20.0, "crowd": 10.0, **(rate_hz or {})}
    player = read_image("basketball1.png")[:, :400]                   # the left player
    canvas = np.full((480, 640, 3), 110, np.uint8)
    canvas[:, 120:520] = player
    crowd = vtest_frames(list(range(400)))
    return [Scene("one person", [canvas], rate_hz["one"]),
            Scene("crowd (vtest.avi)", [crowd[i] for i in range(400)], rate_hz["crowd"])]


class Camera:
    """Publisher side (this process) and what comes back."""

    def __init__(self, transport: str) -> None:
        self.node = rclpy.create_node(f"fhmr_bench_camera_{os.getpid()}")
        self.transport = transport
        if transport == "compressed":
            self.pub_image = self.node.create_publisher(
                CompressedImage, f"{NS}/image/compressed", qos_profile_sensor_data)
        else:
            self.pub_image = self.node.create_publisher(
                Image, f"{NS}/image", QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
        self.pub_info = self.node.create_publisher(CameraInfo, f"{NS}/camera_info",
                                                   qos_profile_sensor_data)
        self.pub_odom = self.node.create_publisher(
            Odometry, f"{NS}/odom", QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE))
        # the camera's mount, as a robot's robot_state_publisher sends it (kept for late
        # subscribers: transient local)
        self.pub_mount = self.node.create_publisher(TFMessage, "/tf_static",
                                                    qos_for("/tf_static", TFMessage))
        self.pub_mount.publish(tf_message([transform_msg(
            pose_from_xyz_quaternion(FORWARD_CAMERA_MOUNT), sec_to_stamp(time.time()),
            "base_link", CAMERA_FRAME)]))
        self.received: list[tuple[float, float, int]] = []     # (receive, stamp, people)
        self.arrays: list[HumanStateArray] = []                 # kept while keep_arrays
        self.keep_arrays = False
        self.diagnostics: dict[str, str] = {}
        self.node.create_subscription(HumanStateArray, f"{NS}/fhmr_node/humans",
                                      self._on_humans, 100)
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self._spinner = threading.Thread(target=self.executor.spin, daemon=True)
        self._spinner.start()

    def _on_humans(self, msg: HumanStateArray) -> None:
        self.received.append((time.time(), stamp_to_sec(msg.header.stamp), len(msg.humans)))
        if self.keep_arrays:
            self.arrays.append(msg)

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        for status in msg.status:
            if status.name == "fhmr_node: pipeline":
                self.diagnostics = {kv.key: kv.value for kv in status.values}

    def image_msg(self, image: np.ndarray):
        """The message of one frame, built once (its stamp is set when it is sent)."""
        convert = bgr_to_compressed_msg if self.transport == "compressed" else bgr_to_image_msg
        return convert(image, sec_to_stamp(0.0), CAMERA_FRAME)

    def send(self, msg, K: np.ndarray, width: int, height: int,
             stamp: float | None = None, T_world_base: np.ndarray | None = None) -> float:
        """Odometry (``T_world_base``, default: standing at the origin), camera_info and the
        image ``msg``, all stamped ``stamp`` (default: now); returns the stamp."""
        stamp = time.time() if stamp is None else stamp
        t = sec_to_stamp(stamp)
        self.pub_odom.publish(odometry_msg(t, np.eye(4) if T_world_base is None
                                           else T_world_base, "odom", "base_link"))
        self.pub_info.publish(camera_info_msg(K, width, height, t, CAMERA_FRAME))
        msg.header.stamp = t
        self.pub_image.publish(msg)
        return stamp

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()


def start_node(args, transport: str, extra: list[str] = ()) -> subprocess.Popen:
    """fhmr_node as a user starts it; ``extra`` parameters before the user's -p ones."""
    params = [f"preset:={args.preset}", f"device:={args.device}"]
    params += (["image_transport:=compressed"] if transport == "compressed"
               else ["reliable_images:=true"])
    params += list(extra) + list(args.param)
    cmd = [sys.executable, "-m", "fhmr_ros.ros.node", "--ros-args", "-r", f"__ns:={NS}"]
    for p in params:
        cmd += ["-p", p]
    log = tempfile.TemporaryFile("w+")        # a pipe nobody reads would block the node
    node = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)
    node.log = log
    return node


def node_log(node: subprocess.Popen) -> str:
    node.log.seek(0)
    return node.log.read()


def wait_until_subscribed(camera: Camera, node: subprocess.Popen, timeout: float = 120.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if node.poll() is not None:
            raise RuntimeError(f"fhmr_node exited: {node_log(node)}")
        if camera.pub_image.get_subscription_count() and camera.pub_odom.get_subscription_count():
            return
        time.sleep(0.2)
    raise RuntimeError("fhmr_node did not subscribe within 120 s")


def run_scene(scene: Scene, camera: Camera, warmup_s: float, seconds: float) -> dict:
    H, W = scene.frames[0].shape[:2]
    K = np.array([[0.9 * W, 0, W / 2], [0, 0.9 * W, H / 2], [0, 0, 1]])
    messages = [camera.image_msg(f) for f in scene.frames]
    period = 1.0 / scene.rate_hz
    start = time.time()
    i, measure_from = 0, start + warmup_s
    end = measure_from + seconds
    first_stamp = None
    while time.time() < end + TAIL_S:
        stamp = camera.send(messages[i % len(messages)], K, W, H)
        if first_stamp is None and stamp >= measure_from:
            first_stamp = stamp
        i += 1
        time.sleep(max(0.0, start + i * period - time.time()))
    time.sleep(1.0)
    got = [(r, s, n) for r, s, n in camera.received if first_stamp <= s <= end]
    in_run = [r for r, s, n in got if r <= end]
    latency = np.array([1000 * (r - s) for r, s, n in got])
    values = camera.diagnostics
    stages = {st: (float(values.get(f"time_{st}_ms_p50", "nan")),
                   float(values.get(f"time_{st}_ms_p95", "nan"))) for st in STAGES}
    pct = (lambda q: float(np.percentile(latency, q)) if len(latency) else float("nan"))
    return {"scene": scene.name, "size": f"{W}x{H}", "rate": scene.rate_hz,
            "sent_total": i,
            "fps": len(in_run) / (end - first_stamp),
            "people": float(np.mean([n for *_, n in got])) if got else 0.0,
            "p50": pct(50), "p95": pct(95), "max": float(latency.max()) if len(latency) else
            float("nan"), "dropped": values.get("images_dropped_queue_full", "0"),
            "stages": stages,
            "node_latency": (float(values.get("latency_receive_to_publish_ms_p50", "nan")),
                             float(values.get("latency_receive_to_publish_ms_p95", "nan")))}


def bench_node(args) -> int:
    rclpy.init()
    camera = Camera(args.transport)
    try:
        images = ("JPEG (image_transport:=compressed)" if args.transport == "compressed"
                  else "raw bgr8 (reliable_images:=true)")
        changed = f" except {', '.join(args.param)}" if args.param else ""
        print(f"# fhmr-bench node: fhmr_node in its own process, fed over DDS by this one; "
              f"preset {args.preset}, device {args.device}, images as {images}, other "
              f"parameters at their defaults{changed}; {args.warmup:g} s warm-up, then "
              f"{args.seconds:g} s measured; {os.cpu_count()} cores")
        print("| scene | image | input Hz | arrays/s sustained | people/array | latency p50 ms "
              "| p95 | max | in the node p50/p95 | dropped (whole run) | " + " | ".join(
                  f"{st} ms p50/p95" for st in STAGES) + " |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|" + "---:|" * len(STAGES))
        for scene in scenes({"crowd": args.crowd_hz}):
            if args.scenes and scene.name.split()[0] not in args.scenes:
                continue
            node = start_node(args, args.transport)
            try:
                wait_until_subscribed(camera, node)
                camera.received.clear()
                camera.diagnostics = {}
                r = run_scene(scene, camera, args.warmup, args.seconds)
            finally:
                node.terminate()
                node.wait(timeout=30)
            print(f"| {r['scene']} | {r['size']} | {r['rate']:g} | {r['fps']:.1f} | "
                  f"{r['people']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | "
                  f"{r['node_latency'][0]:.0f}/{r['node_latency'][1]:.0f} | "
                  f"{r['dropped']} of {r['sent_total']} | " + " | ".join(
                      f"{a:.0f}/{b:.0f}" for a, b in r["stages"].values()) + " |", flush=True)
    finally:
        camera.close()
        rclpy.try_shutdown()
    return 0


def resident_mb(pid: int) -> float:
    """Resident memory (VmRSS) of a process in MB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def soak_node(args) -> int:
    """The looping crowd for ``args.minutes``; memory, liveness, arrays and counters."""
    scene = scenes()[1]
    H, W = scene.frames[0].shape[:2]
    K = np.array([[0.9 * W, 0, W / 2], [0, 0.9 * W, H / 2], [0, 0, 1]])
    rclpy.init()
    camera = Camera("compressed")
    node = start_node(args, "compressed")
    try:
        wait_until_subscribed(camera, node)
        messages = [camera.image_msg(f) for f in scene.frames]
        period, base = 1.0 / scene.rate_hz, 1000.0         # the recording's stamps
        start = time.monotonic()
        samples, i = [], 0                                  # (minutes, MB)
        next_sample = start
        while time.monotonic() < start + 60 * args.minutes and node.poll() is None:
            camera.send(messages[i % len(messages)], K, W, H,
                        stamp=base + (i % len(messages)) * period)
            i += 1
            if time.monotonic() >= next_sample:
                samples.append(((time.monotonic() - start) / 60, resident_mb(node.pid)))
                next_sample += 10.0
            time.sleep(max(0.0, start + i * period - time.monotonic()))
        alive = node.poll() is None
        time.sleep(3.0)
        values = camera.diagnostics
    finally:
        node.terminate()
        node.wait(timeout=30)
        camera.close()
        rclpy.try_shutdown()
    after = [mb for t, mb in samples if t >= args.warmup_minutes]
    growth = 100 * (after[-1] - after[0]) / after[0] if len(after) > 1 else float("nan")
    changed = f" except {', '.join(args.param)}" if args.param else ""
    print(f"# fhmr-bench soak: fhmr_node (parameters at their defaults{changed}) fed the "
          f"vtest crowd as a looping recording at {scene.rate_hz:g} Hz (stamps jump back "
          f"every {len(messages) * period:g} s) for {args.minutes:g} min; "
          f"{os.cpu_count()} cores")
    print(f"images sent: {i}; arrays received: {len(camera.received)}; node running at the "
          f"end: {'yes' if alive else 'NO (exit code ' + str(node.returncode) + ')'}")
    if after:
        print(f"resident memory: {after[0]:.0f} MB after the {args.warmup_minutes:g} min "
              f"warm-up, {after[-1]:.0f} MB at the end ({growth:+.1f} %), max "
              f"{max(after):.0f} MB; every sample (min, MB): "
              + ", ".join(f"{t:.0f}:{mb:.0f}" for t, mb in samples[::6]))
    counters = {k: v for k, v in values.items() if not k.endswith(("_p50", "_p95", "_max"))}
    print("node counters at the end: " + ", ".join(f"{k} {v}" for k, v in counters.items()))
    if not alive:
        print(node_log(node)[-3000:])
    return 0 if alive else 1


YAW_RATE = 0.2          # rad/s: the robot of `fhmr-bench account` turns on the spot
BAD_EVERY, REPEAT_EVERY = 25, 40    # a corrupt JPEG, a repeated stamp (images)
DROP_REASONS = ("images_dropped_queue_full", "images_without_odometry",
                "images_without_extrinsics", "images_without_camera_info",
                "camera_info_size_mismatch", "detector_errors", "worker_errors",
                "publish_errors", "images_discarded")


def turned(yaw: float) -> np.ndarray:
    """T_world_base (4, 4) of a base turned by ``yaw`` about z at the origin."""
    T = np.eye(4)
    T[:3, :3] = rotation_about_axis_np("z", yaw)
    return T


def account_queue(args, queue_size: int, camera: Camera, scene: Scene) -> dict:
    """One black-box run: the crowd at its rate from a turning robot, with bad images mixed
    in, then every good image's fate and the world/camera gap of every person."""
    H, W = scene.frames[0].shape[:2]
    K = np.array([[0.9 * W, 0, W / 2], [0, 0.9 * W, H / 2], [0, 0, 1]])
    node = start_node(args, "compressed", [f"queue_size:={queue_size}"])
    good, bad = [], 0
    try:
        wait_until_subscribed(camera, node)
        camera.received.clear()
        camera.arrays.clear()
        camera.keep_arrays, camera.diagnostics = True, {}
        messages = [camera.image_msg(f) for f in scene.frames]
        period, start = 1.0 / scene.rate_hz, time.time()
        i = 0
        while time.time() < start + args.seconds:
            stamp = start + i * period
            msg = messages[i % len(messages)]
            if i % BAD_EVERY == BAD_EVERY - 1:
                msg = CompressedImage(format="jpeg", data=b"\xff\xd8 not a jpeg" * 40)
                bad += 1
            elif i % REPEAT_EVERY == REPEAT_EVERY - 1:
                stamp = start + (i - 1) * period       # the previous image's stamp again
                bad += 1
            else:
                good.append(stamp)
            camera.send(msg, K, W, H, stamp, turned(YAW_RATE * (stamp - start)))
            i += 1
            time.sleep(max(0.0, start + i * period - time.time()))
        deadline = time.time() + 30.0                   # the lag, the flush, DDS
        while time.time() < deadline and not _settled(camera, len(good) + bad):
            time.sleep(0.5)
    finally:
        camera.keep_arrays = False
        node.terminate()
        node.wait(timeout=30)
    values = camera.diagnostics
    answers = [round(stamp_to_sec(m.header.stamp), 6) for m in camera.arrays]
    good_set = {round(s, 6) for s in good}
    dropped = {k: int(values.get(k, 0)) for k in DROP_REASONS if int(values.get(k, 0))}
    mount = pose_from_xyz_quaternion(FORWARD_CAMERA_MOUNT)
    gaps = []
    for m in camera.arrays:
        T = turned(YAW_RATE * (stamp_to_sec(m.header.stamp) - start)) @ mount
        for person in m.humans:
            cam = np.array([[p.x, p.y, p.z] for p in person.joints_camera])
            world = np.array([[p.x, p.y, p.z] for p in person.joints_world])
            gaps.append(np.linalg.norm(cam @ T[:3, :3].T + T[:3, 3] - world, axis=-1).max())
    answered = len(set(answers) & good_set)
    refused = int(values.get("bad_images", 0)) + int(values.get("images_repeated_stamp", 0))
    return {"queue": queue_size, "good": len(good), "bad": bad, "answered": answered,
            "twice": len(answers) - len(set(answers)), "dropped": dropped,
            "refused": refused,     # a bad image the full queue dropped first is in dropped
            "unaccounted": len(good) + bad - answered - sum(dropped.values()) - refused,
            "people": len(gaps), "gap_mm": 1000 * max(gaps, default=float("nan"))}


def _settled(camera: Camera, sent: int) -> bool:
    """Every image sent is published or counted by the node (its /diagnostics)."""
    values = camera.diagnostics
    counted = sum(int(values.get(k, 0)) for k in DROP_REASONS + (
        "bad_images", "images_repeated_stamp", "images_published"))
    return counted >= sent


def account_node(args) -> int:
    """`fhmr-bench account`: where every image went, for each queue size."""
    scene = scenes()[1]
    rclpy.init()
    camera = Camera("compressed")
    try:
        changed = f" except {', '.join(args.param)}" if args.param else ""
        print(f"# fhmr-bench account: fhmr_node in its own process (parameters at their "
              f"defaults{changed}), fed over DDS by this one: the vtest crowd as JPEG at "
              f"{scene.rate_hz:g} Hz for {args.seconds:g} s from a robot turning at "
              f"{YAW_RATE} rad/s (odometry at every image stamp, camera mount on "
              f"/tf_static), every {BAD_EVERY}th image a corrupt JPEG and every "
              f"{REPEAT_EVERY}th a repeated stamp; {os.cpu_count()} cores")
        print("| queue_size | images sent (good + bad) | good answered once | answered "
              "twice | dropped, counted (reason) | bad refused, counted | unaccounted | "
              "person states | worst world-camera gap mm |")
        print("|---:|---:|---:|---:|---|---:|---:|---:|---:|")
        for queue_size in args.queues:
            r = account_queue(args, queue_size, camera, scene)
            reasons = ", ".join(f"{n} {k}" for k, n in r["dropped"].items()) or "none"
            print(f"| {r['queue']} | {r['good'] + r['bad']} ({r['good']} + {r['bad']}) | "
                  f"{r['answered']} | {r['twice']} | {reasons} | {r['refused']} | "
                  f"{r['unaccounted']} | {r['people']} | {r['gap_mm']:.1f} |", flush=True)
    finally:
        camera.close()
        rclpy.try_shutdown()
    return 0


ODOM_HZ = 12.0          # `fhmr-bench odom-bursts`: the base's odometry rate
ODOM_AFTER_S = 0.02     # ... the burst's last sample is stamped this long after the image


def odom_bursts_run(args, camera: Camera, scene: Scene, params: list[str]) -> dict:
    """One run: raw images at the scene's rate, each preceded by a burst of the odometry
    samples since the previous image (ODOM_HZ, the last stamped ODOM_AFTER_S after it)."""
    H, W = scene.frames[0].shape[:2]
    K = np.array([[0.9 * W, 0, W / 2], [0, 0.9 * W, H / 2], [0, 0, 1]])
    node = start_node(args, "raw", params)
    sent = []
    try:
        wait_until_subscribed(camera, node)
        time.sleep(2.0)                       # the odometry subscription follows its QoS
        camera.received.clear()
        camera.diagnostics = {}
        messages = [camera.image_msg(f) for f in scene.frames]
        period, start = 1.0 / scene.rate_hz, time.time()
        last_odom = start - 1.0
        i = 0
        while time.time() < start + args.seconds:
            stamp = start + i * period
            burst = [*np.arange(last_odom + 1.0 / ODOM_HZ, stamp, 1.0 / ODOM_HZ),
                     stamp + ODOM_AFTER_S]                  # the last one after the image
            for t in burst:
                camera.pub_odom.publish(odometry_msg(
                    sec_to_stamp(t), turned(YAW_RATE * (t - start)), "odom", "base_link",
                    angular_velocity=(0.0, 0.0, YAW_RATE)))
            last_odom = burst[-1]
            msg = messages[i % len(messages)]
            msg.header.stamp = sec_to_stamp(stamp)
            camera.pub_info.publish(camera_info_msg(K, W, H, msg.header.stamp, CAMERA_FRAME))
            camera.pub_image.publish(msg)
            sent.append(round(stamp, 6))
            i += 1
            time.sleep(max(0.0, start + i * period - time.time()))
        deadline = time.time() + 30.0
        while time.time() < deadline and not _settled(camera, len(sent)):
            time.sleep(0.5)
    finally:
        node.terminate()
        node.wait(timeout=30)
    values = camera.diagnostics
    answered = {round(stamp, 6) for _, stamp, _ in camera.received} & set(sent)
    return {"sent": len(sent), "answered": len(answered),
            "dropped": {k: int(values.get(k, 0)) for k in DROP_REASONS
                        if int(values.get(k, 0))},
            "extrapolated": int(values.get("images_pose_extrapolated", 0))}


def odom_bursts_node(args) -> int:
    """`fhmr-bench odom-bursts`: images lost to odometry that was sent, as a robot's traffic
    makes them (issue 30's client), with the node's defaults and with the odometry
    subscribed best effort and no gap bridging (as before odom_reliability and
    odom_extrapolate_s)."""
    rclpy.init()
    camera = Camera("raw")
    variants = {"odom_reliability auto": ["odom_reliability:=auto"],
                "odom_reliability reliable": ["odom_reliability:=reliable"],
                "odom_reliability best_effort": ["odom_reliability:=best_effort"],
                "best_effort, odom_extrapolate_s 0": ["odom_reliability:=best_effort",
                                                     "odom_extrapolate_s:=0.0"]}
    try:
        print(f"# fhmr-bench odom-bursts: fhmr_node in its own process, raw bgr8 images sent "
              f"reliably, odometry at {ODOM_HZ:g} Hz (reliable publisher) sent in a burst "
              f"right before each image, the last sample stamped {ODOM_AFTER_S * 1000:.0f} ms "
              f"after it; {args.seconds:g} s per run; {os.cpu_count()} cores")
        print("| scene | in | node | images sent | answered | dropped (reason) | placed from "
              "the odometry's twist |")
        print("|---|---:|---|---:|---:|---|---:|")
        for scene in scenes({"one": args.rate, "crowd": args.rate}):
            if args.scenes and not any(scene.name.startswith(s) for s in args.scenes):
                continue
            for name, params in variants.items():
                r = odom_bursts_run(args, camera, scene, [*params, *args.param])
                reasons = ", ".join(f"{n} {k}" for k, n in r["dropped"].items()) or "none"
                print(f"| {scene.name} | {scene.rate_hz:g} Hz | {name} | {r['sent']} | "
                      f"{r['answered']} | {reasons} | {r['extrapolated']} |", flush=True)
    finally:
        camera.close()
        rclpy.try_shutdown()
    return 0
