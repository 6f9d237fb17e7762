"""Where fhmr_ros keeps what it generates or fetches outside the source tree, and how it
writes those files.

    user_cache_dir()  $XDG_CACHE_HOME/fhmr_ros (~/.cache/fhmr_ros by default): the set-up
                      scripts' venv and footage live here (scripts/setup_env.sh follows the
                      same rule);
    cache_dir()       $FHMR_CACHE if set, else user_cache_dir(): the generated stand-in
                      body model, the pose bundle and the mocap corpus cache.
    written_atomically(path)  how each of those is written: commands (or training ranks)
                      that build the same file at once never share a temporary file, and a
                      reader never sees a half-written one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def user_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fhmr_ros"


def cache_dir() -> Path:
    return Path(os.environ["FHMR_CACHE"]) if os.environ.get("FHMR_CACHE") else user_cache_dir()


@contextmanager
def written_atomically(path: str | os.PathLike) -> Iterator[Path]:
    """A new temporary file beside ``path`` (its folder created) for the block to write;
    renamed onto ``path`` when the block ends, removed if it raises. The temporary name
    keeps ``path``'s suffix, so writers that append one (numpy's .npz) write to it as is."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp" + path.suffix,
                               dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)                               # mkstemp makes it owner-only
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
