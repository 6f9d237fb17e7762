"""Per-person 3D results drawn on the camera image: a translucent shaded mesh, the 22-joint
skeleton (anchor vs completed joints, see ``colors``), the 2D detections it was fitted to
and a track-id label, plus a corner legend and a top banner.

Camera frame: the optical frame (x right, y down, z forward, metres); ``K`` (3, 3) maps it
to pixels. Images are uint8 BGR (H, W, 3). The ``draw_*`` functions draw in place;
:func:`render_people` returns a new image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ..body.skeleton import BODY_PARENTS, NUM_BODY_JOINTS
from .colors import BGR, joint_source_colors, track_color

MIN_DEPTH = 0.05          # metres: points nearer than this (or behind) are not drawn
_MAX_PIXEL = 1e6          # clamp for projections of points just in front of the camera
_SUBPIXEL_BITS = 4        # cv2 fixed-point fraction bits for the mesh triangles
_AMBIENT = 0.35           # mesh shading: ambient + (1 - ambient) * Lambert
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_HEAD = 15                # skeleton joint the label goes above when there is no bbox


@dataclass
class RenderedPerson:
    """One tracked person in one frame, everything in the camera frame of that image."""

    track_id: int
    joints_camera: np.ndarray                   # (22, 3) metres
    joint_source: np.ndarray                    # (22,) uint8: 0 anchor, 1 completed
    vertices_camera: np.ndarray | None = None   # (V, 3) metres
    keypoints: np.ndarray | None = None         # (K, 3) u, v, confidence
    bbox: np.ndarray | None = None              # (4,) x1, y1, x2, y2 pixels


def project_points(points: np.ndarray, K: np.ndarray, min_depth: float = MIN_DEPTH
                   ) -> np.ndarray:
    """Camera-frame points (..., 3) -> pixels (..., 2); NaN where z <= ``min_depth``."""
    points = np.asarray(points, dtype=np.float64)
    uvw = points @ np.asarray(K, dtype=np.float64).T                  # (..., 3)
    in_front = points[..., 2:] > min_depth                             # (..., 1)
    uv = uvw[..., :2] / np.where(in_front, uvw[..., 2:], np.nan)
    return np.clip(uv, -_MAX_PIXEL, _MAX_PIXEL)


def _pixel(uv: np.ndarray) -> tuple[int, int]:
    """Integer pixel of a finite (2,) point, as cv2 takes it."""
    return int(uv[0]), int(uv[1])


def draw_limbs(image: np.ndarray, uv: np.ndarray, joint_colors: Sequence[BGR],
               thickness: int) -> None:
    """Body limbs from pixel joints ``uv`` (22, 2); limb j -> parent(j) in ``joint_colors[j]``.
    Limbs with a non-finite end (e.g. behind the camera) are skipped."""
    finite = np.isfinite(uv).all(-1)                                  # (22,)
    for j in range(1, NUM_BODY_JOINTS):
        p = BODY_PARENTS[j]
        if finite[j] and finite[p]:
            cv2.line(image, _pixel(uv[j]), _pixel(uv[p]), joint_colors[j], thickness,
                     cv2.LINE_AA)


def draw_skeleton(image: np.ndarray, joints_camera: np.ndarray, K: np.ndarray,
                  joint_source: np.ndarray, track_color: BGR, thickness: int = 2,
                  radius: int = 3) -> None:
    """The 22-joint skeleton: each limb and joint dot in the ANCHOR or COMPLETED colour of
    its (child) joint's source, limbs cased in the person's ``track_color``."""
    uv = project_points(joints_camera, K)                             # (22, 2)
    colors = joint_source_colors(joint_source)
    draw_limbs(image, uv, [track_color] * NUM_BODY_JOINTS, thickness + 2)
    draw_limbs(image, uv, colors, thickness)
    for j in np.flatnonzero(np.isfinite(uv).all(-1)):
        cv2.circle(image, _pixel(uv[j]), radius, colors[j], -1, cv2.LINE_AA)


def _visible_faces(triangles: np.ndarray, min_depth: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the faces to draw, far to near, and their Lambert shading in [0, 1].

    triangles (F, 3, 3) camera frame. Kept: all corners finite and beyond ``min_depth``,
    facing the camera (outward normal towards it; SMPL-X winding is counter-clockwise
    seen from outside). Light comes from the camera.
    """
    normals = np.cross(triangles[:, 1] - triangles[:, 0],
                       triangles[:, 2] - triangles[:, 0])              # (F, 3)
    centres = triangles.mean(axis=1)                                   # (F, 3)
    facing = -(normals * centres).sum(-1)                              # (F,) > 0: front
    usable = np.isfinite(triangles).all((1, 2)) & (triangles[..., 2] > min_depth).all(1)
    keep = np.flatnonzero(usable & (facing > 0))
    order = keep[np.argsort(-centres[keep, 2], kind="stable")]         # painter's: far first
    lengths = np.linalg.norm(normals[order], axis=-1) * np.linalg.norm(centres[order], axis=-1)
    shade = facing[order] / np.maximum(lengths, 1e-12)                 # cos(normal, view ray)
    return order, np.clip(shade, 0.0, 1.0)


