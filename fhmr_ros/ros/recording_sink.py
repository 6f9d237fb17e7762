"""The runtime's sink for fhmr-bag: every output the node would publish, written into an
MCAP recording under the node's topic names (ROS4HRI's under their own; ~ is /fhmr_node),
stamped with its image's stamp."""

from __future__ import annotations

from ..streaming.frame_assembler import ImageFrame
from .mcap_io import McapRecorder
from .output_messages import OUTPUT_TOPICS, OutputMessages

NODE = "/fhmr_node"
TOPICS = {output: topic.replace("~", NODE) for output, topic in OUTPUT_TOPICS.items()}


class RecordingSink:
    """Where the runtime's complete images go: every output, written to the recording."""

    def __init__(self, recorder: McapRecorder, messages: OutputMessages) -> None:
        self.recorder = recorder
        self.messages = messages

    def wants_image(self) -> bool:
        return True

    def _write(self, pairs, stamp: float) -> None:
        for output, msg in pairs:
            topic = TOPICS.get(output, output).replace("~", NODE, 1)   # per-body: its topic
            self.recorder.write(topic, msg, int(round(stamp * 1e9)))

    def publish(self, frame: ImageFrame, image) -> None:
        self._write(self.messages.frame_messages(frame, image, lambda output: True),
                    frame.stamp)

    def forget(self, live_tracks: set[int]) -> None:
        self.messages.forget(live_tracks)

    def reset(self, stamp: float) -> None:
        self._write(self.messages.reset_messages(stamp), stamp)
