"""Where fhmr_ros keeps what it generates or fetches outside the source tree.

    user_cache_dir()  $XDG_CACHE_HOME/fhmr_ros (~/.cache/fhmr_ros by default): the set-up
                      scripts' venv and footage live here (scripts/setup_env.sh follows the
                      same rule);
    cache_dir()       $FHMR_CACHE if set, else user_cache_dir(): the generated stand-in
                      body model, the pose bundle and the mocap corpus cache.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fhmr_ros"


def cache_dir() -> Path:
    return Path(os.environ["FHMR_CACHE"]) if os.environ.get("FHMR_CACHE") else user_cache_dir()
