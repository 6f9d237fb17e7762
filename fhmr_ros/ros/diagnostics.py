"""diagnostic_msgs for /diagnostics (the numbers come from fhmr_ros.streaming.meters)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue


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
