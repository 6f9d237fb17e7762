"""A picture of a retargeting: the (scaled) human skeleton beside the robot's, at a few
frames, seen from the side of the motion (the view's horizontal axis is the direction
of the human pelvis' overall travel, or world x for a motion that stays in place; the
robot is drawn BESIDE_M further along it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..body.skeleton import BODY_PARENTS

HUMAN_RGB, ROBOT_RGB = (0.95, 0.55, 0.1), (0.15, 0.45, 0.85)
BESIDE_M = 0.8                  # the robot is drawn this far ahead of the human


def draw_retarget(path: Path, human: np.ndarray, robot: np.ndarray,
                  robot_parents: list[int], frames: list[int], title: str) -> Path:
    """PNG of ``frames``: human joints (T, 22, 3) and robot body origins (T, N, 3) with
    each body's parent index (-1: none), world z up, metres."""
    travel = human[-1, 0, :2] - human[0, 0, :2]
    ahead = travel / np.linalg.norm(travel) if np.linalg.norm(travel) > 0.2 else np.r_[1.0, 0]
    fig = Figure(figsize=(3 * len(frames), 4), dpi=100)
    FigureCanvasAgg(fig)
    for k, t in enumerate(frames):
        ax = fig.add_subplot(1, len(frames), k + 1)
        centre = human[t, 0, :2]
        view = lambda p: np.stack([(p[..., :2] - centre) @ ahead, p[..., 2]], -1)  # noqa: E731
        h, r = view(human[t]), view(robot[t]) + np.r_[BESIDE_M, 0.0]
        for j, p in enumerate(BODY_PARENTS):
            if p >= 0:
                ax.plot(*h[[p, j]].T, color=HUMAN_RGB, lw=2)
        for j, p in enumerate(robot_parents):
            if p >= 0:
                ax.plot(*r[[p, j]].T, color=ROBOT_RGB, lw=2)
        ax.axhline(0.0, color="0.5", lw=1)
        ax.set_xlim(-0.8, 0.8 + BESIDE_M)
        ax.set_ylim(-0.05, 2.0)
        ax.set_aspect("equal")
        ax.set_title(f"frame {t}", fontsize=9)
    fig.suptitle(f"{title} (orange: human, scaled; blue: robot)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    return path
