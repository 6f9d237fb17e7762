"""ROS 2 MCAP recordings without rosbag2, in the format ``ros2 bag record`` writes.

Files use the MCAP "ros2" profile: CDR-serialised messages (``rclpy.serialization``) and
"ros2msg" schemas holding each type's complete definition the way rosbag2 stores it (the
type's .msg text, then every referenced type behind an 80-'=' separator and a
``MSG: pkg/Type`` line), the layout rosbag2 and Foxglove expect; the tests check that
``mcap_ros2`` decodes the files from those stored definitions alone.

    with McapRecorder("run.mcap") as rec:
        rec.write("camera/image", image_msg, stamp_ns)
    for m in read_messages("run.mcap", {"camera/image"}):
        m.topic, m.type_name, m.msg, m.log_time_ns
"""

from __future__ import annotations

import importlib
import re
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
from mcap.reader import make_reader
from mcap.well_known import MessageEncoding, Profile, SchemaEncoding
from mcap.writer import Writer
from rclpy.serialization import deserialize_message, serialize_message

SEPARATOR = "=" * 80
PRIMITIVE_TYPES = frozenset({
    "bool", "byte", "char", "float32", "float64", "int8", "uint8", "int16", "uint16",
    "int32", "uint32", "int64", "uint64", "string", "wstring"})
_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_TYPE_NAME = re.compile(rf"^({_NAME})/(?:msg/)?({_NAME})$")


class UnknownMessageType(LookupError):
    """A message type whose Python class or .msg definition is not installed."""


class McapFormatError(ValueError):
    """A file that is not a readable MCAP recording."""


def _split_type_name(type_name: str) -> tuple[str, str]:
    """'pkg/msg/Type' or 'pkg/Type' -> ('pkg', 'Type')."""
    match = _TYPE_NAME.match(type_name)
    if match is None:
        raise UnknownMessageType(
            f"{type_name!r} is not a message type name like 'sensor_msgs/msg/Image'")
    return match.group(1), match.group(2)


def message_class(type_name: str) -> type:
    """The generated Python class of 'pkg/msg/Type' (or 'pkg/Type')."""
    package, name = _split_type_name(type_name)
    try:
        module = importlib.import_module(f"{package}.msg")
    except ImportError as error:
        raise UnknownMessageType(
            f"no Python messages for {type_name}: cannot import {package}.msg ({error})"
        ) from error
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        raise UnknownMessageType(f"{package}.msg has no message {name} (for {type_name})")
    return cls


def type_name_of(msg: Any) -> str:
    """'pkg/msg/Type' of a generated message class or instance."""
    cls = msg if isinstance(msg, type) else type(msg)
    parts = cls.__module__.split(".")
    if len(parts) < 2 or parts[1] != "msg" or not hasattr(cls, "_TYPE_SUPPORT"):
        raise TypeError(f"{cls.__module__}.{cls.__name__} is not a generated ROS message")
    return f"{parts[0]}/msg/{cls.__name__}"


def _msg_text(package: str, name: str) -> str:
    """Contents of <share of package>/msg/<name>.msg, found through the ament index."""
    try:
        share = Path(get_package_share_directory(package))
    except PackageNotFoundError as error:
        raise UnknownMessageType(
            f"package {package!r} is not in the ament index (AMENT_PREFIX_PATH); "
            f"cannot find {package}/msg/{name}.msg") from error
    path = share / "msg" / f"{name}.msg"
    if not path.is_file():
        raise UnknownMessageType(f"{path} does not exist (definition of {package}/{name})")
    return path.read_text()


def _field_type(line: str, package: str) -> str | None:
    """'pkg/Type' of the field or constant declared on one .msg line; None for primitives,
    comments and blank lines."""
    tokens = line.split("#", 1)[0].split()
    if len(tokens) < 2:
        return None
    base = re.sub(r"\[[^\]]*\]$", "", tokens[0])   # arrays: T[], T[3], T[<=3]
    base = re.sub(r"<=\d+$", "", base)               # bounded strings: string<=10
    if base in PRIMITIVE_TYPES:
        return None
    if base == "Header":
        return "std_msgs/Header"
    if "/" not in base:
        return f"{package}/{base}"
    return "/".join(_split_type_name(base))


