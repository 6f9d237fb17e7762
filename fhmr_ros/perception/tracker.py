"""Multi-person tracking of 2D detections: stable ids for the people a detector finds.

Each track runs a ``BoxKalmanFilter`` (constant velocity, time-step aware) and keeps the
keypoints of its last detection. Per frame, every track is predicted to the frame's stamp
and matched to the detections by minimum total cost (Hungarian assignment)::

    cost(t, d) = 1 - (w_iou * IoU(b_t, b_d) + w_kpt * OKS(t, d))

    OKS(t, d)  = mean over k in V of exp(-|p_tk - p_dk|^2 / (2 * s_t^2))
    s_t^2      = sigma^2 * area(b_t) + var_t

``b_t`` is the track's predicted box, ``b_d`` the detection's box, ``p_tk`` the track's last
keypoints moved with the predicted box (``p -> c_t + (p - c_last) * size_t / size_last``,
c the box centre and size its width and height), ``V`` the keypoints whose confidence is at
least ``min_keypoint_confidence`` in both. ``var_t`` is the filter's variance of the
predicted box centre: keypoints are compared more leniently while a track's motion is still
unknown (a new track) or uncertain (a lost one). When fewer than ``min_common_keypoints`` remain
(or the keypoint formats differ) the pair is scored on boxes alone: ``cost = 1 - IoU``.
A pair is impossible (gated, cost ``GATED_COST``) when ``IoU < gate_iou`` and the centres
are more than ``gate_distance`` predicted box heights apart. Detections that carry the
detector's own track id (``source_id``, e.g. keypoints from another node) follow it: the
pair with the id the track last had costs 0, a pair with another id is impossible. Every
cost above ``max_cost`` is raised to ``GATED_COST`` before the assignment, so the
assignment first maximises the number of acceptable pairs and then minimises their cost;
pairs left above ``max_cost`` are dropped.

The assignment runs in two passes: first the CONFIRMED tracks (seen in the previous frame)
against all detections, then the TENTATIVE and LOST tracks against the detections left.
A well-established, currently visible person thus keeps their detection even when a lost
track's drifting prediction or a tentative track on a spurious detection overlaps it.

Track states::

    (new detection) --> TENTATIVE --matched, hits >= min_hits--> CONFIRMED
    TENTATIVE --missed--> deleted
    CONFIRMED --missed--> LOST --matched--> CONFIRMED
    LOST --not matched within max_lost_s of its last detection--> deleted

Ids count up from ``first_id`` (1 by default) and are never reused within a tracker's
lifetime, even after ``reset()``; ``run_first_id()`` gives a first id that a later run will
not repeat either. Tracks are capped at ``max_tracks`` (lost ones keep their slot); detections
that find no free slot are counted in ``num_rejected_over_limit``.
"""

from __future__ import annotations

import enum
import math
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from .box_filter import BoxFilterConfig, BoxKalmanFilter, xyxy_to_cxcywh
from .boxes import box_iou
from .detection import PersonDetection

GATED_COST = 1e6   # cost of an impossible or unacceptable track-detection pair


IDS_PER_SECOND = 10_000
ID_CYCLE_S = 400_000        # 4.6 days: IDS_PER_SECOND * ID_CYCLE_S fits in a uint32


def run_first_id(now_s: float | None = None) -> int:
    """A first track id for a run starting now: 10 000 ids per second of start time, in a
    4.6-day cycle, so a restarted node (or a second one) does not hand out the ids of an
    earlier run — unless that run made 10 000 tracks per second it was up."""
    now_s = time.time() if now_s is None else now_s
    return 1 + (int(now_s) % ID_CYCLE_S) * IDS_PER_SECOND