def draw_mesh(image: np.ndarray, vertices_camera: np.ndarray, faces: np.ndarray,
              K: np.ndarray, color: BGR, alpha: float = 0.45,
              min_depth: float = MIN_DEPTH) -> None:
    """A translucent, flat-shaded mesh blended over ``image`` with opacity ``alpha``.

    Back faces and faces with a corner nearer than ``min_depth`` are dropped; the rest are
    painted far to near into a face-index buffer (nearest face wins each pixel), which is
    then coloured by per-face Lambert shading and blended in one step.
    """
    vertices = np.asarray(vertices_camera, dtype=np.float64)          # (V, 3)
    faces = np.asarray(faces)
    order, shade = _visible_faces(vertices[faces], min_depth)         # (N,), (N,)
    if order.size == 0:
        return
    uv = project_points(vertices, K, min_depth)                       # (V, 2)
    corners = np.round(uv[faces[order]] * (1 << _SUBPIXEL_BITS)).astype(np.int32)  # (N, 3, 2)
    face_index = np.zeros(image.shape[:2], dtype=np.int32)  # 0: no face, k: face order[k - 1]
    for k, triangle in enumerate(corners, start=1):
        cv2.fillConvexPoly(face_index, triangle, k, cv2.LINE_8, _SUBPIXEL_BITS)
    covered = face_index > 0                                          # (H, W)
    intensity = _AMBIENT + (1.0 - _AMBIENT) * shade                   # (N,)
    face_colors = intensity[:, None] * np.asarray(color, dtype=np.float64)   # (N, 3)
    painted = face_colors[face_index[covered] - 1]                    # (P, 3)
    blended = (1.0 - alpha) * image[covered] + alpha * painted
    image[covered] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def draw_keypoints(image: np.ndarray, keypoints: np.ndarray, color: BGR,
                   min_conf: float = 0.3, radius: int = 2) -> None:
    """2D detections (K, 3) = u, v, confidence as small dark-ringed dots in ``color``;
    those below ``min_conf`` (or non-finite) are left out."""
    keypoints = np.asarray(keypoints, dtype=np.float64)
    shown = np.isfinite(keypoints).all(-1) & (keypoints[:, 2] >= min_conf)
    for u, v, _ in keypoints[shown]:
        centre = _pixel(np.clip((u, v), -_MAX_PIXEL, _MAX_PIXEL))
        cv2.circle(image, centre, radius + 1, (30, 30, 30), -1, cv2.LINE_AA)
        cv2.circle(image, centre, radius, color, -1, cv2.LINE_AA)


def _text_color(background: BGR) -> BGR:
    """Black or white, whichever reads better on ``background``."""
    b, g, r = background
    return (0, 0, 0) if 0.114 * b + 0.587 * g + 0.299 * r > 140 else (255, 255, 255)


