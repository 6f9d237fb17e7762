"""The one motion container every source produces: SMPL-X body motion in a z-up world.

World frame: metres, z up (REP-103), ground at z = 0 where the source knows it. A person
standing upright and facing world +x has global_orient = UPRIGHT_FACING_X (see
geometry/gravity_view.py). Rotations are axis-angle in SMPL-X order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from ..cache_files import written_atomically
from ..geometry.rotations import slerp_frames

SMPLX_NUM_BETAS = 10


@dataclass
class MotionClip:
    """A sequence of SMPL-X body parameters in a z-up world frame."""

    name: str
    fps: float
    global_orient: np.ndarray   # (T, 3) axis-angle, body -> world
    body_pose: np.ndarray       # (T, 21, 3) axis-angle, joints 1..21
    transl: np.ndarray          # (T, 3) SMPL-X transl in the world (pelvis = transl + J0)
    betas: np.ndarray           # (10,)
    source: str = "unknown"     # "procedural", "bvh", "amass", ...

    def __post_init__(self) -> None:
        T = self.global_orient.shape[0]
        for field, shape in (("global_orient", (T, 3)), ("body_pose", (T, 21, 3)),
                             ("transl", (T, 3)), ("betas", (SMPLX_NUM_BETAS,))):
            value = np.asarray(getattr(self, field), dtype=np.float32)
            if value.shape != shape:
                raise ValueError(f"MotionClip {self.name!r}: {field} has shape "
                                 f"{value.shape}, expected {shape}")
            if not np.isfinite(value).all():
                raise ValueError(f"MotionClip {self.name!r}: {field} has NaN/Inf values")
            setattr(self, field, value)
        if not self.fps > 0:
            raise ValueError(f"MotionClip {self.name!r}: fps must be > 0, got {self.fps}")

    @property
    def num_frames(self) -> int:
        return int(self.global_orient.shape[0])

    @property
    def duration(self) -> float:
        return (self.num_frames - 1) / self.fps

    def slice(self, start: int, stop: int) -> "MotionClip":
        return replace(self, global_orient=self.global_orient[start:stop],
                       body_pose=self.body_pose[start:stop], transl=self.transl[start:stop])

    def resample(self, fps: float) -> "MotionClip":
        """Resample to ``fps``: slerp for every rotation, linear for translation.

        Frame k of the result sits at time k / fps; the clip keeps its duration (the last
        frame lands at or before the original last frame).
        """
        if abs(fps - self.fps) < 1e-6:
            return self
        n = int(np.floor(self.duration * fps + 1e-6)) + 1
        t = np.arange(n) * (self.fps / fps)                      # source frame index, float
        i0 = np.clip(np.floor(t).astype(int), 0, self.num_frames - 1)
        i1 = np.clip(i0 + 1, 0, self.num_frames - 1)
        w = (t - i0).astype(np.float32)
        aa = np.concatenate([self.global_orient[:, None], self.body_pose], axis=1)  # (T, 22, 3)
        aa = slerp_frames(torch.from_numpy(aa), torch.from_numpy(i0), torch.from_numpy(i1),
                          torch.from_numpy(w)).numpy()                               # (n, 22, 3)
        transl = self.transl[i0] * (1 - w[:, None]) + self.transl[i1] * w[:, None]
        return replace(self, fps=float(fps), global_orient=aa[:, 0], body_pose=aa[:, 1:],
                       transl=transl)


def save_clips(path, clips: list[MotionClip]) -> None:
    """Store clips in one .npz (the preprocessing cache), creating its folder; written
    atomically, as the mocap cache under $FHMR_CACHE is shared by training and evaluation
    run at once."""
    arrays = {}
    for i, c in enumerate(clips):
        arrays.update({f"{i}/global_orient": c.global_orient, f"{i}/body_pose": c.body_pose,
                       f"{i}/transl": c.transl, f"{i}/betas": c.betas,
                       f"{i}/meta": np.array([c.name, c.source, repr(c.fps)])})
    with written_atomically(path) as tmp:
        np.savez_compressed(tmp, count=np.array(len(clips)), **arrays)


def load_clips(path) -> list[MotionClip]:
    with np.load(path) as z:
        out = []
        for i in range(int(z["count"])):
            name, source, fps = (str(s) for s in z[f"{i}/meta"])
            out.append(MotionClip(name=name, fps=float(fps), source=source,
                                  global_orient=z[f"{i}/global_orient"],
                                  body_pose=z[f"{i}/body_pose"],
                                  transl=z[f"{i}/transl"], betas=z[f"{i}/betas"]))
        return out
