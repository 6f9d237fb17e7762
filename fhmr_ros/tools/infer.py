"""fhmr-infer: run FactorizedHMR on an OBS.npz file and write PRED.npz.

    fhmr-infer OBS.npz --out PRED.npz [--checkpoint PATH] [--body-model SMPLX_NEUTRAL.npz]
               [--steps N] [--cfg W] [--seed S] [--hypotheses N] [--mode two_stage]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from ..body.body_model import BodyModel
from ..body.keypoints import body_joint_confidence, keypoint_format
from ..data.files import ObservationFileError, Observations, load_observations
from ..model.checkpoint import default_checkpoint, load_checkpoint
from ..model.inputs import build_inputs
from ..model.joint_uncertainty import model_uncertainty, published_uncertainty
from ..model.pipeline import MODES, FactorizedHMR, Prediction, SamplingOptions, joint_source
from ..model.sequence import infer_sequence


def predict_observations(model: FactorizedHMR, obs: Observations, mode: str = "two_stage",
                         opts: SamplingOptions | None = None) -> Prediction:
    """Whole-sequence prediction for one person's observations (batch of 1)."""
    if obs.keypoint_format != model.cfg.inputs.keypoint_format:
        raise ObservationFileError(
            f"keypoint_format {obs.keypoint_format!r} does not match the checkpoint's "
            f"{model.cfg.inputs.keypoint_format!r}")
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))[None]  # noqa: E731
    inputs = build_inputs(t(obs.keypoints), t(obs.K), t(obs.T_world_camera),
                          None if obs.bbox is None else t(obs.bbox))
    return infer_sequence(model, inputs, t(obs.T_world_camera), mode, opts)


def prediction_arrays(pred: Prediction, body: BodyModel | None = None,
                      uncertainty: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """PRED.npz arrays for batch element 0 (and ``uncertainty`` (T, 22) as
    joint_uncertainty). With ``body`` (the user's SMPL-X file) joints and transl are
    recomputed on that body so that its mesh sits where the model put the pelvis."""
    p = {k: v[0] for k, v in vars(pred).items()
         if v is not None and k not in ("joints_camera_samples", "R_world_root")}
    if body is not None:
        betas = p["betas"][None].expand(p["body_pose"].shape[0], -1)
        rel = body.body_joints(betas, p["global_orient_camera"], p["body_pose"])
        pelvis_c = p["joints_camera"][:, :1]
        p["joints_camera"] = rel - rel[:, :1] + pelvis_c
        rel_w = body.body_joints(betas, p["global_orient_world"], p["body_pose"])
        p["joints_world"] = rel_w - rel_w[:, :1] + p["pelvis_world"][:, None]
        J0 = body.pelvis_offset(p["betas"])
        p["transl_camera"] = pelvis_c[:, 0] - J0
        p["transl_world"] = p["pelvis_world"] - J0
    out = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in p.items()}
    out["joint_source"] = joint_source().numpy()
    if pred.joints_camera_samples is not None:
        out["joints_camera_samples"] = pred.joints_camera_samples[:, 0].cpu().numpy()
    if uncertainty is not None:
        out["joint_uncertainty"] = uncertainty.astype(np.float32)
    return out


def observation_uncertainty(model: FactorizedHMR, obs: Observations, mode: str,
                            pred: Prediction) -> np.ndarray | None:
    """(T, 22) m, the published joint uncertainty of ``pred`` (model/joint_uncertainty.py)."""
    confidence = body_joint_confidence(keypoint_format(obs.keypoint_format),
                                       torch.from_numpy(obs.keypoints[..., 2])).numpy()
    samples = pred.joints_camera_samples
    return published_uncertainty(model_uncertainty(model.meta, mode, "offline"), confidence,
                                 pred.joints_camera[0].cpu().numpy(),
                                 None if samples is None else samples[:, 0].cpu().numpy())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fhmr-infer", description=__doc__.split("\n")[0])
    ap.add_argument("obs", type=Path, help="OBS.npz (see docs/offline_tools.md)")
    ap.add_argument("--out", type=Path, required=True, help="PRED.npz to write")
    ap.add_argument("--checkpoint", type=Path, default=None,
                    help=f"model checkpoint (default {default_checkpoint('lite')})")
    ap.add_argument("--body-model", type=Path, default=None,
                    help="SMPL-X .npz to compute joints on (default: the checkpoint's body)")
    ap.add_argument("--steps", type=int, default=None, help="ODE steps (default: checkpoint)")
    ap.add_argument("--cfg", type=float, default=None, help="guidance weight w (1 = off)")
    ap.add_argument("--solver", choices=("euler", "midpoint"), default=None)
    ap.add_argument("--temperature", type=float, default=None,
                    help="scale of the initial noise (default: checkpoint)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--hypotheses", type=int, default=1)
    ap.add_argument("--mode", choices=MODES, default="two_stage")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    try:
        obs = load_observations(args.obs)
        model = load_checkpoint(args.checkpoint or default_checkpoint("lite"), args.device)
        body = BodyModel(args.body_model) if args.body_model else None
    except (ObservationFileError, FileNotFoundError, ValueError) as e:
        print(f"fhmr-infer: error: {e}", file=sys.stderr)
        return 2
    if abs(obs.fps - model.cfg.fps) > 0.2 * model.cfg.fps:
        print(f"fhmr-infer: warning: observations at {obs.fps:g} fps, the model was trained at "
              f"{model.cfg.fps:g} fps", file=sys.stderr)
    opts = model.default_sampling(steps=args.steps, guidance=args.cfg, solver=args.solver,
                                  temperature=args.temperature,
                                  seed=args.seed, hypotheses=args.hypotheses)
    try:
        pred = predict_observations(model.to(args.device), obs, args.mode, opts)
    except ObservationFileError as e:
        print(f"fhmr-infer: error: {e}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **prediction_arrays(
        pred, body, observation_uncertainty(model, obs, args.mode, pred)),
        fps=np.float32(obs.fps))
    world = "odometry" if obs.has_odometry else "static camera levelled by gravity"
    print(f"fhmr-infer: {obs.num_frames} frames -> {args.out} (mode {args.mode}, world: {world})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
