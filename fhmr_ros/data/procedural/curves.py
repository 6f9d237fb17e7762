"""Smooth scalar building blocks for motion curves (all vectorised over time).

    smoothstep(x) = 3x² - 2x³,        min_jerk(x) = 10x³ - 15x⁴ + 6x⁵     (x clipped to [0, 1])
    hermite: the cubic p(t) with p(t0) = p0, p(t1) = p1, p'(t0) = v0, p'(t1) = v1.
    keyframes: min-jerk interpolation between (time, value) keys, held outside them.
"""

from __future__ import annotations

import numpy as np

from ...geometry.rotations import rotation_about_axis_np


def smoothstep(x: np.ndarray | float) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


def min_jerk(x: np.ndarray | float) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x ** 3 * (10.0 - 15.0 * x + 6.0 * x * x)


def ramp(t: np.ndarray, t0: float, t1: float) -> np.ndarray:
    """0 before t0, 1 after t1, min-jerk in between (a step at t0 when t1 <= t0)."""
    if t1 <= t0:
        return (np.asarray(t) >= t0).astype(float)
    return min_jerk((np.asarray(t) - t0) / (t1 - t0))


def window(t: np.ndarray, t_on: float, t_off: float, rise: float, fall: float) -> np.ndarray:
    """Envelope rising over [t_on, t_on + rise] and falling over [t_off - fall, t_off]."""
    return ramp(t, t_on, t_on + rise) * (1.0 - ramp(t, t_off - fall, t_off))


def bump(u: np.ndarray, peak: float = 0.5, sharpness: float = 1.5) -> np.ndarray:
    """Unit-height bump on u in [0, 1] with its apex at ``peak``, 0 outside:
        g(u) = u^a (1-u)^b / (u*^a (1-u*)^b),   a = 2 s peak,  b = 2 s (1 - peak)."""
    u = np.clip(u, 0.0, 1.0)
    a, b = 2 * sharpness * peak, 2 * sharpness * (1 - peak)
    return u ** a * (1 - u) ** b / (peak ** a * (1 - peak) ** b)


def hermite(t: np.ndarray, t0: float, t1: float, p0: float, p1: float, v0: float,
            v1: float) -> np.ndarray:
    """Cubic Hermite on [t0, t1] (t clipped to it), with h = t1 - t0, u = (t - t0) / h:
        p = (2u³-3u²+1) p0 + (u³-2u²+u) h v0 + (-2u³+3u²) p1 + (u³-u²) h v1."""
    h = t1 - t0
    u = np.clip((np.asarray(t) - t0) / h, 0.0, 1.0)
    u2, u3 = u * u, u * u * u
    return ((2 * u3 - 3 * u2 + 1) * p0 + (u3 - 2 * u2 + u) * h * v0
            + (-2 * u3 + 3 * u2) * p1 + (u3 - u2) * h * v1)


def keyframes(t: np.ndarray, times: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Min-jerk interpolation of keys ``values`` (K, ...) at increasing ``times`` (K,);
    returns (T, ...), holding the first/last key outside [times[0], times[-1]]."""
    times = np.asarray(times, dtype=float)
    values = np.asarray(values, dtype=float)
    if len(times) == 1:
        return np.broadcast_to(values[0], (len(t),) + values.shape[1:]).copy()
    i = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    span = np.maximum(times[i + 1] - times[i], 1e-9)
    w = min_jerk((t - times[i]) / span).reshape((-1,) + (1,) * (values.ndim - 1))
    return values[i] + (values[i + 1] - values[i]) * w


def wrap_angle(a: np.ndarray | float) -> np.ndarray:
    """Angle(s) wrapped to [-pi, pi)."""
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi


def cumulative_integral(rate: np.ndarray, dt: float) -> np.ndarray:
    """Trapezoidal running integral of ``rate`` (T, ...) sampled every dt, starting at 0."""
    steps = 0.5 * (rate[1:] + rate[:-1]) * dt
    return np.concatenate([np.zeros_like(rate[:1]), np.cumsum(steps, axis=0)], axis=0)


def rotation_z(yaw: np.ndarray) -> np.ndarray:
    """Rz(yaw) (..., 3, 3) about the world z axis."""
    return rotation_about_axis_np("z", yaw)


def rotation_x(angle: np.ndarray) -> np.ndarray:
    """Rx(angle) (..., 3, 3)."""
    return rotation_about_axis_np("x", angle)
