"""A tree of coordinate frames as TF keeps it: each frame has one parent, linked by a static
transform or by stamped ones, looked up at any stamp between two stamped transforms.

The transform from frame ``source`` to frame ``target`` at time t goes up from both to
their nearest common ancestor a:

    T_target_source(t) = T_a_target(t)⁻¹ · T_a_source(t),
    T_a_f(t) = T_a_f1(t) · T_f1_f2(t) ··· T_fn_f(t)   (the links on the way down),

a stamped link interpolated at t (slerp + lerp, PoseBuffer). A stamp
newer than a stamped link's newest transform, or frames not (yet) connected, raise
NotYetAvailable (it may still come); a stamp older than the link's buffer, LookupError.
Stamped links not updated for ``max_age_s`` (a frame nobody publishes any more) are
forgotten, so a long run does not collect dead frames.
"""

from __future__ import annotations

import numpy as np

from .pose_buffer import PoseBuffer


class NotYetAvailable(LookupError):
    """What this stamp needs has not arrived yet (it may still come)."""


class TransformTree:
    def __init__(self, max_age_s: float = 10.0) -> None:
        self.max_age_s = max_age_s
        self._parent: dict[str, str] = {}                  # child -> parent
        self._static: dict[str, np.ndarray] = {}           # child -> T_parent_child (4, 4)
        self._stamped: dict[str, PoseBuffer] = {}          # child -> T_parent_child(t)
        self._newest = float("-inf")

    def __contains__(self, frame: str) -> bool:
        return frame in self._parent or frame in self._parent.values()

    def add(self, parent: str, child: str, stamp: float, T_parent_child: np.ndarray,
            static: bool) -> None:
        """One transform (4, 4) of ``child`` in ``parent``. A frame that gets a new parent is
        re-linked (as TF does). Raises ValueError for a non-finite or improper transform, a
        frame linked to itself, or a stamp older than the link's newest."""
        T = np.asarray(T_parent_child, np.float64)
        if parent == child or not parent or not child:
            raise ValueError(f"transform {parent!r} -> {child!r} does not link two frames")
        if T.shape != (4, 4) or not np.isfinite(T).all() or not np.allclose(
                T[:3, :3] @ T[:3, :3].T, np.eye(3), atol=1e-4):
            raise ValueError(f"transform {parent!r} -> {child!r} is not a rigid transform")
        if self._parent.get(child) != parent:
            self._unlink(child)
            if self._is_ancestor(child, parent):
                raise ValueError(f"transform {parent!r} -> {child!r} would close a loop")
            self._parent[child] = parent
        if static:
            self._stamped.pop(child, None)
            self._static[child] = T
            return
        self._static.pop(child, None)
        self._stamped.setdefault(child, PoseBuffer(self.max_age_s)).add(stamp, T)
        if stamp > self._newest + self.max_age_s:
            self._forget_stale(stamp)
        self._newest = max(self._newest, stamp)

    def clear_stamped(self) -> None:
        """Forget every stamped link (time went back); static ones stay."""
        for child in list(self._stamped):
            self._unlink(child)
        self._newest = float("-inf")

    def lookup(self, target: str, source: str, stamp: float) -> np.ndarray:
        """T_target_source (4, 4) at ``stamp``: maps points in ``source`` into ``target``."""
        up_source, up_target = self._path_up(source), self._path_up(target)
        common = next((f for f in up_source if f in set(up_target)), None)
        if common is None:
            raise NotYetAvailable(f"no transform chain connects {target!r} and {source!r} "
                                  "yet")
        T_a_source = self._down(up_source[:up_source.index(common)], stamp)
        T_a_target = self._down(up_target[:up_target.index(common)], stamp)
        return np.linalg.solve(T_a_target, T_a_source)

    # ---------------------------------------------------------------- internals
    def _path_up(self, frame: str) -> list[str]:
        """[frame, its parent, ..., the root]."""
        path = [frame]
        while path[-1] in self._parent:
            path.append(self._parent[path[-1]])
        return path

    def _is_ancestor(self, frame: str, of: str) -> bool:
        return frame in self._path_up(of)

    def _down(self, frames: list[str], stamp: float) -> np.ndarray:
        """T_ancestor_frame for ``frames`` = [frame, ..., the ancestor's child]."""
        T = np.eye(4)
        for child in frames:
            T = self._link(child, stamp) @ T
        return T

    def _link(self, child: str, stamp: float) -> np.ndarray:
        if child in self._static:
            return self._static[child]
        buffer = self._stamped[child]
        if stamp > buffer.latest_stamp:
            raise NotYetAvailable(f"transform {self._parent[child]!r} -> {child!r} has not "
                                  f"reached {stamp:.3f} s yet")
        return buffer.at(stamp)

    def _unlink(self, child: str) -> None:
        self._parent.pop(child, None)
        self._static.pop(child, None)
        self._stamped.pop(child, None)

    def _forget_stale(self, now: float) -> None:
        for child, buffer in list(self._stamped.items()):
            if buffer.latest_stamp < now - self.max_age_s:
                self._unlink(child)
