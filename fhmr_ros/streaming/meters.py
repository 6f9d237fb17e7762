"""What the runtime reports: event rates, latency percentiles and named counters, each
safe to update from the worker threads while a timer reads it."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable

import numpy as np


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


class Counters:
    """Named counts (what was dropped or refused, and why) for /diagnostics. ``warn`` adds
    one and logs the text, at most once per ``throttle_s`` for each kind."""

    def __init__(self, log: Callable[[str], None] | None = None,
                 throttle_s: float = 5.0) -> None:
        self._log = log or logging.getLogger("fhmr_ros").warning
        self.throttle_s = throttle_s
        self._counts: Counter[str] = Counter()
        self._last_logged: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, kind: str, n: int = 1) -> int:
        """Add ``n`` to ``kind``; returns the new total."""
        with self._lock:
            self._counts[kind] += n
            return self._counts[kind]

    def warn(self, kind: str, text: str, n: int = 1) -> None:
        total = self.add(kind, n)
        now = time.monotonic()
        with self._lock:
            if now - self._last_logged.get(kind, -1e9) < self.throttle_s:
                return
            self._last_logged[kind] = now
        self._log(f"{text} [{kind}: {total} so far]")

    def snapshot(self) -> dict[str, int]:
        """A copy of every count, sorted by name."""
        with self._lock:
            return dict(sorted(self._counts.items()))
