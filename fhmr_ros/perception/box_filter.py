"""A constant-velocity Kalman filter on one person's bounding box, aware of the time step.

State and measurement (pixels, seconds)::

    x = [cx, cy, w, h, vcx, vcy, vw, vh]      box centre, size and their rates of change
    z = [cx, cy, w, h]                        a detected box

Prediction over a time step ``dt`` (any length, so variable frame rates and skipped frames
need no special handling)::

    F(dt) = [[I4, dt I4],
             [0,  I4   ]]
    x <- F x
    P <- F P F^T + Q(dt)

``Q`` is the discretised continuous white-noise acceleration model, per coordinate ``i``::

    Q_i(dt) = q_i [[dt^3 / 3, dt^2 / 2],
                   [dt^2 / 2, dt      ]],     q_i = (a_i * s)^2

with ``s`` the predicted box height (the scale of a person in the image, at least one pixel)
and ``a_i`` the acceleration noise in box heights per s^2 (``accel_std`` for the centre,
``size_accel_std`` for the size), so a near, large person may move more pixels per second
than a far, small one.

Update with a detected box::

    H = [I4, 0]
    R = (measurement_std * s)^2 I4
    S = H P H^T + R
    K = P H^T S^-1
    x <- x + K (z - H x)
    P <- (I - K H) P (I - K H)^T + K R K^T      (Joseph form, stays symmetric and PSD)

A new filter starts at the first box with zero velocity, position variance from ``R`` and
velocity variance ``(initial_velocity_std * s)^2``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_MIN_SIZE = 1.0   # pixels; the scale and the output box never get smaller than this


@dataclass
class BoxFilterConfig:
    """Noise levels, all relative to the box height ``s``."""

    measurement_std: float = 0.05       # detector noise per box coordinate, box heights
    accel_std: float = 1.0              # centre acceleration noise, box heights / s^2
    size_accel_std: float = 0.3         # width/height acceleration noise, box heights / s^2
    initial_velocity_std: float = 1.0   # prior on a new box's velocities, box heights / s


def xyxy_to_cxcywh(box: np.ndarray) -> np.ndarray:
    """(4,) xyxy -> (4,) centre x, centre y, width, height."""
    x0, y0, x1, y1 = np.asarray(box, dtype=np.float64).reshape(4)
    return np.array([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0])


def cxcywh_to_xyxy(state: np.ndarray) -> np.ndarray:
    """(4,) centre x, centre y, width, height -> (4,) xyxy, size clamped to >= 1 pixel."""
    cx, cy = state[0], state[1]
    half_w, half_h = max(state[2], _MIN_SIZE) / 2, max(state[3], _MIN_SIZE) / 2
    return np.array([cx - half_w, cy - half_h, cx + half_w, cy + half_h])


def _transition(dt: float) -> np.ndarray:
    F = np.eye(8)                                       # (8, 8)
    F[:4, 4:] = dt * np.eye(4)
    return F


class BoxKalmanFilter:
    """Tracks one box; see the module docstring for the model."""

    def __init__(self, box: np.ndarray, config: BoxFilterConfig | None = None):
        """Start at ``box`` (4,) xyxy pixels with zero velocity."""
        self.config = config or BoxFilterConfig()
        z = xyxy_to_cxcywh(box)
        s = max(z[3], _MIN_SIZE)
        self.x = np.concatenate([z, np.zeros(4)])        # (8,)
        pos_var = (self.config.measurement_std * s) ** 2
        vel_var = (self.config.initial_velocity_std * s) ** 2
        self.P = np.diag([pos_var] * 4 + [vel_var] * 4)  # (8, 8)

    @property
    def box(self) -> np.ndarray:
        """(4,) xyxy float64 box of the current state estimate."""
        return cxcywh_to_xyxy(self.x)

    @property
    def velocity(self) -> np.ndarray:
        """(4,) rates of change of cx, cy, w, h in pixels per second."""
        return self.x[4:].copy()

    @property
    def centre_variance(self) -> float:
        """Mean variance of the centre estimate, pixels^2."""
        return float(self.P[0, 0] + self.P[1, 1]) / 2

    def _scale(self) -> float:
        return max(float(self.x[3]), _MIN_SIZE)

    def _process_noise(self, dt: float) -> np.ndarray:
        s = self._scale()
        q = np.array([self.config.accel_std] * 2 + [self.config.size_accel_std] * 2) ** 2 * s**2
        Q = np.zeros((8, 8))
        idx = np.arange(4)
        Q[idx, idx] = q * dt**3 / 3
        Q[idx, idx + 4] = Q[idx + 4, idx] = q * dt**2 / 2
        Q[idx + 4, idx + 4] = q * dt
        return Q

    def predicted_box(self, dt: float) -> np.ndarray:
        """(4,) xyxy box expected ``dt`` seconds ahead, without changing the filter."""
        return cxcywh_to_xyxy(_transition(dt) @ self.x)

    def predict(self, dt: float) -> None:
        """Advance the state by ``dt`` >= 0 seconds."""
        if not dt >= 0:
            raise ValueError(f"BoxKalmanFilter.predict needs dt >= 0, got {dt}")
        F = _transition(dt)
        self.x = F @ self.x
        self.P = F @ self.P @ F.T + self._process_noise(dt)

    def update(self, box: np.ndarray) -> None:
        """Correct the state with a detected ``box`` (4,) xyxy pixels."""
        z = xyxy_to_cxcywh(box)
        R = np.eye(4) * (self.config.measurement_std * self._scale()) ** 2
        P_zx = self.P[:4]                                   # H P, (4, 8)
        S = P_zx[:, :4] + R                                 # (4, 4)
        K = np.linalg.solve(S, P_zx).T                      # P H^T S^-1, (8, 4)
        self.x = self.x + K @ (z - self.x[:4])
        I_KH = np.eye(8)
        I_KH[:, :4] -= K
        self.P = I_KH @ self.P @ I_KH.T + K @ R @ K.T
