"""One person's motion over a recording, as every source gives it: SMPL-X body parameters
in the world frame (z up) at the stamps the person was published.

Sources: fhmr-video's ``results.npz`` (one row per frame and person) and fhmr-infer's
``PRED.npz`` (one person), both ``tracks_from_npz``; an MCAP recording of the node's
``~/humans`` (fhmr_ros/ros/humans_recording.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..body.person_ids import person_frame


class ExportInputError(ValueError):
    """The input holds nothing that can be exported (the message says why)."""


@dataclass
class PersonTrack:
    track_id: int
    stamps: np.ndarray          # (T,) s, increasing
    betas: np.ndarray           # (T, 10)
    global_orient: np.ndarray   # (T, 3) axis-angle, body -> world (z up)
    body_pose: np.ndarray       # (T, 63) axis-angle, SMPL-X joints 1..21
    transl: np.ndarray          # (T, 3) SMPL-X transl in the world (pelvis = transl + J0)

    def __post_init__(self) -> None:
        T = len(self.stamps)
        for name, width in (("betas", 10), ("global_orient", 3), ("body_pose", 63),
                            ("transl", 3)):
            value = np.asarray(getattr(self, name), np.float64)
            if value.shape != (T, width):
                raise ValueError(f"track {self.track_id}: {name} has shape {value.shape}, "
                                 f"expected ({T}, {width})")
            setattr(self, name, value)
        self.stamps = np.asarray(self.stamps, np.float64)
        if T and np.any(np.diff(self.stamps) <= 0):
            raise ValueError(f"track {self.track_id}: stamps must increase")

    @property
    def name(self) -> str:
        """The file stem of its exports (the TF frame's name)."""
        return person_frame(self.track_id)

    @property
    def num_frames(self) -> int:
        return len(self.stamps)

    def take(self, index: np.ndarray) -> PersonTrack:
        """The frames at ``index`` (an index array or a boolean mask)."""
        return replace(self, stamps=self.stamps[index], betas=self.betas[index],
                       global_orient=self.global_orient[index],
                       body_pose=self.body_pose[index], transl=self.transl[index])


PARAMETERS = ("betas", "global_orient_world", "body_pose", "transl_world")


def tracks_from_npz(path: str | Path, fps: float | None = None) -> list[PersonTrack]:
    """Every track in fhmr-video's ``results.npz`` (by ``track_id``, in id order), or the
    one person of fhmr-infer's ``PRED.npz`` (frames at its ``fps``, else at ``fps``)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in ("track_id", "stamp", "fps", *PARAMETERS) if k in z.files}
    except (OSError, ValueError) as e:
        raise ExportInputError(f"{path}: not a readable .npz file ({e})") from None
    missing = set(PARAMETERS) - set(data)
    if missing:
        raise ExportInputError(f"{path}: missing {sorted(missing)} (is it fhmr-video's "
                               "results.npz or fhmr-infer's PRED.npz?)")
    if "track_id" in data:
        return _result_tracks(path, data)
    rate = float(data["fps"]) if "fps" in data else fps
    if rate is None:
        raise ExportInputError(f"{path}: a PRED.npz without its frame rate (from an older "
                               "fhmr-infer): pass --obs OBS.npz, its observations")
    T = len(data["body_pose"])
    betas = np.broadcast_to(data["betas"], (T, data["betas"].shape[-1]))
    return [PersonTrack(0, np.arange(T) / rate, betas, data["global_orient_world"],
                        data["body_pose"], data["transl_world"])]


def _result_tracks(path: str | Path, data: dict[str, np.ndarray]) -> list[PersonTrack]:
    if len(data["track_id"]) == 0:
        raise ExportInputError(f"{path}: no person in it")
    if "stamp" not in data:
        raise ExportInputError(f"{path}: missing ['stamp']")
    tracks = []
    for tid in np.unique(data["track_id"]):
        rows = np.flatnonzero(data["track_id"] == tid)
        rows = rows[np.argsort(data["stamp"][rows], kind="stable")]
        tracks.append(PersonTrack(int(tid), data["stamp"][rows], data["betas"][rows],
                                  data["global_orient_world"][rows], data["body_pose"][rows],
                                  data["transl_world"][rows]))
    return tracks
