"""The MediaPipe pose model bundle, built offline from the files inside the mediapipe wheel.

MediaPipe's Tasks API (``PoseLandmarker``, multi-person) loads a ``.task`` bundle: a zip of
the person detector and the landmark model, each with TFLite metadata describing its image
input normalisation. Google publishes ready bundles for download, but the wheel already
ships both networks (``modules/pose_detection/pose_detection.tflite``, input in [-1, 1],
and ``modules/pose_landmark/pose_landmark_full.tflite``, input in [0, 1]) for its legacy
solution API, so we attach the metadata ourselves and zip them: no network needed.

    python -m fhmr_ros.perception.pose_bundle     # build once (part of `make setup`)
"""

from __future__ import annotations

import os
from pathlib import Path

from ..cache_files import cache_dir, written_atomically

BUNDLE_NAME = "mediapipe_pose_full.task"

# Bundle member name -> (file in the mediapipe package, input mean, input std).
_MEMBERS = {
    "pose_detector.tflite": ("modules/pose_detection/pose_detection.tflite", 127.5, 127.5),
    "pose_landmarks_detector.tflite": ("modules/pose_landmark/pose_landmark_full.tflite",
                                       0.0, 255.0),
}


def pose_bundle_path() -> Path:
    """models/mediapipe_pose_full.task in cache_dir()."""
    return cache_dir() / "models" / BUNDLE_NAME


def import_mediapipe():
    """The mediapipe module (its C++ logging turned down to errors), or an ImportError that
    names the set-up step."""
    os.environ.setdefault("GLOG_minloglevel", "2")
    try:
        import mediapipe
    except ImportError as err:
        raise ImportError(
            "the MediaPipe pose detector needs the `mediapipe` package (0.10.21, installed "
            f"without dependencies by `make setup`): {err}") from err
    return mediapipe


def _with_image_metadata(metadata_writer, model: bytes, name: str, mean: float,
                         std: float) -> bytes:
    """The TFLite model with metadata: one RGB image input normalised as (x - mean) / std,
    and a plain feature description for each output tensor."""
    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name).add_image_input([mean], [std])
    n_outputs = len(metadata_writer.writer_utils.get_output_tensor_types(bytearray(model)))
    for _ in range(n_outputs):
        writer.add_feature_output()
    return bytes(writer.populate()[0])


def ensure_pose_bundle(path: str | os.PathLike | None = None) -> Path:
    """Path of the pose bundle, building it first when missing (written to a temporary
    file in the same folder and renamed, so readers never see a partial bundle)."""
    path = Path(path) if path is not None else pose_bundle_path()
    if path.is_file():
        return path
    mediapipe = import_mediapipe()
    from mediapipe.tasks.python.metadata.metadata_writers import (
        metadata_writer, model_asset_bundle_utils)

    package = Path(mediapipe.__file__).parent
    members = {}
    for member, (rel, mean, std) in _MEMBERS.items():
        source = package / rel
        if not source.is_file():
            raise FileNotFoundError(f"{source} is missing from the mediapipe wheel; "
                                    "reinstall it with `make setup`")
        members[member] = _with_image_metadata(metadata_writer, source.read_bytes(),
                                               source.name, mean, std)
    with written_atomically(path) as tmp:
        model_asset_bundle_utils.create_model_asset_bundle(members, str(tmp))
    return path


if __name__ == "__main__":
    print(ensure_pose_bundle())