def _dependencies(text: str, package: str) -> list[str]:
    """Sorted 'pkg/Type' names that a .msg text refers to directly."""
    return sorted({t for t in (_field_type(ln, package) for ln in text.splitlines()) if t})


def message_definition(type_name: str) -> str:
    """Complete ros2msg definition of a type, as rosbag2 stores it in a bag's schema.

    The type's .msg text, then depth-first for each referenced type not yet included (in
    sorted order, as rosbag2 does): a newline, a line of 80 '=', ``MSG: pkg/Type`` and that
    type's .msg text. Raises UnknownMessageType where a .msg file is missing (types defined
    only in .idl, which rosbag2 would store as ros2idl, are not supported).
    """
    seen: set[str] = set()

    def expand(package: str, name: str, depth: int) -> str:
        if depth > 50:
            raise RecursionError(f"message definition of {type_name} nests too deep")
        text = _msg_text(package, name)
        for dep in _dependencies(text, package):
            if dep not in seen:
                seen.add(dep)
                text += f"\n{SEPARATOR}\nMSG: {dep}\n" + expand(*dep.split("/"), depth + 1)
        return text

    return expand(*_split_type_name(type_name), 0)


class McapRecorder:
    """Writes ROS 2 messages into an MCAP file (profile "ros2", CDR, ros2msg schemas).

    A context manager; the first message on a topic registers its schema and channel.
    A topic keeps the type of its first message. Safe to write from several threads.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._stream = open(self.path, "wb")
        self._writer = Writer(self._stream)
        self._writer.start(profile=Profile.ROS2, library="fhmr_ros.ros.mcap_io")
        self._schemas: dict[str, int] = {}
        self._channels: dict[str, tuple[int, str]] = {}
        self._lock = threading.Lock()
        self.message_count = 0

    def _channel_id(self, topic: str, type_name: str) -> int:
        if topic in self._channels:
            channel_id, known = self._channels[topic]
            if known != type_name:
                raise ValueError(f"topic {topic} carries {known}, not {type_name}")
            return channel_id
        if type_name not in self._schemas:
            self._schemas[type_name] = self._writer.register_schema(
                name=type_name, encoding=SchemaEncoding.ROS2,
                data=message_definition(type_name).encode())
        channel_id = self._writer.register_channel(
            topic=topic, message_encoding=MessageEncoding.CDR,
            schema_id=self._schemas[type_name])
        self._channels[topic] = (channel_id, type_name)
        return channel_id

    def write(self, topic: str, msg: Any, stamp_ns: int) -> None:
        """Append ``msg`` on ``topic``, logged and published at ``stamp_ns`` (ns)."""
        data = serialize_message(msg)
        with self._lock:
            if self._stream.closed:
                raise ValueError(f"recorder of {self.path} is closed")
            channel_id = self._channel_id(topic, type_name_of(msg))
            self._writer.add_message(channel_id=channel_id, log_time=int(stamp_ns), data=data,
                                     publish_time=int(stamp_ns), sequence=self.message_count)
            self.message_count += 1

    def close(self) -> None:
        """Write the summary and close the file (idempotent)."""
        with self._lock:
            if not self._stream.closed:
                try:
                    self._writer.finish()
                finally:
                    self._stream.close()

    def __enter__(self) -> McapRecorder:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


@dataclass
class RecordedMessage:
    """One message read back from a recording."""

    topic: str
    type_name: str
    msg: Any
    log_time_ns: int


def _open_reader(path: str | Path):
    """(file, McapReader) of an existing MCAP file whose header and footer parse."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no MCAP recording at {path}")
    stream = open(path, "rb")
    try:
        reader = make_reader(stream, validate_crcs=True)
        reader.get_header()
        reader.get_summary()
    except Exception as error:  # whatever the MCAP library fails with on a damaged file
        stream.close()
        raise McapFormatError(
            f"{path} is not a readable MCAP file (not MCAP, damaged, or an unfinished "
            f"recording without its footer): {error!r}") from error
    return stream, reader


