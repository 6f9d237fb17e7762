"""Offline clean-up of a person's motion before export. Export runs after the fact, so it
may look ahead, unlike the live node. Each step can be switched off (CleanUpConfig).

1. Uniform frames and gap filling. The track is put on a grid at ``fps`` (default: its own
   median rate). Gaps up to ``max_gap_s`` are filled, rotations by slerp and translation and
   betas linearly. A longer gap (or, with ``fill_gaps`` off, any missing frame) splits the
   track into segments.
2. Constant betas: one body shape per track, the per-frame betas' median.
3. Non-causal smoothing: a zero-phase Gaussian (σ = ``smooth_sigma_s``) along time, on the
   translation and on every joint's quaternion (signs made consistent, then
   renormalised).
4. Foot contact. World joints come from the body model; ground: z = 0 of the world frame.
   - A foot (ankle and foot joints) is in contact while its lowest joint is within
     ``contact_height_m`` of the lowest foot joint's minimum over the surrounding
     ``floor_window_s`` and it moves slower than ``contact_speed_mps``.
   - During each contact the foot is pinned where the contact began. The root takes the
     horizontal offset d_t = pin − foot_t (the mean over the feet in contact). Between
     contacts d_t is interpolated linearly, so nothing jumps.
   - Then the body is raised wherever a foot joint would be below the ground:
     transl_z += max(0, −min_j z_j).
5. The floor. A standing person's soles are on the floor: the track is moved vertically
   so that at its contact frames the lowest foot joint is that joint's height above the
   sole (``sole_clearance``, from the body at rest; a running median over half a second of
   contact frames, linear in between), i.e. the floor is z = 0 under the feet in contact,
   however high the estimate put them and however that drifts (an uncalibrated or
   elevated camera lifts people); then, as after step 4, no foot joint below z = 0. A
   track without contact is left where it is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d, median_filter, minimum_filter1d

from ..body.body_model import BodyModel
from ..body.rest_measures import sole_clearance
from ..body.skeleton import FOOT_JOINTS
from ..geometry.rotations import (axis_angle_to_quaternion, quaternion_to_axis_angle,
                                  slerp_frames)
from .joint_tables import joint_angles
from .person_track import PersonTrack

FEET = ((7, 10), (8, 11))      # (ankle, foot) joints of the left and right foot


@dataclass
class CleanUpConfig:
    fps: float | None = None        # output rate; None: the track's median rate
    fill_gaps: bool = True
    max_gap_s: float = 0.5
    constant_betas: bool = True
    smooth: bool = True
    smooth_sigma_s: float = 0.06
    foot_contact: bool = True
    contact_height_m: float = 0.05
    contact_speed_mps: float = 0.25
    floor_window_s: float = 0.5     # "low": against the lowest foot's minimum over this
    floor: bool = True              # step 5 (needs foot_contact)


@dataclass
class Segment:
    """A cleaned, uniformly sampled part of a track."""

    track: PersonTrack
    fps: float
    contacts: np.ndarray | None = None   # (T, 2) bool, left / right foot, when computed
    floor_shift_m: float = 0.0           # step 5: how far the track was moved down (m)


def track_rate(track: PersonTrack) -> float:
    """The track's median frame rate (Hz)."""
    if track.num_frames < 2:
        raise ValueError(f"{track.name}: one frame only; a motion needs at least two")
    return float(1.0 / np.median(np.diff(track.stamps)))


def clean_up(track: PersonTrack, body: BodyModel, cfg: CleanUpConfig = CleanUpConfig()
             ) -> list[Segment]:
    """The track's segments after the steps of the module doc that ``cfg`` leaves on."""
    fps = cfg.fps or track_rate(track)
    segments = []
    for part in uniform_segments(track, fps, cfg.max_gap_s if cfg.fill_gaps else 0.0):
        if cfg.constant_betas:
            median = np.median(part.betas, axis=0)
            part = replace(part, betas=np.broadcast_to(median, part.betas.shape).copy())
        if cfg.smooth:
            part = smooth(part, cfg.smooth_sigma_s * fps)
        contacts, shift = None, 0.0
        if cfg.foot_contact:
            part, contacts = fix_feet(part, body, fps, cfg)
            if cfg.floor:
                part, shift = put_on_floor(part, body, contacts, fps)
                part = above_ground(part, body)
        segments.append(Segment(part, fps, contacts, shift))
    return segments


def uniform_segments(track: PersonTrack, fps: float, max_gap_s: float) -> list[PersonTrack]:
    """The track on a grid at ``fps`` from its first stamp; gaps over ``max_gap_s`` (and
    over 1.5 frames when it is 0) split it; segments of one frame are dropped."""
    dt = 1.0 / fps
    breaks = np.flatnonzero(np.diff(track.stamps) > max(max_gap_s, 1.5 * dt)) + 1
    out = []
    for rows in np.split(np.arange(track.num_frames), breaks):
        part = track.take(rows)
        n = int(np.floor((part.stamps[-1] - part.stamps[0]) * fps + 1e-6)) + 1
        if n >= 2:
            out.append(resample(part, part.stamps[0] + np.arange(n) * dt))
    return out


