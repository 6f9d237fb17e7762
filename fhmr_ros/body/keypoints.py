"""Maps from the SMPL-X body to the 2D keypoint formats of detectors.

``BodyModel.forward(...).landmarks`` (smplx's joint output, 127 points) is laid out as
SMPLX_LANDMARK_NAMES: the 55 skeleton joints, 21 surface landmarks picked by smplx's vertex
ids (nose, eyes, ears, toes, heels, fingertips), then 51 face landmarks (iBUG-68 points
17..67). Each keypoint of a detector format is one of those points, so the same map works
on a real SMPL-X file and on the stand-in (whose landmark vertices sit at the same ids).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from .skeleton import SMPLX_JOINT_NAMES

SMPLX_VERTEX_LANDMARK_NAMES: tuple[str, ...] = (
    "nose", "right_eye", "left_eye", "right_ear", "left_ear",
    "left_big_toe", "left_small_toe", "left_heel",
    "right_big_toe", "right_small_toe", "right_heel",
    "left_thumb_tip", "left_index_tip", "left_middle_tip", "left_ring_tip", "left_pinky_tip",
    "right_thumb_tip", "right_index_tip", "right_middle_tip", "right_ring_tip",
    "right_pinky_tip",
)
SMPLX_LANDMARK_NAMES: tuple[str, ...] = (
    SMPLX_JOINT_NAMES + SMPLX_VERTEX_LANDMARK_NAMES
    + tuple(f"face_ibug{k}" for k in range(17, 68))
)


@dataclass(frozen=True)
class KeypointFormat:
    """A detector's keypoint set and where each keypoint sits on the SMPL-X body."""

    name: str
    names: tuple[str, ...]          # keypoint names in the detector's order
    sources: tuple[str, ...]        # SMPLX_LANDMARK_NAMES entry for each keypoint

    @property
    def landmark_index(self) -> list[int]:
        """Index of each keypoint into the 127 smplx landmarks."""
        return [SMPLX_LANDMARK_NAMES.index(s) for s in self.sources]

    def from_landmarks(self, landmarks: Tensor) -> Tensor:
        """(..., 127, C) smplx landmarks -> (..., K, C) keypoints of this format."""
        return landmarks[..., self.landmark_index, :]


def _format(name: str, pairs: list[tuple[str, str]]) -> KeypointFormat:
    return KeypointFormat(name, tuple(k for k, _ in pairs), tuple(s for _, s in pairs))


# MediaPipe Pose (BlazePose) 33 landmarks. Eye corners and mouth corners come from the face
# landmarks (iBUG 36/39 = subject's right eye outer/inner, 42/45 left inner/outer,
# 48/54 = mouth right/left); MediaPipe's hand points map to knuckles (index/pinky MCP)
# and the thumb's second joint; foot_index is the big toe.
MEDIAPIPE33 = _format("mediapipe33", [
    ("nose", "nose"),
    ("left_eye_inner", "face_ibug42"), ("left_eye", "left_eye"),
    ("left_eye_outer", "face_ibug45"),
    ("right_eye_inner", "face_ibug39"), ("right_eye", "right_eye"),
    ("right_eye_outer", "face_ibug36"),
    ("left_ear", "left_ear"), ("right_ear", "right_ear"),
    ("mouth_left", "face_ibug54"), ("mouth_right", "face_ibug48"),
    ("left_shoulder", "left_shoulder"), ("right_shoulder", "right_shoulder"),
    ("left_elbow", "left_elbow"), ("right_elbow", "right_elbow"),
    ("left_wrist", "left_wrist"), ("right_wrist", "right_wrist"),
    ("left_pinky", "left_pinky1"), ("right_pinky", "right_pinky1"),
    ("left_index", "left_index1"), ("right_index", "right_index1"),
    ("left_thumb", "left_thumb2"), ("right_thumb", "right_thumb2"),
    ("left_hip", "left_hip"), ("right_hip", "right_hip"),
    ("left_knee", "left_knee"), ("right_knee", "right_knee"),
    ("left_ankle", "left_ankle"), ("right_ankle", "right_ankle"),
    ("left_heel", "left_heel"), ("right_heel", "right_heel"),
    ("left_foot_index", "left_big_toe"), ("right_foot_index", "right_big_toe"),
])

