"""Smooth, low-frequency random signals: sums of random sinusoids.

    n(t) = sum_k a_k sin(2 pi f_k t + phi_k),   f_k log-uniform in a band,  phi_k ~ U[0, 2 pi),
with the a_k drawn ∝ 1/sqrt(f_k) and rescaled so that the RMS of n is the requested amplitude:
    RMS² = sum_k a_k² / 2.
Band-limited by construction, so the signal has no jitter and stays bounded by
sqrt(2 K) x amplitude (K terms).
"""

from __future__ import annotations

import numpy as np


def smooth_noise(rng: np.random.Generator, t: np.ndarray, shape: tuple[int, ...],
                 amplitude: np.ndarray | float, band: tuple[float, float] = (0.1, 1.0),
                 terms: int = 3) -> np.ndarray:
    """Independent smooth noise channels (T, *shape) with RMS ``amplitude`` (broadcast to
    ``shape``) and frequencies in ``band`` (Hz)."""
    f = np.exp(rng.uniform(np.log(band[0]), np.log(band[1]), size=(terms,) + shape))
    phase = rng.uniform(0.0, 2 * np.pi, size=(terms,) + shape)
    a = rng.uniform(0.5, 1.0, size=(terms,) + shape) / np.sqrt(f)
    a *= np.broadcast_to(amplitude, shape) / np.sqrt((a * a).sum(0) / 2)
    arg = 2 * np.pi * f[None] * t.reshape((-1, 1) + (1,) * len(shape)) + phase[None]
    return (a[None] * np.sin(arg)).sum(1)                                  # (T, *shape)