@dataclass
class TrackerConfig:
    """Association weights, gates and track life-cycle limits."""

    iou_weight: float = 0.5             # w_iou; w_iou + w_kpt must be 1
    keypoint_weight: float = 0.5        # w_kpt
    max_cost: float = 0.7               # assignments costing more are rejected
    gate_iou: float = 0.01              # gate pairs with IoU below this ...
    gate_distance: float = 1.0          # ... and centres further apart (box heights)
    keypoint_sigma: float = 0.1         # OKS falloff, fraction of sqrt(box area)
    min_keypoint_confidence: float = 0.5
    min_common_keypoints: int = 4       # fewer confident in both: boxes alone
    min_hits: int = 3                   # matched detections to confirm a track
    max_lost_s: float = 1.0             # a lost track is kept this long for re-association
    max_tracks: int = 16
    min_score: float = 0.3              # detections below are ignored (counted)
    first_id: int = 1                   # ids count up from here
    box_filter: BoxFilterConfig = field(default_factory=BoxFilterConfig)

    def __post_init__(self):
        if min(self.iou_weight, self.keypoint_weight) < 0 or not math.isclose(
                self.iou_weight + self.keypoint_weight, 1.0, abs_tol=1e-6):
            raise ValueError("iou_weight and keypoint_weight must be >= 0 and sum to 1, got "
                             f"{self.iou_weight} and {self.keypoint_weight}")
        if self.min_hits < 1 or self.max_tracks < 1:
            raise ValueError(f"min_hits and max_tracks must be >= 1, got {self.min_hits} "
                             f"and {self.max_tracks}")
        if self.max_lost_s < 0:
            raise ValueError(f"max_lost_s must be >= 0, got {self.max_lost_s}")


class TrackState(enum.Enum):
    TENTATIVE = "tentative"   # not yet matched min_hits times
    CONFIRMED = "confirmed"   # matched in the latest frame
    LOST = "lost"             # confirmed once, not matched in the latest frame


@dataclass
class TrackedPerson:
    """One live track in one frame."""

    track_id: int
    state: TrackState
    bbox: np.ndarray                        # (4,) float32 xyxy: the detection's, else predicted
    detection: PersonDetection | None       # the matched detection, None when missed
    age_s: float                            # since the track's first detection
    hits: int                               # matched detections so far
    time_since_update_s: float              # 0 when matched in this frame


@dataclass
class _Track:
    track_id: int
    filter: BoxKalmanFilter
    detection: PersonDetection              # latest matched detection
    anchor: np.ndarray                      # (4,) cx, cy, w, h of the filter after that match
    first_stamp: float
    last_hit_stamp: float
    state: TrackState = TrackState.TENTATIVE
    hits: int = 1
    matched_now: bool = True


def keypoint_similarity(track_keypoints: np.ndarray, det_keypoints: np.ndarray, scale2: float,
                        min_confidence: float, min_common: int) -> np.ndarray:
    """OKS-like similarity of one track's (K, 3) keypoints to (D, K, 3) detections' keypoints,
    ``mean_k exp(-d_k^2 / (2 scale2))`` over the keypoints at least ``min_confidence``
    confident in both.

    Returns (D,) values in [0, 1], NaN where fewer than ``min_common`` keypoints qualify.
    """
    d2 = np.sum((det_keypoints[:, :, :2] - track_keypoints[None, :, :2]) ** 2, axis=-1)
    valid = ((track_keypoints[None, :, 2] >= min_confidence)
             & (det_keypoints[:, :, 2] >= min_confidence) & np.isfinite(d2))  # (D, K)
    e = np.exp(-d2 / (2 * max(scale2, 1.0)))                                 # (D, K)
    count = valid.sum(axis=1)                                                # (D,)
    oks = np.where(valid, e, 0.0).sum(axis=1) / np.maximum(count, 1)
    return np.where(count >= min_common, oks, np.nan)


