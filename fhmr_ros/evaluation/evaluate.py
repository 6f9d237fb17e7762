"""Evaluate checkpoints on the held-out test set: per-clip sequences, all metrics, breakdowns.

Every test clip is seen by one simulated robot (rig kinds cycle static, panning,
mobile_base, humanoid) with a fixed seed per clip, so every model and mode sees exactly
the same observations. World metrics compare the prediction (made with the noisy odometry
the robot reports) against the true world motion.

Two ways to run the model: offline sliding windows (model/sequence.py: look-ahead over the
whole clip), or the node's own path (``streaming``: the streaming engine fed one frame at
a time, with its stride, lag and root alignment), so what is measured is what a robot gets.
"W/C gap" is how far the published world joints lie from the camera-frame joints mapped
through the camera pose the robot believes, T_world_camera · joints_camera (mm). "Root cam"
is the camera-frame pelvis position error (mm: where the robot sees the person), "Jitter
cam" the jitter of the camera-frame joints (as "Jitter", which is of the world joints).
"Arms °"/"Legs °" are bone-direction errors of the upper and lower arms and legs. With
several hypotheses (offline), "Spread" is how far they lie apart (mm, root-relative) and
"Spread–error r" the per-joint correlation over frames of that spread with the error
(calibration: does the model know where it is wrong?). With a calibrated checkpoint
(tools/calibrate.py), "σ" is the published joint uncertainty (mm, a radius meant to hold
the true joint in 68 % of cases), "Within σ" how often it does (%), "σ–error r" its
per-joint correlation with the camera-frame error.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from ..body.body_model import BodyModel, transform_smplx_root
from ..body.keypoints import (body_joint_confidence, body_joint_visibility, convert_keypoints,
                              keypoint_format)
from ..body.skeleton import BODY_JOINT_NAMES, NON_TORSO_JOINTS, NUM_BODY_JOINTS, TORSO_JOINTS
from ..data.camera_rigs import CameraRigConfig
from ..data.observations import DetectorNoiseConfig
from ..data.windows import Batch, ClipGeometry, make_batch
from ..model.joint_uncertainty import JointUncertainty, model_uncertainty
from ..model.pipeline import FactorizedHMR, Prediction, SamplingOptions
from ..model.sequence import infer_sequence
from ..model.world import camera_to_world
from ..streaming.engine import PersonObservation, StreamingConfig, StreamingEngine
from . import metrics as M

RIG_KINDS = ("static", "panning", "mobile_base", "humanoid")
TEST_SEED = 10_000            # observation seeds of the test set (never used in training)
RTE_MIN_PATH_M = 1.0          # RTE (error / path length) is undefined for people standing still

COLUMNS = {
    "mpjpe": "MPJPE", "pa_mpjpe": "PA-MPJPE", "pve": "PVE", "accel": "Accel",
    "w_mpjpe": "W-MPJPE100", "wa_mpjpe": "WA-MPJPE100", "rte": "RTE %", "jitter": "Jitter",
    "foot_sliding": "FootSlide", "root_camera": "Root cam", "jitter_camera": "Jitter cam",
    "mpjpe/torso": "MPJPE torso", "mpjpe/non_torso": "MPJPE non-torso",
    "mpjpe/visible": "MPJPE visible", "mpjpe/occluded": "MPJPE occluded",
    "w_mpjpe/non_torso": "W-MPJPE100 non-torso",
    "world_camera_gap": "W/C gap",
    "arm_angle": "Arms °", "leg_angle": "Legs °",
    "spread": "Spread", "spread/visible": "Spread visible", "spread/occluded": "Spread occluded",
    "spread_error_r": "Spread–error r",
    "sigma": "σ", "sigma/visible": "σ visible", "sigma/occluded": "σ occluded",
    "coverage": "Within σ %", "coverage/visible": "Within σ visible %",
    "coverage/occluded": "Within σ occluded %",
    "sigma_error_r": "σ–error r",
}


@dataclass
class HeldOutSequence:
    batch: Batch                  # one sequence (B = 1); batch.names say the rig kind
    clip: ClipGeometry


def held_out_sequences(clips: list[ClipGeometry], fmt_name: str, seed: int = TEST_SEED,
                       noise_cfg: DetectorNoiseConfig | None = None,
                       rig_cfg: CameraRigConfig | None = None) -> list[HeldOutSequence]:
    """One fixed observed sequence per clip (``noise_cfg``, ``rig_cfg``: another detector
    simulation or camera placement, e.g. long part occlusions or close range, for a stress
    test)."""
    fmt = keypoint_format(fmt_name)
    out = []
    for i, geo in enumerate(clips):
        rig = RIG_KINDS[i % len(RIG_KINDS)]
        rng = np.random.default_rng(seed + i)
        batch = make_batch(rng, [(geo, 0)], geo.clip.num_frames, fmt, rig_cfg=rig_cfg,
                           noise_cfg=noise_cfg, rig_kind=rig)
        out.append(HeldOutSequence(batch, geo))
    return out


def _camera_vertices(body: BodyModel, pred: Prediction) -> torch.Tensor:
    T = pred.body_pose.shape[1]
    return body(pred.betas[0].expand(T, -1), pred.global_orient_camera[0], pred.body_pose[0],
                pred.transl_camera[0], return_vertices=True).vertices


def _truth_vertices(body: BodyModel, seq: HeldOutSequence) -> torch.Tensor:
    clip = seq.clip.clip
    T_cw = torch.linalg.inv(seq.batch.T_world_camera_true[0])
    betas = torch.from_numpy(clip.betas).expand(clip.num_frames, -1)
    go, tr = transform_smplx_root(T_cw[:, :3, :3], T_cw[:, :3, 3],
                                  torch.from_numpy(clip.global_orient),
                                  torch.from_numpy(clip.transl), body.pelvis_offset(betas))
    return body(betas, go, torch.from_numpy(clip.body_pose).reshape(-1, 63), tr,
                return_vertices=True).vertices


def truth_joints_camera(seq: HeldOutSequence) -> torch.Tensor:
    """(T, 22, 3) the true joints in the camera frame, m."""
    truth = seq.batch.truth
    return (truth.pelvis_camera[..., None, :] + truth.joints_rel)[0]


def sequence_errors(body: BodyModel, seq: HeldOutSequence, pred: Prediction, fps: float,
                    gt_vertices: torch.Tensor | None, fmt,
                    uncertainty: JointUncertainty | None = None,
                    seen: np.ndarray | None = None) -> tuple[dict, dict]:
    """Per-frame error arrays and the (T, 22) masks they can be split by (no PVE without
    ``gt_vertices``). With the checkpoint's ``uncertainty`` table and the (T, K, 3)
    keypoints the model was given (``seen``): the published radius sigma (mm), the share
    of joints within it ("coverage", %) and its correlation with the error."""
    b = seq.batch
    gt_cam = truth_joints_camera(seq)                                          # (T, 22, 3)
    pj = pred.joints_camera[0]
    gt_world = torch.from_numpy(seq.clip.joints_world)
    pw = pred.joints_world[0]
    contact = M.contact_labels(gt_world, fps=fps)
    errors = {
        "mpjpe": M.mpjpe(pj, gt_cam), "pa_mpjpe": M.pa_mpjpe(pj, gt_cam),
        "accel": M.accel_error(pj, gt_cam),
        "w_mpjpe": M.w_mpjpe(pw, gt_world), "wa_mpjpe": M.wa_mpjpe(pw, gt_world),
        "rte": M.rte(pw[:, 0], gt_world[:, 0], min_length=RTE_MIN_PATH_M),
        "jitter": M.jitter(pw, fps),
        "root_camera": M.mpjpe(pj[:, :1], gt_cam[:, :1], root=None),
        "jitter_camera": M.jitter(pj, fps),
        "foot_sliding": M.foot_sliding(pw, contact),
        "world_camera_gap": M.M_TO_MM * torch.linalg.norm(
            pw - camera_to_world(b.T_world_camera[0].to(pj), pj), dim=-1).numpy(),
        "arm_angle": M.bone_direction_error(pj, gt_cam, M.ARM_BONES),
        "leg_angle": M.bone_direction_error(pj, gt_cam, M.LEG_BONES),
    }
    if gt_vertices is not None:
        errors["pve"] = M.pve(_camera_vertices(body, pred), gt_vertices, pj[:, 0], gt_cam[:, 0])
    vis = body_joint_visibility(fmt, b.keypoint_visible[0]).numpy()
    masks = {"torso": M.joint_mask(TORSO_JOINTS, NUM_BODY_JOINTS),
             "non_torso": M.joint_mask(NON_TORSO_JOINTS, NUM_BODY_JOINTS),
             "visible": vis, "occluded": ~vis}
    if uncertainty is not None and seen is not None:
        confidence = body_joint_confidence(fmt, torch.from_numpy(seen[..., 2])).numpy()
        sigma = M.M_TO_MM * uncertainty.sigma(confidence, pj[:, 0, 2].numpy())  # (T, 22)
        absolute = M.mpjpe(pj, gt_cam, root=None)
        errors["sigma"] = sigma
        errors["coverage"] = 100.0 * (absolute <= sigma)
        errors["sigma_error_r"] = M.spread_error_correlation(sigma, absolute)
    if pred.joints_camera_samples is not None:      # calibration, judged per joint
        errors["spread"] = M.hypothesis_spread(pred.joints_camera_samples[:, 0])
        errors["spread_error_r"] = M.spread_error_correlation(errors["spread"], errors["mpjpe"])
        masks.update({f"joint:{name}": M.joint_mask([j], NUM_BODY_JOINTS)
                      for j, name in enumerate(BODY_JOINT_NAMES)})
    return errors, masks


def per_joint_calibration(row: dict[str, float]) -> dict[str, dict[str, float]]:
    """A row's per-joint error, hypothesis spread and their correlation (rows by joint;
    empty without hypotheses)."""
    return {name: {k: row[f"{k}/joint:{name}"] for k in ("mpjpe", "spread", "spread_error_r")}
            for name in BODY_JOINT_NAMES[1:]
            if f"spread/joint:{name}" in row}


def seen_keypoints(model: FactorizedHMR, seq: HeldOutSequence,
                   observed_format: str | None = None) -> np.ndarray:
    """(T, K, 3) the sequence's detections in the model's format; with ``observed_format``
    only the keypoints a detector of that format gives (converted as the node converts
    another node's keypoints)."""
    model_format = keypoint_format(model.cfg.inputs.keypoint_format)
    observed = keypoint_format(observed_format or model_format.name)
    return np.stack([convert_keypoints(convert_keypoints(k, model_format, observed),
                                       observed, model_format)
                     for k in seq.batch.keypoints[0].numpy()])


def predict_sequence(model: FactorizedHMR, seq: HeldOutSequence, mode: str,
                     opts: SamplingOptions, streaming: StreamingConfig | None = None,
                     observed_format: str | None = None) -> Prediction:
    """Offline sliding windows, or with ``streaming`` the node's path (stream_sequence)."""
    b = seq.batch
    if streaming is None:
        return infer_sequence(model, b.inputs, b.T_world_camera, mode, opts)
    return stream_sequence(model, seq, replace(streaming, mode=mode), observed_format)


def stream_sequence(model: FactorizedHMR, seq: HeldOutSequence, cfg: StreamingConfig,
                    observed_format: str | None = None) -> Prediction:
    """The node's path on one sequence: each frame's detections, intrinsics and believed
    camera pose fed to the streaming engine in order, the published frames stacked into a
    Prediction (B = 1; betas averaged over the clip). ``observed_format``: only the
    keypoints a detector of that format gives are seen (converted as the node converts
    another node's keypoints)."""
    b = seq.batch
    engine = StreamingEngine(model, cfg)
    K = b.K[0].numpy()
    seen = seen_keypoints(model, seq, observed_format)                          # (T, K, 3)
    results = []
    for t in range(len(seen)):
        results += engine.update(t / model.cfg.fps, b.T_world_camera[0, t].numpy(), K,
                                 [PersonObservation(0, seen[t], None)])
    results = sorted(results + engine.flush(), key=lambda r: r.frame)
    if [r.frame for r in results] != list(range(b.keypoints.shape[1])):
        raise RuntimeError("the streaming engine did not publish every frame once")
    stack = lambda name: torch.from_numpy(  # noqa: E731
        np.stack([getattr(r, name) for r in results]))[None]
    return Prediction(
        betas=stack("betas").mean(1), global_orient_camera=stack("global_orient_camera"),
        body_pose=stack("body_pose"), transl_camera=stack("transl_camera"),
        joints_camera=stack("joints_camera"), global_orient_world=stack("global_orient_world"),
        transl_world=stack("transl_world"), joints_world=stack("joints_world"),
        pelvis_world=stack("pelvis_world"), root_velocity=stack("root_velocity"),
        contact=stack("contact"))


def evaluate(model: FactorizedHMR, body: BodyModel, sequences: list[HeldOutSequence],
             modes: list[str], opts: SamplingOptions,
             streaming: StreamingConfig | None = None, observed_format: str | None = None,
             vertices: bool = True) -> dict[str, dict[str, float]]:
    """Frame-weighted means of every metric over all sequences, one row per mode and one
    for the true motion (its jitter and foot sliding, true_motion_row); with
    ``streaming`` through the streaming engine (its mode and sampling come from it), where
    ``observed_format`` limits the keypoints seen (stream_sequence). ``vertices`` False
    skips the meshes (no PVE; they take about 40 % of the time). Sequences from several
    sources (procedural, each mocap set: sequence_source) also get a row per mode and
    source, "<mode> · <source>", and a true-motion row per source."""
    gt_verts = [_truth_vertices(body, s) if vertices else None for s in sequences]
    fmt = keypoint_format(model.cfg.inputs.keypoint_format)
    frames = np.asarray([s.batch.keypoints.shape[1] for s in sequences], float)
    sources = np.asarray([sequence_source(s) for s in sequences])
    groups = {"": np.ones(len(sequences), bool)}
    if len(set(sources)) > 1:
        groups.update({f" · {src}": sources == src for src in sorted(set(sources))})
    rows = {}
    for mode in modes:
        per_seq: dict[str, list[float]] = {}
        uncertainty = model_uncertainty(getattr(model, "meta", {}), mode,
                                        "offline" if streaming is None else "streaming")
        for seq, gv in zip(sequences, gt_verts):
            pred = predict_sequence(model, seq, mode, opts, streaming, observed_format)
            errors, masks = sequence_errors(
                body, seq, pred, model.cfg.fps, gv, fmt, uncertainty,
                seen_keypoints(model, seq, observed_format if streaming else None))
            for k, v in M.summarize(errors, masks).items():
                per_seq.setdefault(k, []).append(v)
        for suffix, chosen in groups.items():
            rows[mode + suffix] = {k: _frame_weighted(list(np.asarray(v)[chosen]),
                                                      frames[chosen])
                                   for k, v in per_seq.items()}
    for suffix, chosen in groups.items():
        rows["true motion" + suffix] = true_motion_row(
            [s for s, c in zip(sequences, chosen) if c], model.cfg.fps)
    return rows


def sequence_source(seq: HeldOutSequence) -> str:
    """"procedural", or the motion set of a mocap clip (its name's first part: reactidle,
    cmu, ...)."""
    clip = seq.clip.clip
    return "procedural" if clip.source == "procedural" else clip.name.split("/")[0]


def true_motion_row(sequences: list[HeldOutSequence], fps: float) -> dict[str, float]:
    """Jitter and foot sliding of the true world joints: the floor a prediction is judged
    against (real motion shakes and feet roll a little too)."""
    per_seq: dict[str, list[float]] = {"jitter": [], "foot_sliding": []}
    for seq in sequences:
        gt_world = seq.clip.joints_world
        per_seq["jitter"].append(M.masked_mean(M.jitter(gt_world, fps)))
        per_seq["foot_sliding"].append(M.masked_mean(M.foot_sliding(
            gt_world, M.contact_labels(gt_world, fps=fps))))
    frames = np.asarray([s.batch.keypoints.shape[1] for s in sequences], float)
    return {k: _frame_weighted(v, frames) for k, v in per_seq.items()}


def _frame_weighted(values: list[float], frames: np.ndarray) -> float:
    """Mean over sequences weighted by their length, skipping NaN (undefined) entries."""
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    return float((v[ok] * frames[ok]).sum() / frames[ok].sum()) if ok.any() else float("nan")
