"""/diagnostics: the runtime's status and numbers (fhmr_ros/streaming/runtime_report.py) as
diagnostic_msgs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue

from ..streaming.settings import NodeSettings
from ..streaming.stream_runtime import StreamRuntime


def _value_text(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.3f}"
    return str(value)


def diagnostic_status(name: str, hardware_id: str, level: int | bytes, message: str,
                      values: Mapping[str, object]) -> DiagnosticStatus:
    """DiagnosticStatus; ``level`` is DiagnosticStatus.OK / WARN / ERROR / STALE (0..3, as
    int or the message's bytes constants); values are stringified, floats with 3 decimals."""
    return DiagnosticStatus(
        name=name, hardware_id=hardware_id, message=message,
        level=level if isinstance(level, bytes) else bytes([int(level)]),
        values=[KeyValue(key=str(k), value=_value_text(v)) for k, v in values.items()])


def diagnostic_array(stamp: Time, statuses: Iterable[DiagnosticStatus]) -> DiagnosticArray:
    """DiagnosticArray of ``statuses`` at ``stamp``."""
    msg = DiagnosticArray(status=list(statuses))
    msg.header.stamp = stamp
    return msg


def runtime_diagnostics(runtime: StreamRuntime, cfg: NodeSettings, hardware_id: str,
                        stamp, active: bool = True) -> DiagnosticArray:
    """The /diagnostics message: WARN while camera_info is missing or anything was refused
    or dropped (the message lists the counts), with every number the runtime reports;
    OK "inactive" while a configured lifecycle node is not active."""
    problems = runtime.problems()
    level, message = DiagnosticStatus.OK, "running"
    if not active:
        message = "inactive (configured; activate to process images)"
    elif not runtime.has_camera_info:
        level, message = DiagnosticStatus.WARN, "waiting for a valid camera_info"
    elif problems:
        level, message = DiagnosticStatus.WARN, "input problems: " + ", ".join(
            f"{k} {v}" for k, v in problems.items())
    values = {"model_device": cfg.device, "model_preset": cfg.preset, **runtime.values()}
    return diagnostic_array(stamp, [diagnostic_status("fhmr_node: pipeline", hardware_id,
                                                      level, message, values)])