class MultiPersonTracker:
    """Assigns persistent ids to per-frame person detections; see the module docstring."""

    def __init__(self, config: TrackerConfig | None = None):
        self.config = config or TrackerConfig()
        self._tracks: list[_Track] = []
        self._stamp: float | None = None     # stamp of the latest update
        self._next_id = self.config.first_id
        self.num_created = 0                 # tracks started (lifetime of the tracker)
        self.num_rejected_over_limit = 0     # detections left without a track: max_tracks
        self.num_ignored_low_score = 0       # detections below min_score
        self.num_ignored_invalid = 0         # detections with a non-finite or empty box

    def reset(self) -> None:
        """Forget all tracks and the time line (e.g. after time jumped backwards). Ids and
        counters carry on."""
        self._tracks = []
        self._stamp = None

    def _check_stamp(self, stamp: float) -> float:
        stamp = float(stamp)
        if not math.isfinite(stamp):
            raise ValueError(f"timestamp must be finite, got {stamp}")
        if self._stamp is not None and stamp < self._stamp:
            raise ValueError(f"timestamp {stamp:.6f} s is earlier than the previous frame's "
                             f"{self._stamp:.6f} s: time went backwards; call reset() to "
                             "start tracking afresh")
        return stamp

    def predicted_boxes(self, stamp: float) -> np.ndarray:
        """(R, 4) float32 xyxy boxes where the live tracks (tentative, confirmed, and lost
        ones still within max_lost_s) are expected at ``stamp``, in track order. Tentative
        tracks are included so that a detector following tracked regions can confirm them.
        Changes nothing."""
        stamp = self._check_stamp(stamp)
        if self._stamp is None:
            return np.zeros((0, 4), dtype=np.float32)
        dt = stamp - self._stamp
        boxes = [t.filter.predicted_box(dt) for t in self._tracks
                 if stamp - t.last_hit_stamp <= self.config.max_lost_s]
        return np.asarray(boxes, dtype=np.float32).reshape(-1, 4)           # (R, 4) xyxy

    def predicted_regions(self, stamp: float) -> np.ndarray:
        """(R, 4) where a region-following detector should look for each live track, in
        the order of ``predicted_boxes``: the latest detection's region (PersonDetection.
        region, else its box) moved as far as the box's centre is predicted to have moved
        since that detection, its size kept (a size trend extrapolated from landmarks of
        shrinking crops shrinks them further)."""
        stamp = self._check_stamp(stamp)
        if self._stamp is None:
            return np.zeros((0, 4), dtype=np.float32)
        dt = stamp - self._stamp
        regions = []
        for t in self._tracks:
            if stamp - t.last_hit_stamp > self.config.max_lost_s:
                continue
            region = t.detection.region if t.detection.region is not None else t.detection.bbox
            box = t.filter.predicted_box(dt)
            shift = 0.5 * (box[:2] + box[2:]) - t.anchor[:2]        # since that detection
            regions.append(np.asarray(region, np.float64) + np.tile(shift, 2))
        return np.asarray(regions, dtype=np.float32).reshape(-1, 4)

    def update(self, detections: list[PersonDetection], stamp: float) -> list[TrackedPerson]:
        """Advance to ``stamp`` (seconds, not earlier than the previous call's) with this
        frame's detections; returns every live track (tentative, confirmed and lost) in
        increasing id order."""
        stamp = self._check_stamp(stamp)
        dt = 0.0 if self._stamp is None else stamp - self._stamp
        self._stamp = stamp
        cfg = self.config
        detections = self._usable(detections)

        self._tracks = [t for t in self._tracks if stamp - t.last_hit_stamp <= cfg.max_lost_s]
        for track in self._tracks:
            track.filter.predict(dt)
            track.matched_now = False

        det_boxes = np.array([d.bbox for d in detections], dtype=np.float64).reshape(-1, 4)
        free = list(range(len(detections)))
        first = [t for t in self._tracks if t.state is TrackState.CONFIRMED]
        second = [t for t in self._tracks if t.state is not TrackState.CONFIRMED]
        for tracks in (first, second):
            pairs = self._associate(tracks, [detections[i] for i in free], det_boxes[free])
            for ti, di in pairs:
                self._hit(tracks[ti], detections[free[di]], stamp)
            taken = {free[di] for _, di in pairs}
            free = [i for i in free if i not in taken]

        self._tracks = [t for t in self._tracks
                        if t.matched_now or t.state is not TrackState.TENTATIVE]
        for track in self._tracks:
            if not track.matched_now:
                track.state = TrackState.LOST
        for i in sorted(free, key=lambda i: -detections[i].score):
            if len(self._tracks) >= cfg.max_tracks:
                self.num_rejected_over_limit += 1
            else:
                self._start(detections[i], stamp)
        return [self._output(t, stamp) for t in sorted(self._tracks, key=lambda t: t.track_id)]

    def _usable(self, detections: list[PersonDetection]) -> list[PersonDetection]:
        kept = []
        for det in detections:
            box = np.asarray(det.bbox, dtype=np.float64).reshape(4)
            if not (np.all(np.isfinite(box)) and box[2] > box[0] and box[3] > box[1]):
                self.num_ignored_invalid += 1
            elif not det.score >= self.config.min_score:
                self.num_ignored_low_score += 1
            else:
                kept.append(det)
        return kept

    def _associate(self, tracks: list[_Track], detections: list[PersonDetection],
                   det_boxes: np.ndarray) -> list[tuple[int, int]]:
        """(track index, detection index) pairs of an acceptable minimum-cost assignment."""
        if not tracks or not detections:
            return []
        cost = self._cost_matrix(tracks, detections, det_boxes)             # (T, D)
        cost[cost > self.config.max_cost] = GATED_COST
        rows, cols = linear_sum_assignment(cost)
        return [(r, c) for r, c in zip(rows, cols) if cost[r, c] <= self.config.max_cost]

    def _cost_matrix(self, tracks: list[_Track], detections: list[PersonDetection],
                     det_boxes: np.ndarray) -> np.ndarray:
        cfg = self.config
        pred = np.array([t.filter.box for t in tracks])                      # (T, 4) xyxy
        iou = box_iou(pred, det_boxes)                                       # (T, D)
        pred_c = (pred[:, :2] + pred[:, 2:]) / 2                             # (T, 2)
        det_c = (det_boxes[:, :2] + det_boxes[:, 2:]) / 2                    # (D, 2)
        dist = np.linalg.norm(pred_c[:, None] - det_c[None], axis=-1)        # (T, D)
        heights = pred[:, 3] - pred[:, 1]                                    # (T,)
        gated = (iou < cfg.gate_iou) & (dist > cfg.gate_distance * heights[:, None])

        oks = np.full(iou.shape, np.nan)                                     # (T, D)
        if cfg.keypoint_weight > 0:
            for ti, track in enumerate(tracks):
                cand = [di for di in np.flatnonzero(~gated[ti])
                        if _comparable(track.detection, detections[di])]
                if cand:
                    det_kp = np.stack([detections[di].keypoints for di in cand])
                    det_kp = det_kp.astype(np.float64)                       # (C, K, 3)
                    box = xyxy_to_cxcywh(pred[ti])
                    scale2 = (cfg.keypoint_sigma**2 * box[2] * box[3]
                              + track.filter.centre_variance)
                    oks[ti, cand] = keypoint_similarity(
                        _moved_keypoints(track, box), det_kp, scale2,
                        cfg.min_keypoint_confidence, cfg.min_common_keypoints)
        affinity = np.where(np.isnan(oks), iou,
                            cfg.iou_weight * iou + cfg.keypoint_weight * np.nan_to_num(oks))
        return _keep_source_ids(tracks, detections, np.where(gated, GATED_COST, 1.0 - affinity))

    def _hit(self, track: _Track, det: PersonDetection, stamp: float) -> None:
        track.filter.update(det.bbox)
        track.anchor = xyxy_to_cxcywh(track.filter.box)
        track.detection = det
        track.last_hit_stamp = stamp
        track.hits += 1
        track.matched_now = True
        if track.state is TrackState.LOST or track.hits >= self.config.min_hits:
            track.state = TrackState.CONFIRMED

    def _start(self, det: PersonDetection, stamp: float) -> None:
        filt = BoxKalmanFilter(det.bbox, self.config.box_filter)
        state = TrackState.CONFIRMED if self.config.min_hits <= 1 else TrackState.TENTATIVE
        self._tracks.append(_Track(self._next_id, filt, det, xyxy_to_cxcywh(filt.box),
                                   stamp, stamp, state))
        self._next_id += 1
        self.num_created += 1

    @staticmethod
    def _output(track: _Track, stamp: float) -> TrackedPerson:
        det = track.detection if track.matched_now else None
        box = det.bbox if det is not None else track.filter.box
        return TrackedPerson(track.track_id, track.state, np.array(box, dtype=np.float32),
                             det, stamp - track.first_stamp, track.hits,
                             stamp - track.last_hit_stamp)


def _keep_source_ids(tracks: list[_Track], detections: list[PersonDetection],
                     cost: np.ndarray) -> np.ndarray:
    """(T, D) costs where the detector's own ids decide: a detection with the id a track
    last had takes it (cost 0), and cannot take a track that had another id."""
    for ti, track in enumerate(tracks):
        if track.detection.source_id is None:
            continue
        for di, det in enumerate(detections):
            if det.source_id is not None:
                cost[ti, di] = 0.0 if det.source_id == track.detection.source_id else GATED_COST
    return cost


def _comparable(a: PersonDetection, b: PersonDetection) -> bool:
    return a.keypoint_format == b.keypoint_format and a.keypoints.shape == b.keypoints.shape


def _moved_keypoints(track: _Track, box: np.ndarray) -> np.ndarray:
    """(K, 3) the track's last keypoints carried from its anchor box to ``box`` (cx, cy, w, h)."""
    kp = track.detection.keypoints.astype(np.float64)                       # (K, 3)
    ratio = box[2:] / np.maximum(track.anchor[2:], 1.0)                      # (2,)
    moved = kp.copy()
    moved[:, :2] = box[:2] + (kp[:, :2] - track.anchor[:2]) * ratio
    return moved
