"""`fhmr-bench node`: end-to-end latency and sustained rate of fhmr_node on this machine.

The real node (FhmrNode, its worker thread and publishers) runs in this process; images
are handed to its image callback at ``rate`` Hz, stamped with the wall clock when handed
over, together with camera_info and odometry (a robot standing still). Latency = wall time
when the HumanStateArray for an image is published − that image's stamp: it includes the
queue, detection, tracking, the wait for the stride and the look-ahead lag, the model and
the message building. Sustained rate = HumanStateArrays published per second. Images the
worker could not keep up with are dropped by the node (queue_size 2) and counted.

Scenes (real photos, 640 × 480): one person (basketball1.png) and four people (a 2 × 2
mosaic of basketball1, both halves of basketball2 and messi5). "Detector excluded" replaces
the detector by a cache of its own answers for these images, computed before the run.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import rclpy
import torch
from rclpy.parameter import Parameter

from fhmr_ros.data.footage import read_image
from fhmr_ros.perception.detection import KeypointDetector, PersonDetection

from .camera_info import camera_info_msg
from .image_conversion import bgr_to_image_msg
from .node import FhmrNode
from .odometry import odometry_msg, sec_to_stamp, stamp_to_sec

W, H = 640, 480


def scene(people: int) -> np.ndarray:
    """(480, 640, 3) BGR photo with 1 or 4 people."""
    one = read_image("basketball1.png")
    if people == 1:
        return one
    two = read_image("basketball2.png")
    tiles = [one, two[:, :320], two[:, 320:], read_image("messi5.jpg")]
    tiles = [cv2.resize(t, (W // 2, H // 2), interpolation=cv2.INTER_AREA) for t in tiles]
    return np.concatenate([np.concatenate(tiles[:2], 1), np.concatenate(tiles[2:], 1)], 0)


class CachedDetector:
    """The wrapped detector's answers, computed once per distinct image."""

    def __init__(self, inner: KeypointDetector) -> None:
        self.inner = inner
        self.keypoint_format = inner.keypoint_format
        self._cache: dict[bytes, list[PersonDetection]] = {}

    def detect(self, image_bgr, K=None, regions=None) -> list[PersonDetection]:
        key = image_bgr[::16, ::16].tobytes()
        if key not in self._cache:
            self._cache[key] = self.inner.detect(image_bgr, K, None)
        return self._cache[key]


def run_case(people: int, detector: bool, rate_hz: float, seconds: float,
             params: list[Parameter]) -> dict:
    node = FhmrNode(parameter_overrides=params + [Parameter("queue_size", value=2),
                                                   Parameter("publish_markers", value=False)])
    image = scene(people)
    if not detector:
        node.pipeline.detector = CachedDetector(node.pipeline.detector)
        node.pipeline.detector.detect(image)
    published: list[tuple[float, float, int]] = []
    node.pub_humans.publish = lambda m: published.append(
        (time.time(), stamp_to_sec(m.header.stamp), len(m.humans)))
    K = np.array([[560.0, 0, W / 2], [0, 560.0, H / 2], [0, 0, 1]])
    try:
        start = time.time()
        n = 0
        while time.time() - start < seconds:
            stamp = time.time()
            t = sec_to_stamp(stamp)
            node._on_odometry(odometry_msg(t, np.eye(4), "odom", "base_link"))
            node._on_camera_info(camera_info_msg(K, W, H, t, "camera_optical_frame"))
            node._on_image(bgr_to_image_msg(image, t, "camera_optical_frame"))
            n += 1
            time.sleep(max(0.0, start + n / rate_hz - time.time()))
        end = time.time()
        deadline = end + 30.0
        while (node._queue or len(node.assembler)) and time.time() < deadline:
            time.sleep(0.05)
    finally:
        node.stop()
        node.destroy_node()
    lat = np.array([1000 * (p - s) for p, s, _ in published])
    in_run = [p for p, s, _ in published if p <= end]
    return {"people": people, "detector": detector, "images": n,
            "published": len(published),
            "fps": len(in_run) / (end - start),
            "people_per_image": float(np.mean([k for *_, k in published])) if published else 0,
            "p50": float(np.percentile(lat, 50)) if len(lat) else float("nan"),
            "p95": float(np.percentile(lat, 95)) if len(lat) else float("nan"),
            "max": float(lat.max()) if len(lat) else float("nan"),
            "dropped": int(node.counters["images_dropped_queue_full"])}


def bench_node(args) -> int:
    params = [Parameter("preset", value=args.preset), Parameter("device", value=args.device),
              Parameter("stride", value=args.stride), Parameter("lag", value=args.lag)]
    rclpy.init()
    try:
        print(f"# fhmr-bench node: preset {args.preset}, device {args.device}, "
              f"{torch.get_num_threads()} torch threads, stride {args.stride}, lag {args.lag} "
              f"(model frames at 30 fps), input {args.rate:g} Hz for {args.seconds:g} s, "
              f"640x480 bgr8, queue_size 2")
        print("| people | detector | images in | arrays out | sustained fps | people/array "
              "| latency p50 ms | p95 ms | max ms | dropped |")
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for people in (1, 4):
            for detector in (True, False):
                r = run_case(people, detector, args.rate, args.seconds, params)
                print(f"| {people} | {'included' if detector else 'excluded'} | {r['images']} "
                      f"| {r['published']} | {r['fps']:.1f} | {r['people_per_image']:.1f} "
                      f"| {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | {r['dropped']} |",
                      flush=True)
    finally:
        rclpy.try_shutdown()
    return 0
