"""Where the project's shipped model files live (checkpoints, the pose front-end's networks)."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def models_dir() -> Path:
    """$FHMR_MODELS, else the source tree's models/, else share/fhmr_ros/models of this
    Python environment (`pip install .`) or of an installed ROS package (found through
    $AMENT_PREFIX_PATH)."""
    env = os.environ.get("FHMR_MODELS")
    if env:
        return Path(env)
    source = Path(__file__).resolve().parents[1] / "models"
    if source.is_dir():
        return source
    for prefix in [sys.prefix, *os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep)]:
        share = Path(prefix) / "share" / "fhmr_ros" / "models"
        if prefix and share.is_dir():
            return share
    return source
