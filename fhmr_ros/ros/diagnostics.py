"""Rates, latency percentiles and diagnostic_msgs for /diagnostics."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

import numpy as np
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue


class RateMeter:
    """Events per second over the last ``window_s`` seconds.

    rate = n / window_s, n the events in (now - window_s, now]. Until one window has passed
    since the first event t0, the (n - 1) intervals after t0 are divided by now - t0
    instead, so the rate is right from the second event on.
    """

    def __init__(self, window_s: float = 5.0) -> None:
        self.window_s = float(window_s)
        self._ticks: deque[float] = deque()
        self._first: float | None = None

    def tick(self, now_s: float) -> None:
        """Record one event at ``now_s`` (seconds, non-decreasing)."""
        if self._first is None:
            self._first = now_s
        self._ticks.append(now_s)

    def rate(self, now_s: float) -> float:
        """Events per second at ``now_s``; 0 before two events."""
        while self._ticks and self._ticks[0] <= now_s - self.window_s:
            self._ticks.popleft()
        if self._first is None:
            return 0.0
        elapsed = now_s - self._first
        if elapsed >= self.window_s:
            return len(self._ticks) / self.window_s
        return (len(self._ticks) - 1) / elapsed if elapsed > 0 else 0.0


class LatencyWindow:
    """The last ``size`` latencies (ms) and their percentiles."""

    def __init__(self, size: int = 200) -> None:
        self._values: deque[float] = deque(maxlen=size)

    def add(self, ms: float) -> None:
        self._values.append(float(ms))

    def percentiles(self) -> dict[str, float]:
        """{"p50", "p95", "max"} in ms (linear interpolation); zeros when empty."""
        if not self._values:
            return {"p50": 0.0, "p95": 0.0, "max": 0.0}
        values = np.fromiter(self._values, np.float64)
        p50, p95 = np.percentile(values, [50.0, 95.0])
        return {"p50": float(p50), "p95": float(p95), "max": float(values.max())}


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