# COCO-17 (as used by most 2D pose detectors).
COCO17 = _format("coco17", [
    ("nose", "nose"), ("left_eye", "left_eye"), ("right_eye", "right_eye"),
    ("left_ear", "left_ear"), ("right_ear", "right_ear"),
    ("left_shoulder", "left_shoulder"), ("right_shoulder", "right_shoulder"),
    ("left_elbow", "left_elbow"), ("right_elbow", "right_elbow"),
    ("left_wrist", "left_wrist"), ("right_wrist", "right_wrist"),
    ("left_hip", "left_hip"), ("right_hip", "right_hip"),
    ("left_knee", "left_knee"), ("right_knee", "right_knee"),
    ("left_ankle", "left_ankle"), ("right_ankle", "right_ankle"),
])

KEYPOINT_FORMATS: dict[str, KeypointFormat] = {f.name: f for f in (MEDIAPIPE33, COCO17)}


def keypoint_format(name: str) -> KeypointFormat:
    """Look a format up by name ("mediapipe33" or "coco17")."""
    try:
        return KEYPOINT_FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown keypoint format {name!r}; "
                         f"known: {sorted(KEYPOINT_FORMATS)}") from None


def convert_keypoints(keypoints: np.ndarray, source: KeypointFormat,
                      target: KeypointFormat) -> np.ndarray:
    """(K_source, 3) u, v, confidence -> (K_target, 3): each target keypoint takes the source
    keypoint of the same name; one the source lacks is unseen (0, 0, 0), as an occluded one
    would be (COCO-17's names are all among MediaPipe-33's)."""
    out = np.zeros((len(target.names), 3), np.float32)
    index = {name: k for k, name in enumerate(source.names)}
    for k, name in enumerate(target.names):
        if name in index:
            out[k] = keypoints[index[name]]
    return out


# Which detector keypoints must be seen for a body joint (0..21) to count as observed.
# Joints inside the body (pelvis, spine, neck, collars) use the surface points around them.
BODY_JOINT_KEYPOINTS: tuple[tuple[str, ...], ...] = (
    ("left_hip", "right_hip"),                                      # pelvis
    ("left_hip",), ("right_hip",),
    ("left_hip", "right_hip", "left_shoulder", "right_shoulder"),   # spine1
    ("left_knee",), ("right_knee",),
    ("left_hip", "right_hip", "left_shoulder", "right_shoulder"),   # spine2
    ("left_ankle",), ("right_ankle",),
    ("left_shoulder", "right_shoulder"),                            # spine3
    ("left_foot_index", "left_heel"), ("right_foot_index", "right_heel"),
    ("left_shoulder", "right_shoulder"),                            # neck
    ("left_shoulder",), ("right_shoulder",),                        # collars
    ("nose",),                                                      # head
    ("left_shoulder",), ("right_shoulder",),
    ("left_elbow",), ("right_elbow",),
    ("left_wrist",), ("right_wrist",),
)


def body_joint_confidence(fmt: KeypointFormat, keypoint_confidence: Tensor) -> Tensor:
    """(..., K) keypoint confidences -> (..., 22): a body joint's confidence is the lowest of
    its keypoints that exist in ``fmt`` (COCO-17 has no feet: its ankles stand in)."""
    cols = []
    for names in BODY_JOINT_KEYPOINTS:
        idx = [fmt.names.index(n) for n in names if n in fmt.names]
        if not idx:
            side = "left" if names[0].startswith("left") else "right"
            idx = [fmt.names.index(f"{side}_ankle")]
        cols.append(keypoint_confidence[..., idx].amin(-1))
    return torch.stack(cols, dim=-1)


def body_joint_visibility(fmt: KeypointFormat, keypoint_visible: Tensor) -> Tensor:
    """(..., K) bool keypoint visibility -> (..., 22) bool: a body joint is observed when all
    of its keypoints that exist in ``fmt`` are."""
    return body_joint_confidence(fmt, keypoint_visible.float()) > 0