def resample(track: PersonTrack, stamps: np.ndarray) -> PersonTrack:
    """The track at ``stamps`` (within its span): slerp for rotations, linear otherwise."""
    i1 = np.clip(np.searchsorted(track.stamps, stamps, side="right"), 1,
                 track.num_frames - 1)
    i0 = i1 - 1
    w = np.clip((stamps - track.stamps[i0]) / (track.stamps[i1] - track.stamps[i0]), 0, 1)
    lerp = lambda x: x[i0] + w[:, None] * (x[i1] - x[i0])  # noqa: E731
    aa = slerp_frames(torch.from_numpy(joint_angles(track)), torch.from_numpy(i0),
                      torch.from_numpy(i1), torch.from_numpy(w)).numpy()  # (T', 22, 3)
    return replace(track, stamps=stamps, betas=lerp(track.betas), transl=lerp(track.transl),
                   global_orient=aa[:, 0], body_pose=aa[:, 1:].reshape(-1, 63))


def smooth(track: PersonTrack, sigma_frames: float) -> PersonTrack:
    """Zero-phase Gaussian smoothing of translation and joint quaternions."""
    q = axis_angle_to_quaternion(torch.from_numpy(joint_angles(track))).numpy()  # (T, 22, 4)
    for t in range(1, len(q)):                                           # one hemisphere
        flip = (q[t] * q[t - 1]).sum(-1) < 0
        q[t, flip] *= -1
    q = gaussian_filter1d(q, sigma_frames, axis=0, mode="nearest")
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    aa = quaternion_to_axis_angle(torch.from_numpy(q)).numpy()
    return replace(track, transl=gaussian_filter1d(track.transl, sigma_frames, axis=0,
                                                   mode="nearest"),
                   global_orient=aa[:, 0], body_pose=aa[:, 1:].reshape(-1, 63))


def world_joints(track: PersonTrack, body: BodyModel) -> np.ndarray:
    """(T, 22, 3) world body joints of the track's parameters."""
    with torch.no_grad():
        joints = body.body_joints(*(torch.from_numpy(np.ascontiguousarray(x)).float() for x in (
            track.betas, track.global_orient, track.body_pose, track.transl)))
    return joints.double().numpy()


def foot_contacts(joints: np.ndarray, fps: float, cfg: CleanUpConfig) -> np.ndarray:
    """(T, 2) bool: each foot low and slow (module doc, step 4); "low" against the
    lowest foot joint's running minimum over ``floor_window_s``, so that a track whose
    height drifts keeps its contacts."""
    out = np.zeros((len(joints), 2), bool)
    size = max(1, int(round(cfg.floor_window_s * fps))) | 1                   # odd
    floor = minimum_filter1d(joints[:, list(FOOT_JOINTS), 2].min(axis=1), size,
                             mode="nearest")                                  # (T,)
    for f, foot in enumerate(FEET):
        low = joints[:, foot, 2].min(axis=1)                             # (T,)
        speed = np.linalg.norm(np.gradient(joints[:, foot[1], :2], axis=0), axis=-1) * fps
        out[:, f] = (low <= floor + cfg.contact_height_m) & (speed < cfg.contact_speed_mps)
    return out


def fix_feet(track: PersonTrack, body: BodyModel, fps: float, cfg: CleanUpConfig
             ) -> tuple[PersonTrack, np.ndarray]:
    """Planted feet stay put and no foot goes below the ground (module doc, step 4)."""
    joints = world_joints(track, body)
    contacts = foot_contacts(joints, fps, cfg)
    T = len(joints)
    total, count = np.zeros((T, 2)), np.zeros(T)
    for f, foot in enumerate(FEET):
        position = joints[:, foot[1], :2]                                # (T, 2)
        for start, stop in _runs(contacts[:, f]):
            total[start:stop] += position[start] - position[start:stop]  # pin - foot_t
            count[start:stop] += 1
    known = count > 0
    offsets = np.zeros((T, 2))
    if known.any():                         # linear between contacts, held at the ends
        t = np.arange(T)
        mean = total[known] / count[known, None]
        offsets = np.stack([np.interp(t, t[known], mean[:, k]) for k in range(2)], -1)
    transl = track.transl.copy()
    transl[:, :2] += offsets
    return above_ground(replace(track, transl=transl), body), contacts


def above_ground(track: PersonTrack, body: BodyModel) -> PersonTrack:
    """The body raised wherever a foot joint would be below the ground z = 0."""
    lowest = world_joints(track, body)[:, list(FOOT_JOINTS), 2].min(axis=1)   # (T,)
    transl = track.transl.copy()
    transl[:, 2] += np.maximum(0.0, -lowest)
    return replace(track, transl=transl)


def put_on_floor(track: PersonTrack, body: BodyModel, contacts: np.ndarray, fps: float,
                 window_s: float = 0.5) -> tuple[PersonTrack, float]:
    """The track moved vertically onto the floor z = 0 (module doc, step 5); and the
    median of how far it went down (m; negative: up). The shift follows the contacts: at
    each contact frame the running median (over ``window_s`` of contact frames) of the
    lowest foot joint's height above its sole height, linear between contacts and held
    at the ends, so a track whose height drifts (depth errors as a person walks away from
    an elevated camera) has every contact on the floor. Without any contact it stays."""
    frames = np.flatnonzero(contacts.any(axis=1))
    if not len(frames):
        return track, 0.0
    lowest = world_joints(track, body)[:, list(FOOT_JOINTS), 2].min(axis=1)   # (T,)
    above = lowest[frames] - sole_clearance(body, track.betas[0])
    size = max(1, min(len(frames), int(round(window_s * fps))) | 1)           # odd
    above = median_filter(above, size=size, mode="nearest")
    shift = np.interp(np.arange(track.num_frames), frames, above)             # (T,)
    transl = track.transl.copy()
    transl[:, 2] -= shift
    return replace(track, transl=transl), float(np.median(shift))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, stop) of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))
