"""`fhmr-bench node`: end-to-end latency and sustained rate of fhmr_node on this machine.

The real node (FhmrNode, its worker thread and publishers) runs in this process; images
are handed to its image callback at ``rate`` Hz, stamped with the wall clock when handed
over, together with camera_info and odometry (a robot standing still). Latency = wall time
when the HumanStateArray for an image is published − that image's stamp: it includes the
queue, detection, tracking, the wait for the stride and the look-ahead lag, the model and
the message building. Sustained rate = HumanStateArrays published per second. Images the
worker could not keep up with are dropped by the node (queue_size 2) and counted.

Scenes (real footage, repeated as a still): one person (basketball1.png, 640 × 480) and a
crowd (vtest.avi frame 50, 768 × 576: five pedestrians, of whom the detector finds four or
five). "Detector excluded" replaces the detector by a cache of its own answers for the
image, computed before the run.
"""

from __future__ import annotations

import time

import cv2
import numpy as np
import rclpy
import torch
from rclpy.parameter import Parameter

from fhmr_ros.data.footage import footage_path, read_image
from fhmr_ros.perception.detection import KeypointDetector, PersonDetection

from .camera_info import camera_info_msg
from .image_conversion import bgr_to_image_msg
from .node import FhmrNode
from .odometry import odometry_msg, sec_to_stamp, stamp_to_sec

SCENES = ("one person", "crowd")


def scene(name: str) -> np.ndarray:
    """BGR image of one of SCENES."""
    if name == "one person":
        return read_image("basketball1.png")
    cap = cv2.VideoCapture(str(footage_path("vtest.avi")))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 50)
    ok, frame = cap.read()
    cap.release()
    if not ok:
        raise ValueError("cannot read vtest.avi frame 50")
    return frame


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


def run_case(name: str, detector: bool, rate_hz: float, seconds: float,
             params: list[Parameter]) -> dict:
    node = FhmrNode(parameter_overrides=params + [Parameter("queue_size", value=2),
                                                   Parameter("publish_markers", value=False)])
    image = scene(name)
    H, W = image.shape[:2]
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
        while not node.idle() and time.time() < deadline:
            time.sleep(0.05)
    finally:
        node.stop()
        node.destroy_node()
    lat = np.array([1000 * (p - s) for p, s, _ in published])
    in_run = [p for p, s, _ in published if p <= end]
    return {"scene": name, "detector": detector, "images": n, "size": f"{W}x{H}",
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
              f"bgr8, queue_size 2")
        print("| scene | image | detector | images in | arrays out | sustained fps "
              "| people/array | latency p50 ms | p95 ms | max ms | dropped |")
        print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name in SCENES:
            for detector in (True, False):
                r = run_case(name, detector, args.rate, args.seconds, params)
                print(f"| {name} | {r['size']} | {'included' if detector else 'excluded'} "
                      f"| {r['images']} "
                      f"| {r['published']} | {r['fps']:.1f} | {r['people_per_image']:.1f} "
                      f"| {r['p50']:.0f} | {r['p95']:.0f} | {r['max']:.0f} | {r['dropped']} |",
                      flush=True)
    finally:
        rclpy.try_shutdown()
    return 0
