"""The keypoint-detector interface: image (+ intrinsics) in, people with 2D keypoints out.

Every backend returns ``PersonDetection`` records in one of the keypoint formats the model
knows (fhmr_ros.body.keypoints). A user's own detector (for instance one that receives
keypoints from another ROS node) implements ``KeypointDetector``; its package declares it
as an entry point in the group ``fhmr_ros.detectors`` (pyproject.toml:
``[project.entry-points."fhmr_ros.detectors"] my_detector = "my_pkg.my_module:MyDetector"``),
and ``make_detector("my_detector")`` — or the node's ``detector`` parameter — selects it,
with no change elsewhere in this package. Only declared plugins load: a parameter value
cannot import arbitrary code.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Callable, Protocol, runtime_checkable

import numpy as np


@dataclass
class PersonDetection:
    """One person in one image."""

    bbox: np.ndarray         # (4,) float32 xyxy pixels
    keypoints: np.ndarray    # (K, 3) float32 u, v pixels and confidence in [0, 1]
    score: float             # detector's person score in [0, 1]
    keypoint_format: str     # a name from fhmr_ros.body.keypoints.KEYPOINT_FORMATS
    source_id: int | None = None   # the detector's own track id, if it has one: the tracker
                                   # keeps each such id on one track
    region: np.ndarray | None = None   # (4,) xyxy where a region-following detector should
                                   # look next: the whole body, also what is out of view


@runtime_checkable
class KeypointDetector(Protocol):
    """What the video runner and the ROS node need from a detector."""

    keypoint_format: str

    def detect(self, image_bgr: np.ndarray, K: np.ndarray | None = None,
               regions: np.ndarray | None = None) -> list[PersonDetection]:
        """People in a (H, W, 3) uint8 BGR image. K (3, 3) intrinsics when known; regions
        (R, 4) xyxy boxes where people are expected (e.g. tracks predicted to this frame),
        which a backend may search more closely.

        A backend whose ``tracks_regions`` attribute is true also takes ``search: bool``:
        False means "the regions suffice, skip the whole-image search" (the pipeline's
        schedule decides; see fhmr_ros.perception.tracked_front_end)."""
        ...


DETECTORS: dict[str, Callable[..., KeypointDetector]] = {}
BUILT_IN = {"movenet_blazepose": ".movenet_blazepose_detector",   # the default
            "mediapipe": ".mediapipe_detector"}                  # name -> module (lazy)


def register_detector(name: str, factory: Callable[..., KeypointDetector]) -> None:
    DETECTORS[name] = factory


PLUGIN_GROUP = "fhmr_ros.detectors"


def make_detector(name: str, **options) -> KeypointDetector:
    """A built-in backend by name ("movenet_blazepose", "mediapipe"), or an installed
    plugin: an entry point ``name`` in the group ``fhmr_ros.detectors``."""
    if name in BUILT_IN and name not in DETECTORS:
        importlib.import_module(BUILT_IN[name], __package__)
    if name in DETECTORS:
        factory = DETECTORS[name]
    else:
        plugins = {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP)}
        if name not in plugins:
            raise ValueError(
                f"unknown detector {name!r}: built in are {sorted(BUILT_IN)}, installed "
                f"plugins {sorted(plugins)} (a package declares one as an entry point in "
                f"the group {PLUGIN_GROUP!r})")
        factory = plugins[name].load()
    detector = factory(**options)
    if not isinstance(detector, KeypointDetector):
        raise TypeError(f"{name} does not implement KeypointDetector (keypoint_format, detect)")
    return detector


def make_stream_detector(name: str, device: str = "cpu", threads: int = 0,
                         max_people: int | None = None,
                         landmarks: str = "full") -> KeypointDetector:
    """The detector a stream runner (the node, fhmr-video) uses: built-in backends get the
    runtime's device and threads where they run on one (movenet_blazepose), with its
    BlazePose ``landmarks`` network (full | lite), and may find ``max_people`` (tracked
    people + a margin, so that the excess can be counted); a plugin is built without
    options. ValueError: an unknown name, or other ``landmarks`` than full for a detector
    without BlazePose landmarks."""
    if landmarks != "full" and name != "movenet_blazepose":
        raise ValueError(f"landmarks {landmarks!r} applies to the movenet_blazepose detector "
                         f"only, not to {name!r}")
    if name not in BUILT_IN:
        return make_detector(name)
    options = {} if max_people is None else {"max_people": max_people}
    if name == "movenet_blazepose":
        options.update(device=device, threads=threads, landmarks={"network": landmarks})
    return make_detector(name, **options)
