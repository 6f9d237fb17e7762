"""The node's runtime (and fhmr-bag's): the shared builder's parts (fhmr_ros/streaming/
runtime_builder.py) with the ROS decoder and the message builder in front of the sink."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sensor_msgs.msg import CompressedImage

from ..body.decimated_mesh import DecimatedBody
from ..streaming.runtime_builder import build_parts, build_runtime
from ..streaming.settings import NodeSettings
from ..streaming.output_stage import OutputSink
from ..streaming.stream_runtime import StreamRuntime
from .image_conversion import compressed_to_bgr, image_to_bgr
from .keypoints_input import keypoints_from_msg
from .output_messages import OutputMessages


def build_node_runtime(cfg: NodeSettings, make_sink: Callable[[OutputMessages], OutputSink],
                       log: Callable[[str], None] | None = None,
                       first_id: int = 1) -> StreamRuntime:
    """Model, pose networks, tracker (ids from ``first_id``), engine and the runtime core
    around them. ``make_sink`` gets the message builder and returns where complete images
    go. Raises StartupError naming the problem and its fix."""
    parts = build_parts(cfg, first_id)
    messages = OutputMessages(cfg, parts.keypoint_format, parts.body,
                              DecimatedBody(parts.body) if cfg.mesh_markers else None)
    model_format = parts.model.cfg.inputs.keypoint_format
    decode = (decode_image(cfg.max_image_pixels) if cfg.input == "image" else
              lambda msg: keypoints_from_msg(msg, model_format))
    return build_runtime(cfg, parts, decode, make_sink(messages), log)


def decode_image(max_pixels: int):
    """Image or CompressedImage -> BGR (ImageError, a ValueError, for what cannot be read)."""
    def decode(msg) -> np.ndarray:
        if isinstance(msg, CompressedImage):
            return compressed_to_bgr(msg, max_pixels)
        return image_to_bgr(msg, max_pixels)
    return decode
