"""Real footage of people for the demo and the tests, fetched at set-up time.

Nothing here is committed: scripts/fetch_footage.sh extracts OpenCV's sample data from
Debian's opencv-doc package into ``footage_dir()``, and scikit-image ships the astronaut
photograph inside its wheel.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from ..cache_files import user_cache_dir

FOOTAGE_FILES = ("vtest.avi", "messi5.jpg", "basketball1.png", "basketball2.png")


def footage_dir() -> Path:
    """$FHMR_FOOTAGE, else footage/ in user_cache_dir() (where scripts/fetch_footage.sh
    puts it)."""
    if os.environ.get("FHMR_FOOTAGE"):
        return Path(os.environ["FHMR_FOOTAGE"])
    return user_cache_dir() / "footage"


def footage_path(name: str) -> Path:
    """Path of one of FOOTAGE_FILES; a clear error when set-up has not fetched it."""
    if name not in FOOTAGE_FILES:
        raise ValueError(f"unknown footage {name!r}; known: {FOOTAGE_FILES}")
    path = footage_dir() / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: run `bash scripts/fetch_footage.sh` (or `make setup`), "
            "which extracts it from Debian's opencv-doc package")
    return path


def read_image(name: str) -> np.ndarray:
    """(H, W, 3) uint8 BGR photo from FOOTAGE_FILES."""
    image = cv2.imread(str(footage_path(name)), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"{footage_path(name)} is not a readable image")
    return image


def astronaut_bgr() -> np.ndarray:
    """(512, 512, 3) uint8 BGR: scikit-image's astronaut photograph (Eileen Collins, NASA)."""
    from skimage import data

    return np.ascontiguousarray(data.astronaut()[..., ::-1])


def vtest_frames(indices: list[int]) -> dict[int, np.ndarray]:
    """(576, 768, 3) uint8 BGR frames of vtest.avi by index, read in one pass."""
    wanted, frames = set(indices), {}
    cap = cv2.VideoCapture(str(footage_path("vtest.avi")))
    i = 0
    while len(frames) < len(wanted):
        ok, frame = cap.read()
        if not ok:
            break
        if i in wanted:
            frames[i] = frame
        i += 1
    cap.release()
    if len(frames) < len(wanted):
        raise ValueError(f"vtest.avi has no frames {sorted(wanted - set(frames))}")
    return frames


def video_frames(path: Path, start: int, count: int | None):
    """(index, BGR frame) from ``start`` for at most ``count`` frames."""
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise ValueError(f"cannot open video {path}")
    cap.set(cv2.CAP_PROP_POS_FRAMES, start)
    i = start
    try:
        while count is None or i < start + count:
            ok, frame = cap.read()
            if not ok:
                break
            yield i, frame
            i += 1
    finally:
        cap.release()


def video_info(path: Path) -> tuple[float, int, int, int]:
    """(fps, width, height, frame count) as the container reports them."""
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise ValueError(f"cannot open video {path}")
    info = (cap.get(cv2.CAP_PROP_FPS), int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
    cap.release()
    return info