def draw_label(image: np.ndarray, text: str, anchor_xy: Sequence[float], color: BGR,
               scale: float = 0.5) -> None:
    """``text`` on a filled box in ``color`` whose bottom-left corner is at ``anchor_xy``
    (pixels), moved inside the image where it would stick out."""
    (w, h), base = cv2.getTextSize(text, _FONT, scale, 1)
    pad = 3
    height, width = image.shape[:2]
    x = int(np.clip(anchor_xy[0], 0, max(width - w - 2 * pad, 0)))
    y = int(np.clip(anchor_xy[1], h + base + 2 * pad, height))
    cv2.rectangle(image, (x, y - h - base - 2 * pad), (x + w + 2 * pad, y), color, -1)
    cv2.putText(image, text, (x + pad, y - base - pad), _FONT, scale, _text_color(color), 1,
                cv2.LINE_AA)


def draw_legend(image: np.ndarray, lines: Sequence[tuple[str, BGR]],
                scale: float = 0.45) -> None:
    """A small legend in the bottom-left corner: a colour swatch and a text per line."""
    if not lines:
        return
    sizes = [cv2.getTextSize(text, _FONT, scale, 1)[0] for text, _ in lines]   # (w, h)
    pad, swatch = 6, max(h for _, h in sizes) + 2
    row = swatch + 4
    right = 4 * pad + swatch + max(w for w, _ in sizes)
    bottom = image.shape[0] - pad
    top = bottom - row * len(lines) - pad
    cv2.rectangle(image, (pad, top), (right, bottom), (40, 40, 40), -1)
    for i, (text, color) in enumerate(lines):
        y = top + pad + i * row
        cv2.rectangle(image, (2 * pad, y), (2 * pad + swatch, y + swatch), color, -1)
        cv2.putText(image, text, (3 * pad + swatch, y + swatch - 1), _FONT, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)


def draw_banner(image: np.ndarray, text: str, scale: float = 0.5) -> None:
    """A dark strip across the top of the image with ``text`` in white, for notes such as
    "focal length assumed: 691 px (no intrinsics given)"."""
    (_, h), base = cv2.getTextSize(text, _FONT, scale, 1)
    cv2.rectangle(image, (0, 0), (image.shape[1], h + base + 8), (30, 30, 30), -1)
    cv2.putText(image, text, (6, h + 4), _FONT, scale, (255, 255, 255), 1, cv2.LINE_AA)


def _label_anchor(person: RenderedPerson, K: np.ndarray) -> np.ndarray:
    """Where a person's label goes: above the bbox, else above the projected head
    (non-finite when neither is known)."""
    if person.bbox is not None:
        return np.asarray(person.bbox[:2], dtype=np.float64) - (0.0, 4.0)
    return project_points(person.joints_camera[_HEAD], K) - (0.0, 16.0)


def _pelvis_depth(person: RenderedPerson) -> float:
    """Pelvis z (metres); people without a finite pelvis sort as farthest."""
    z = float(person.joints_camera[0, 2])
    return z if np.isfinite(z) else np.inf


def render_people(image_bgr: np.ndarray, people: Sequence[RenderedPerson], K: np.ndarray,
                  faces: np.ndarray | None, show_mesh: bool = True,
                  show_keypoints: bool = True) -> np.ndarray:
    """A copy of ``image_bgr`` with every person drawn in its track colour, far people
    first (by pelvis depth) so nearer ones are on top: mesh (when ``show_mesh`` and the
    person has vertices), skeleton, detections (when ``show_keypoints``) and id label."""
    out = image_bgr.copy()
    for person in sorted(people, key=_pelvis_depth, reverse=True):
        color = track_color(person.track_id)
        if show_mesh and person.vertices_camera is not None and faces is not None:
            draw_mesh(out, person.vertices_camera, faces, K, color)
        draw_skeleton(out, person.joints_camera, K, person.joint_source, color)
        if show_keypoints and person.keypoints is not None:
            draw_keypoints(out, person.keypoints, color)
        anchor = _label_anchor(person, K)
        if np.isfinite(anchor).all():
            draw_label(out, f"#{person.track_id}", anchor, color)
    return out
