"""Top-down plot of world trajectories (x, y in metres, z up) of tracked people and the
camera, drawn with matplotlib's Agg canvas (no pyplot, no global state)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .colors import CAMERA_BGR, bgr_to_rgb01, track_color

MAX_LEGEND_TRACKS = 8   # more tracks than this: id labels only, no legend
DPI = 120


def _ground_xy(positions: np.ndarray) -> np.ndarray:
    """World positions (T, 3) -> (T, 2) x, y with rows that are not finite set to NaN, so
    matplotlib breaks the line there."""
    xy = np.array(np.asarray(positions, dtype=np.float64)[:, :2])        # (T, 2)
    xy[~np.isfinite(xy).all(-1)] = np.nan
    return xy


def _plot_track(ax: Axes, track_id: int, positions: np.ndarray) -> None:
    """One person's path in its track colour: a start dot and the id at the last point."""
    xy = _ground_xy(positions)                                           # (T, 2)
    finite = np.flatnonzero(np.isfinite(xy).all(-1))
    if finite.size == 0:
        return
    color = bgr_to_rgb01(track_color(track_id))
    ax.plot(xy[:, 0], xy[:, 1], color=color, lw=2.0, label=f"track {track_id}")
    start, end = xy[finite[0]], xy[finite[-1]]
    ax.plot(*start, "o", color=color, ms=6, mec="black", mew=0.6)
    ax.annotate(str(track_id), end, xytext=(4, 4), textcoords="offset points", fontsize=8,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": color, "lw": 1.2})


def _plot_camera(ax: Axes, camera_positions: np.ndarray) -> None:
    """The camera path as a grey line, its last position as a camera marker."""
    xy = _ground_xy(camera_positions)                                    # (T, 2)
    finite = np.flatnonzero(np.isfinite(xy).all(-1))
    if finite.size == 0:
        return
    color = bgr_to_rgb01(CAMERA_BGR)
    ax.plot(xy[:, 0], xy[:, 1], color=color, lw=1.5, ls="--", label="camera")
    ax.plot(*xy[finite[-1]], "s", color=color, ms=8, mec="black", mew=0.6)


def plot_world_trajectories(tracks: dict[int, np.ndarray], camera_positions: np.ndarray | None,
                            path: Path, title: str, note: str | None = None) -> None:
    """Write a top-down PNG of world trajectories to ``path``.

    tracks: track id -> (T_i, 3) world positions (z up; NaN rows are gaps);
    camera_positions: (T, 3) world camera positions or None; ``note`` goes under the title.
    Equal aspect, metres on both axes, one colour per track id (as in the overlays).
    """
    fig = Figure(figsize=(6.4, 6.4), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if camera_positions is not None:
        _plot_camera(ax, camera_positions)
    for track_id in sorted(tracks):
        _plot_track(ax, track_id, tracks[track_id])
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.grid(True, alpha=0.3)
    fig.suptitle(title)
    if note:
        ax.set_title(note, fontsize=8, color="0.35")
    if ax.get_legend_handles_labels()[0] and len(tracks) <= MAX_LEGEND_TRACKS:
        ax.legend(loc="best", fontsize=8)
    fig.savefig(Path(path), dpi=DPI, format="png")
