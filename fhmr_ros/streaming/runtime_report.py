"""What the runtime reports (/diagnostics, fhmr-bag, fhmr-video): rates, latency and
per-stage time percentiles, and every count of what was refused or dropped."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .meters import Counters, LatencyWindow, RateMeter

STAGES = ("decode", "detector", "tracker", "model", "publish")   # timed per image
OUTPUT_COUNTS = ("people_published", "images_published")        # counters that are no problem


@dataclass
class RuntimeMeters:
    """Rates and time windows the runtime's threads feed."""

    input_rate: RateMeter = field(default_factory=RateMeter)
    output_rate: RateMeter = field(default_factory=RateMeter)
    latency_ms: LatencyWindow = field(default_factory=LatencyWindow)   # receive -> sink
    stage_ms: dict[str, LatencyWindow] = field(
        default_factory=lambda: {stage: LatencyWindow() for stage in STAGES})

    def values(self) -> dict[str, float]:
        """Rates (Hz), receive-to-publish latency and per-stage percentiles (ms)."""
        now = time.monotonic()
        lat = self.latency_ms.percentiles()
        return {
            "input_rate_hz": self.input_rate.rate(now),
            "output_rate_hz": self.output_rate.rate(now),
            "latency_receive_to_publish_ms_p50": lat["p50"],
            "latency_receive_to_publish_ms_p95": lat["p95"],
            "latency_receive_to_publish_ms_max": lat["max"],
            **{f"time_{stage}_ms_{p}": v for stage, window in self.stage_ms.items()
               for p, v in window.percentiles().items() if p != "max"},
        }


def problems(counters: Counters) -> dict[str, int]:
    """Counts of refused or dropped input and failures (for the status message)."""
    return {k: v for k, v in counters.snapshot().items() if k not in OUTPUT_COUNTS}
