"""The streaming inference engine: per-track sliding windows, all tracks batched.

Every ``stride`` new grid frames of a track (StreamingConfig), the engine runs the model on
its last W grid frames: Stage 1 gives the anchor, Stage 2 completes the rest with known
coordinates = the anchor on every frame and, optionally, the states of the latest
``known_frames`` frames already published (temporal inpainting). By default none are held:
a frame published near a window's end has seen only ``lag`` frames of the future, and a run
made to continue such frames carries their errors on (measured in docs/evaluation.md, "Keypoints
from another node"; a COCO-17 source does better holding them). Frames older than ``lag``
grid frames at the window's end become final and are published; L = 0 is fully causal.
Tracks due at the same time share one forward pass (CFG doubles the batch, not the
passes; young tracks' shorter windows are padded in front and masked); when one track is
due, tracks half-way to their next run join it, so tracks that started at different times
fall into step. The world position filter (model/world.py) continues across chunks, so it
stays causal and smooth.
A track nobody has seen for ``unseen_wait_s`` (out of view, hidden, missed) has its held-back
frames published by a run without look-ahead, as if it had ended: an image is
published when all its people are, so one person's gap would otherwise hold up every later
image until they came back or ``max_idle_s`` ended them. If they come back, the track goes on
(the next run starts after the published frames, without a cross-fade); a track still too
short to run (``min_frames``) is dropped instead, and starts afresh should they come back.
A new run's first unpublished frames are cross-faded from the previous run's look-ahead
for them into its own (``blend_frames``, at most the lag; model/sequence.py), so that the
hand-over from published to newly generated frames does not jerk.
Each published pelvis is moved so that the skeleton projects onto the detected keypoints: a
slowly varying per-track depth scale and a per-frame lateral shift
(streaming/root_alignment.py); the states kept for inpainting stay the model's own.

The engine is stateful and network-free apart from the model it is handed: the video
runner (tools/video.py) and the ROS node feed it the same way.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import torch
from torch import Tensor

from ..body.keypoints import body_joint_confidence, keypoint_format
from ..geometry.gravity_view import heading_yaw
from ..geometry.rotations import axis_angle_to_matrix, matrix_to_axis_angle, rotation_about_axis
from ..model.inputs import bbox_from_keypoints, build_inputs
from ..model.joint_uncertainty import model_uncertainty, published_uncertainty
from ..model.pipeline import MODES, FactorizedHMR, Prediction, check_mode, joint_source
from ..model.representation import DIM
from ..model.sequence import crossfade
from ..model.world import predict_next_pelvis
from .floor_scale import FloorConfig, FloorScale
from .pose_buffer import PoseBuffer
from .root_alignment import RootAligner, keypoint_pairs
from .settings import NodeSettings
from .track_stream import GridFrame, TrackStream


@dataclass
class StreamingConfig:
    """Window W (None: the checkpoint's), stride S and lag L in model grid frames. What
    the node has as a parameter defaults to the node's value (streaming/settings.py), so
    fhmr-eval --streaming, fhmr-bench and fhmr-video run what the node runs."""

    window: int | None = None
    stride: int = NodeSettings.stride
    lag: int = NodeSettings.lag
    min_frames: int = 8          # a track's first run waits for this many grid frames
    max_gap_s: float = NodeSettings.max_gap_s   # longer gaps: unobserved, not interpolated
    max_idle_s: float = 1.0      # a track unseen this long is finished and forgotten
    unseen_wait_s: float = 0.3   # ... this long: the frames its lag holds back are published
    mode: str = "two_stage"      # or another of fhmr_ros.model.pipeline.MODES
    steps: int | None = None     # sampling overrides (None: the checkpoint's defaults)
    guidance: float | None = None
    guidance_until: float | None = None
    temperature: float | None = None
    blend_frames: int | None = None
    known_frames: int = NodeSettings.known_frames   # published frames a run holds known
    hypotheses: int = NodeSettings.hypotheses       # > 1: per-joint uncertainty (spread)
    seed: int | None = 0
    align_root: bool = NodeSettings.align_root      # fit each pelvis to the keypoints
    align_depth_window: int = 30  # grid frames in the running median of the depth scale
    align_shift_window: int = 9   # ... and of the lateral shift
    align_min_confidence: float = 0.5
    floor: FloorConfig | None = None   # the floor (or a performer's height) sets the scale

    def __post_init__(self) -> None:
        check_mode(self.mode)
        if self.stride < 1 or self.lag < 0 or self.min_frames < 1:
            raise ValueError("stride and min_frames must be >= 1 and lag >= 0")
        if not 0 <= self.unseen_wait_s <= self.max_idle_s:
            raise ValueError("unseen_wait_s must lie in [0, max_idle_s]")
        if self.known_frames < 0:
            raise ValueError("known_frames must be >= 0")


@dataclass
class PersonObservation:
    """One tracked person in one image."""

    track_id: int
    keypoints: np.ndarray       # (K, 3) u, v pixels, confidence
    bbox: np.ndarray | None     # (4,) xyxy pixels, or None: around the keypoints


@dataclass
class FrameResult:
    """The published state of one track at one grid frame (numpy, float32)."""

    track_id: int
    stamp: float
    frame: int                      # grid frame index within the track
    observed: bool                  # a detection lies within half a grid step of ``stamp``
    keypoints: np.ndarray           # (K, 3) the observation on the grid
    bbox: np.ndarray                # (4,) xyxy, NaN when unobserved
    K: np.ndarray                   # (3, 3)
    T_world_camera: np.ndarray      # (4, 4)
    betas: np.ndarray               # (10,)
    global_orient_camera: np.ndarray  # (3,) axis-angle
    body_pose: np.ndarray           # (63,) axis-angle, joints 1..21
    transl_camera: np.ndarray       # (3,) SMPL-X transl
    joints_camera: np.ndarray       # (22, 3)
    global_orient_world: np.ndarray  # (3,)
    transl_world: np.ndarray        # (3,)
    joints_world: np.ndarray        # (22, 3)
    pelvis_world: np.ndarray        # (3,)
    root_velocity: np.ndarray       # (3,) heading frame, m/s
    contact: np.ndarray             # (4,) feet, hands
    joint_source: np.ndarray        # (22,) uint8: 0 anchor, 1 completed
    R_world_root: np.ndarray        # (3, 3) the world root orientation's matrix
    velocity_world: np.ndarray      # (6,) pelvis: linear m/s, then angular rad/s (yaw rate)
    joint_uncertainty: np.ndarray | None = None  # (22,) m: _joint_uncertainty

    def seen_from(self, T_world_camera: np.ndarray) -> FrameResult:
        """The same person with the camera-frame fields expressed in the camera at pose
        ``T_world_camera`` (4, 4) (e.g. the image's, a few ms from the grid frame's): with
        D = T_new⁻¹ T_grid, joints p' = D p, root R' = R_D R, and transl' = p'_pelvis − J0,
        where J0 = p_pelvis − transl is the rest pelvis. World fields are unchanged, so the
        two frames still agree exactly, through the new pose."""
        T_new = np.asarray(T_world_camera, np.float64)
        if np.array_equal(T_new, self.T_world_camera):
            return self
        D = np.linalg.solve(T_new, self.T_world_camera.astype(np.float64))   # (4, 4)
        joints = self.joints_camera.astype(np.float64) @ D[:3, :3].T + D[:3, 3]  # (22, 3)
        rest_pelvis = self.joints_camera[0] - self.transl_camera             # (3,)
        R = D[:3, :3] @ axis_angle_to_matrix(torch.from_numpy(
            self.global_orient_camera.astype(np.float64))).numpy()
        orient = matrix_to_axis_angle(torch.from_numpy(R)).numpy()
        return replace(self, T_world_camera=T_new.astype(np.float32),
                       joints_camera=joints.astype(np.float32),
                       transl_camera=(joints[0] - rest_pelvis).astype(np.float32),
                       global_orient_camera=orient.astype(np.float32))


@dataclass
class EngineStats:
    runs: int = 0
    frames_published: int = 0
    tracks_started: int = 0
    tracks_finished: int = 0
    short_tracks_dropped: int = 0   # finished before min_frames grid frames: no output
    unseen_runs: int = 0            # runs that published unseen tracks' last frames early
    last_batch: int = 0
    last_run_ms: float = 0.0
    run_ms: list[float] = field(default_factory=list)


class StreamingEngine:
    """Feed it one image at a time with ``update``; it returns the frames that became final."""

    def __init__(self, model: FactorizedHMR, config: StreamingConfig | None = None,
                 device: torch.device | str = "cpu") -> None:
        self.model = model.eval()
        self.cfg = config or StreamingConfig()
        self.device = torch.device(device)
        self.window = self.cfg.window or model.cfg.window
        self.fps = model.cfg.fps
        self.opts = model.default_sampling(steps=self.cfg.steps, guidance=self.cfg.guidance,
                                           guidance_until=self.cfg.guidance_until,
                                           temperature=self.cfg.temperature,
                                           blend_frames=self.cfg.blend_frames,
                                           hypotheses=self.cfg.hypotheses, seed=self.cfg.seed)
        self.camera = PoseBuffer(max_age_s=max(4.0, 2 * self.window / self.fps))
        self.tracks: dict[int, TrackStream] = {}
        self.stats = EngineStats()
        self._source = joint_source().numpy()
        self.floor_z = self.cfg.floor.floor_z if self.cfg.floor is not None else 0.0
        self._format = keypoint_format(model.cfg.inputs.keypoint_format)
        self._align_pairs = keypoint_pairs(self._format)
        self._uncertainty = {m: model_uncertainty(getattr(model, "meta", {}), m) for m in MODES}

    def set_floor_height(self, z: float) -> None:
        """The floor's height in the world frame from now on (the node: z = 0 of its
        floor_frame at the newest image; else the floor config's)."""
        self.floor_z = float(z)

    def set_hypotheses(self, n: int) -> None:
        """Stage-2 samples per window from the next run on (a live parameter)."""
        self.cfg = replace(self.cfg, hypotheses=n)
        self.opts = replace(self.opts, hypotheses=n)

    def track_ids(self) -> set[int]:
        """Ids of the tracks held (each has frames still to run or to publish)."""
        return set(self.tracks)

    def reset(self) -> None:
        """Forget every track and the camera history (e.g. time jumped backwards)."""
        self.tracks.clear()
        self.camera.clear()

    def update(self, stamp: float, T_world_camera: np.ndarray, K: np.ndarray,
               people: list[PersonObservation]) -> list[FrameResult]:
        """One image: its stamp (s), camera pose (4, 4), intrinsics (3, 3) and the tracked
        people in it. Raises ValueError when ``stamp`` is older than the previous one."""
        self.camera.add(stamp, T_world_camera)
        for p in people:
            track = self.tracks.get(p.track_id)
            if track is None:
                aligner = RootAligner(self.cfg.align_depth_window, self.cfg.align_shift_window,
                                      self.cfg.align_min_confidence)
                track = self.tracks[p.track_id] = TrackStream(
                    p.track_id, self.fps, self.window, self.cfg.max_gap_s, aligner,
                    held=min(self.cfg.known_frames, self.window))
                if self.cfg.floor is not None:
                    track.floor = FloorScale(self.cfg.floor, self.model.body)
                self.stats.tracks_started += 1
            track.add_observation(stamp, p.keypoints, self._bbox(p), K, self._camera_at)
        results = []
        for tid in [t for t, tr in self.tracks.items()
                    if stamp - tr.last_seen > self.cfg.max_idle_s]:
            results += self.finish(tid)
        seen = {p.track_id for p in people}
        unseen = [tr for tid, tr in self.tracks.items() if tid not in seen
                  and tr.num_emitted < tr.num_frames
                  and stamp - tr.last_seen >= self.cfg.unseen_wait_s]
        for tr in [tr for tr in unseen if tr.num_frames < self.cfg.min_frames]:
            self.finish(tr.track_id)        # too short to run: should they return, afresh
        unseen = [tr for tr in unseen if tr.num_frames >= self.cfg.min_frames]
        if unseen:                  # their held-back frames go out without more look-ahead
            self.stats.unseen_runs += 1
            results += self._run(unseen, final=True)
        ready = [tr for tr in self.tracks.values() if tr.num_frames >= self.cfg.min_frames]
        new = lambda tr: tr.num_frames - tr.num_at_last_run  # noqa: E731
        if any(new(tr) >= self.cfg.stride for tr in ready):
            # tracks at least half-way to their next run join this batch: fewer, larger passes
            results += self._run([tr for tr in ready if 2 * new(tr) >= self.cfg.stride],
                                 final=False)
        return sorted(results, key=lambda r: (r.stamp, r.track_id))

    @staticmethod
    def _bbox(p: PersonObservation) -> np.ndarray:
        """(4,) the detector's box, else the keypoints' (as for OBS files); NaN if neither."""
        if p.bbox is not None:
            return np.asarray(p.bbox, np.float32)
        box, valid = bbox_from_keypoints(torch.from_numpy(np.asarray(p.keypoints, np.float32)))
        return box.numpy() if bool(valid) else np.full(4, np.nan, np.float32)

    def _camera_at(self, stamp: float) -> np.ndarray:
        return self.camera.at(stamp, tolerance_s=1e-6)   # grid times round to the image's

    def finish(self, track_id: int) -> list[FrameResult]:
        """Publish what is left of a track (ignoring the lag) and forget it."""
        track = self.tracks.pop(track_id)
        self.stats.tracks_finished += 1
        if track.num_frames < self.cfg.min_frames:
            self.stats.short_tracks_dropped += 1
            return []
        return self._run([track], final=True)

    def flush(self) -> list[FrameResult]:
        """Finish every track (end of a video or a recording)."""
        results = []
        for tid in list(self.tracks):
            results += self.finish(tid)
        return sorted(results, key=lambda r: (r.stamp, r.track_id))

    # ---------------------------------------------------------------- model runs
    def _run(self, tracks: list[TrackStream], final: bool) -> list[FrameResult]:
        due = [tr for tr in tracks if tr.num_emitted < tr.num_frames]
        if not due:
            return []
        t = time.perf_counter()
        results = self._run_batch(due, final)
        ms = 1000 * (time.perf_counter() - t)
        self.stats.runs += 1
        self.stats.last_batch, self.stats.last_run_ms = len(due), ms
        self.stats.run_ms = (self.stats.run_ms + [ms])[-1000:]
        self.stats.frames_published += len(results)
        return results

    @torch.no_grad()
    def _run_batch(self, group: list[TrackStream], final: bool) -> list[FrameResult]:
        """One forward pass for all of ``group``: each track's last min(W, frames) grid
        frames; shorter windows are padded in front (repeating their first frame) and
        masked out of attention, which leaves their outputs as if run alone."""
        lengths = [min(self.window, tr.num_frames) for tr in group]
        length = max(lengths)
        pads = [length - n for n in lengths]
        windows = [tr.window(n) for tr, n in zip(group, lengths)]
        padded = [[w[0]] * pad + w for w, pad in zip(windows, pads)]
        stack = lambda name: torch.from_numpy(np.stack(  # noqa: E731
            [np.stack([getattr(f, name) for f in w]) for w in padded])).to(self.device)
        T_wc = stack("T_world_camera").float()                          # (B, T, 4, 4)
        inputs = build_inputs(stack("keypoints").float(), stack("K").float(), T_wc,
                              stack("bbox").float())
        frame_mask = None                                               # (B, T) False: pad
        if any(pads):
            frame_mask = torch.arange(length, device=self.device)[None] >= torch.tensor(
                pads, device=self.device)[:, None]
        known_x = torch.zeros(len(group), length, DIM, device=self.device)
        known = torch.zeros(len(group), length, DIM, dtype=torch.bool, device=self.device)
        for b, tr in enumerate(group):
            states = tr.latest_published(tr.num_frames - lengths[b])   # in the window
            if states:
                end = pads[b] + tr.num_emitted - (tr.num_frames - lengths[b])
                known_x[b, end - len(states):end] = torch.stack(states).to(self.device)
                known[b, end - len(states):end] = True
        samples = None
        first = self.model.deterministic_pass(self.cfg.mode)(inputs, frame_mask)
        x = self.model.state_without_sampling(self.cfg.mode, first)    # (B, T, D)
        if x is None:                                                   # first: the anchor
            out = self.model.complete(inputs, first, self.opts, known_x, known, frame_mask)
            x = out.mean(0)
            samples = out if self.opts.hypotheses > 1 else None
        results = []
        for b, (tr, frames) in enumerate(zip(group, windows)):
            start = tr.num_frames - lengths[b]
            stop = tr.num_frames if final else max(tr.num_frames - self.cfg.lag, tr.num_emitted)
            lo, hi = tr.num_emitted - start, stop - start               # in the track's window
            tr.num_at_last_run = tr.num_frames
            if hi <= lo:
                continue
            out_frames = slice(pads[b] + lo, pads[b] + hi)              # in the padded batch
            xb = x[b:b + 1, out_frames]
            k = min(self.opts.blend_frames, hi - lo, len(tr.lookahead))
            if k:
                xb[0, :k] = crossfade(tr.lookahead[:k].to(xb), xb[0, :k])
            tr.lookahead = x[b, pads[b] + hi:pads[b] + lengths[b]].cpu()
            first = None if tr.next_pelvis_world is None else tr.next_pelvis_world[None]
            pelvis = (self._aligned_pelvis(tr, frames[lo:hi], xb)
                      if self.cfg.align_root else None)
            decode = functools.partial(
                self.model.decode, xb, T_wc[b:b + 1, out_frames],
                None if samples is None else samples[:, b:b + 1, out_frames], first, pelvis)
            pred = (decode() if tr.floor is None else
                    self._to_scale(tr.floor, decode, T_wc[b, out_frames], self.floor_z))
            tr.next_pelvis_world = predict_next_pelvis(
                pred.pelvis_world[0, -1], axis_angle_to_matrix(pred.global_orient_world[0, -1]),
                pred.root_velocity[0, -1], self.fps)
            tr.keep_published(xb[0])
            results += self._frame_results(tr, frames[lo:hi], pred, tr.num_emitted)
            tr.num_emitted = stop
        return results

    @staticmethod
    def _to_scale(floor: FloorScale, decode: Callable[..., Prediction], T_wc: Tensor,
                  floor_z: float) -> Prediction:
        """Decode at the track's scale, update it from these frames (camera poses T_wc
        (T, 4, 4), the floor at world height floor_z), and decode again when they moved it
        (streaming/floor_scale.py)."""
        applied = floor.scale
        pred = decode(body_scale=torch.tensor([applied]))
        numpy = lambda t: t.cpu().double().numpy()  # noqa: E731
        floor.observe(numpy(pred.joints_camera[0]), numpy(pred.contact[0]), numpy(T_wc),
                      numpy(pred.betas[0]), applied, floor_z)
        if abs(math.log(floor.scale / applied)) > floor.cfg.redo_log:
            pred = decode(body_scale=torch.tensor([floor.scale]))
        return pred

    def _aligned_pelvis(self, tr: TrackStream, frames: list[GridFrame], x: Tensor) -> Tensor:
        """(1, T, 3) camera-frame pelvis fitted to the keypoints (streaming/root_alignment)."""
        pelvis, rel = self.model.camera_skeleton(x)                    # (1, T, 3), (1, T, 22, 3)
        joints, kps = self._align_pairs
        aligned = tr.aligner(pelvis[0].cpu().double().numpy(),
                             rel[0][:, joints].cpu().double().numpy(),
                             np.stack([f.keypoints[kps] for f in frames]),
                             np.stack([f.K for f in frames]))
        return torch.from_numpy(aligned).to(x)[None]

    def _frame_results(self, tr: TrackStream, frames: list[GridFrame], pred: Prediction,
                       first_index: int) -> list[FrameResult]:
        p = {k: v[0].cpu().numpy().astype(np.float32) for k, v in vars(pred).items()
             if v is not None and k != "joints_camera_samples"}
        uncertainty = self._joint_uncertainty(frames, pred)                  # (T, 22) or None
        velocity = self._world_velocity(tr, [f.stamp for f in frames], pred)   # (T, 6)
        out = []
        for i, f in enumerate(frames):
            out.append(FrameResult(
                track_id=tr.track_id, stamp=f.stamp, frame=first_index + i,
                observed=f.observed, keypoints=f.keypoints, bbox=f.bbox,
                K=f.K.astype(np.float32), T_world_camera=f.T_world_camera.astype(np.float32),
                betas=p["betas"], global_orient_camera=p["global_orient_camera"][i],
                body_pose=p["body_pose"][i], transl_camera=p["transl_camera"][i],
                joints_camera=p["joints_camera"][i],
                global_orient_world=p["global_orient_world"][i],
                transl_world=p["transl_world"][i], joints_world=p["joints_world"][i],
                pelvis_world=p["pelvis_world"][i], root_velocity=p["root_velocity"][i],
                contact=p["contact"][i], joint_source=self._source,
                R_world_root=p["R_world_root"][i], velocity_world=velocity[i],
                joint_uncertainty=None if uncertainty is None else uncertainty[i]))
        return out

    def _joint_uncertainty(self, frames: list[GridFrame], pred: Prediction
                           ) -> np.ndarray | None:
        """(T, 22) m: model/joint_uncertainty.published_uncertainty for these frames."""
        confidence = body_joint_confidence(self._format, torch.from_numpy(
            np.stack([f.keypoints[:, 2] for f in frames]))).numpy()           # (T, 22)
        samples = pred.joints_camera_samples                                  # (N, 1, T, 22, 3)
        return published_uncertainty(
            self._uncertainty.get(self.cfg.mode), confidence,
            pred.joints_camera[0].cpu().numpy(),
            None if samples is None else samples[:, 0].cpu().numpy())

    @staticmethod
    def _world_velocity(tr: TrackStream, stamps: list[float], pred: Prediction) -> np.ndarray:
        """(T, 6) world velocity of the pelvis: linear v_w = H(R_wr) v_heading (the model
        predicts v in the body's heading frame, H the heading rotation), and the yaw rate
        about z, the wrapped change of heading yaw since the track's previous published
        frame over their time difference (0 for a track's first frame)."""
        R_wr = pred.R_world_root[0].double()                            # (T, 3, 3)
        yaw = heading_yaw(R_wr)                                         # (T,)
        linear = (rotation_about_axis("z", yaw)                         # H(R_wr)
                  @ pred.root_velocity[0].double()[..., None])[..., 0]
        out = np.zeros((len(stamps), 6))
        out[:, :3] = linear.cpu().numpy()
        for i, (stamp, y) in enumerate(zip(stamps, yaw.tolist())):
            if tr.last_heading is not None and stamp - tr.last_heading[0] > 1e-6:
                d = y - tr.last_heading[1]
                out[i, 5] = math.atan2(math.sin(d), math.cos(d)) / (stamp - tr.last_heading[0])
            tr.last_heading = (stamp, y)
        return out