def _guarded(records: Iterator, path: Path) -> Iterator:
    """``records`` with any failure of the MCAP library raised as McapFormatError."""
    while True:
        try:
            item = next(records)
        except StopIteration:
            return
        except Exception as error:  # decompression, CRC and record errors alike
            raise McapFormatError(f"{path} is corrupt: {error!r}") from error
        yield item


def _fields(definition: str) -> list[str]:
    """A ros2msg definition without comments, blank lines and spacing differences: what
    decides the CDR layout."""
    lines = (" ".join(line.split("#", 1)[0].split()) for line in definition.splitlines())
    return [line for line in lines if line]


class MessageReader:
    """Iterator of RecordedMessage in log-time order (what ``read_messages`` returns).

    Messages are skipped, and counted in ``skipped`` as "<type>: <reason>" (filled while
    iterating), when their type has no installed Python class, their channel is not CDR,
    the recording's schema declares other fields than the installed definition (its
    payload would be misread), or their payload does not deserialise.
    """

    def __init__(self, path: str | Path, topic_filter: set[str] | None = None):
        self.path = Path(path)
        self.skipped: Counter[str] = Counter()
        self._stream, self._reader = _open_reader(self.path)
        self._messages = self._iterate(None if topic_filter is None else sorted(topic_filter))

    def _iterate(self, topic_filter: list[str] | None) -> Iterator[RecordedMessage]:
        classes: dict[int, type | str] = {}        # channel -> class, or why it is skipped
        records = _guarded(self._reader.iter_messages(topics=topic_filter), self.path)
        try:
            for schema, channel, message in records:
                type_name = schema.name if schema is not None else "<no schema>"
                if channel.id not in classes:
                    classes[channel.id] = self._class_of(schema, channel.message_encoding)
                cls = classes[channel.id]
                if isinstance(cls, str):
                    self.skipped[f"{type_name}: {cls}"] += 1
                    continue
                try:
                    msg = deserialize_message(message.data, cls)
                except Exception:  # noqa: BLE001 -- rclpy raises RMWError and others
                    self.skipped[f"{type_name}: malformed payload"] += 1
                    continue
                yield RecordedMessage(channel.topic, type_name, msg, message.log_time)
        finally:
            self._stream.close()

    @staticmethod
    def _class_of(schema, message_encoding: str) -> type | str:
        """The message class of a channel, or the reason its messages are skipped."""
        if schema is None:
            return "no schema"
        if message_encoding != MessageEncoding.CDR:
            return f"{message_encoding} encoding, not CDR"
        try:
            cls = message_class(schema.name)
        except UnknownMessageType:
            return "type not installed"
        if schema.encoding == SchemaEncoding.ROS2 and schema.data:
            try:
                installed = message_definition(schema.name)
            except (UnknownMessageType, RecursionError):
                return cls                  # no .msg to compare with: trust the class
            if _fields(schema.data.decode(errors="replace")) != _fields(installed):
                return "schema differs from the installed definition"
        return cls

    def __iter__(self) -> MessageReader:
        return self

    def __next__(self) -> RecordedMessage:
        return next(self._messages)

    def close(self) -> None:
        """Stop early and close the file."""
        self._messages.close()
        self._stream.close()


def read_messages(path: str | Path, topics: set[str] | None = None) -> MessageReader:
    """Messages of an MCAP recording (only ``topics`` when given), deserialised into their
    generated classes, in log-time order. Raises FileNotFoundError for a missing file and
    McapFormatError for one that is not MCAP (at once) or turns out corrupt (while
    iterating). Unknown types are skipped and counted in the returned reader's ``skipped``.
    """
    return MessageReader(path, topics)


def topics(path: str | Path) -> dict[str, str]:
    """Topic -> type name ('pkg/msg/Type') of every channel in a recording."""
    stream, reader = _open_reader(path)
    try:
        summary = reader.get_summary()
        if summary is None:   # no summary section: scan the messages
            records = _guarded(reader.iter_messages(log_time_order=False), Path(path))
            return {channel.topic: schema.name if schema is not None else ""
                    for schema, channel, _ in records}
        return {ch.topic: (summary.schemas[ch.schema_id].name
                           if ch.schema_id in summary.schemas else "")
                for ch in summary.channels.values()}
    finally:
        stream.close()
