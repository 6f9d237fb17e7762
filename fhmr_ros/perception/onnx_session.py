"""ONNX Runtime sessions for the pose front-end's networks: explicit threads, the device's
execution provider, and clear errors for missing files or runtimes."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..shipped_models import models_dir

CONVERT_COMMAND = "scripts/convert_pose_models.sh"
log = logging.getLogger(__name__)


def pose_model_path(name: str) -> Path:
    """models/pose/<name> of the shipped models folder ($FHMR_MODELS overrides)."""
    return models_dir() / "pose" / name


def default_threads() -> int:
    """Threads for one network call: every core this process may use, at most 4."""
    return max(1, min(4, len(os.sched_getaffinity(0))))


def make_session(path: str | os.PathLike, device: str = "cpu", threads: int = 0):
    """An onnxruntime.InferenceSession for ``path`` on ``device`` ("cpu", "cuda", "cuda:1").

    CUDA runs through onnxruntime's CUDAExecutionProvider where the installed onnxruntime
    has it (the onnxruntime-gpu wheel); otherwise the network runs on the CPU and this is
    logged once per session. ``threads`` (0: ``default_threads()``) bounds the CPU kernels'
    intra-op threads so that the detector and torch do not oversubscribe the cores.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"pose model {path} not found. It ships in the package's models/pose/ folder; "
            f"regenerate it with `{CONVERT_COMMAND}` (npm + a throw-away TensorFlow venv), "
            "or set $FHMR_MODELS to a folder holding pose/.")
    try:
        import onnxruntime as ort
    except ImportError as e:
        raise ImportError("onnxruntime is missing: run `make setup` (or pip install "
                          "onnxruntime; onnxruntime-gpu for CUDA)") from e
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3                       # errors only: no console spam
    # no busy-waiting between calls: torch runs on the same cores right after the detector
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    providers = ["CPUExecutionProvider"]
    if device.startswith("cuda"):
        if "CUDAExecutionProvider" in ort.get_available_providers():
            index = int(device.split(":")[1]) if ":" in device else 0
            providers.insert(0, ("CUDAExecutionProvider", {"device_id": index}))
        else:
            log.warning("%s: this onnxruntime has no CUDAExecutionProvider (install "
                        "onnxruntime-gpu); the pose network runs on the CPU", path.name)
    return ort.InferenceSession(str(path), options, providers=providers)


def session_device(session) -> str:
    """"cuda" when the session's first provider is CUDA, else "cpu"."""
    return "cuda" if session.get_providers()[0].startswith("CUDA") else "cpu"
