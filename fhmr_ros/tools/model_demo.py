"""The model part of `make demo`: FactorizedHMR (shipped lite checkpoint) on a held-out
sequence seen by a simulated mobile robot, through the offline file contract.

  1. draws a held-out procedural motion (test seeds), places a mobile-base camera with
     noisy odometry, simulates MediaPipe-33 detections, writes OBS.npz;
  2. runs fhmr-infer's code path (Stage 1 anchor, Stage 2 completion) -> PRED.npz;
  3. prints errors against the truth and renders model_demo.png: four frames with the
     detections and the predicted skeleton (anchor vs completed joints) over the true one,
     and a top-down plot of the world trajectories (truth, prediction, robot).
The video runner on real footage arrives with the perception issue.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
import torch

from ..body.body_model import BodyModel
from ..body.keypoints import keypoint_format
from ..body.skeleton import NON_TORSO_JOINTS, NUM_BODY_JOINTS, TORSO_JOINTS
from ..body.standin_model import ensure_standin_model
from ..data.files import load_observations, save_observations
from ..data.procedural import procedural_clips
from ..data.windows import Batch, make_batch, prepare_clip
from ..evaluation.metrics import mpjpe, w_mpjpe
from ..model.checkpoint import default_checkpoint, load_checkpoint
from ..model.pipeline import joint_source
from ..visualization.colors import CAMERA_BGR, COMPLETED_BGR, joint_source_colors
from ..visualization.overlay import draw_limbs, project_points
from .infer import predict_observations, prediction_arrays

TRUTH_BGR = (80, 170, 80)


def _frames_panel(batch: Batch, pred: dict, K: np.ndarray, size, scale: float) -> np.ndarray:
    truth = (batch.truth.pelvis_camera[..., None, :] + batch.truth.joints_rel)[0].numpy()
    T = truth.shape[0]
    pred_colours = joint_source_colors(joint_source().numpy())
    tiles = []
    for t in np.linspace(T // 8, T - 1, 4).astype(int):
        img = np.full((int(size[1] * scale), int(size[0] * scale), 3), 245, np.uint8)
        for u, v, c in batch.keypoints[0, t].numpy():
            if c > 0:
                cv2.circle(img, (int(u * scale), int(v * scale)), 3, (int(200 * (1 - c)),) * 3, -1)
        draw_limbs(img, project_points(truth[t], K) * scale, [TRUTH_BGR] * NUM_BODY_JOINTS, 5)
        draw_limbs(img, project_points(pred["joints_camera"][t], K) * scale, pred_colours, 2)
        cv2.putText(img, f"frame {t}", (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
        tiles.append(img)
    return np.concatenate(tiles, axis=1)


def _topdown_panel(batch: Batch, pred: dict, height: int) -> np.ndarray:
    paths = {"truth": (batch.world.pelvis_world[0].numpy()[:, :2], TRUTH_BGR),
             "prediction": (pred["joints_world"][:, 0, :2], COMPLETED_BGR),
             "robot (odometry)": (batch.T_world_camera[0, :, :2, 3].numpy(), CAMERA_BGR)}
    allp = np.concatenate([p for p, _ in paths.values()])
    lo, hi = allp.min(0) - 0.5, allp.max(0) + 0.5
    s = (height - 60) / max(hi - lo)
    img = np.full((height, height, 3), 255, np.uint8)
    for k, (name, (p, colour)) in enumerate(paths.items()):
        pts = ((p - lo) * s + 30).astype(np.int32)
        pts[:, 1] = height - pts[:, 1]
        cv2.polylines(img, [pts], False, colour, 2, cv2.LINE_AA)
        cv2.putText(img, name, (10, 20 + 18 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1)
    cv2.putText(img, f"top-down, 1 m = {s:.0f} px", (10, height - 10),
                cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
    return img


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("artifacts/demo"))
    ap.add_argument("--checkpoint", type=Path, default=None)
    ap.add_argument("--seed", type=int, default=2)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    body = BodyModel(ensure_standin_model())
    model = load_checkpoint(args.checkpoint or default_checkpoint("lite"))
    fmt = keypoint_format(model.cfg.inputs.keypoint_format)
    clip = procedural_clips(1, seed=args.seed, split="test", body_model=body)[0]
    geo = prepare_clip(clip, body, fmt)
    batch = make_batch(np.random.default_rng(args.seed), [(geo, 0)], clip.num_frames, fmt,
                       rig_kind="mobile_base")
    K = batch.K[0].numpy()
    size = (int(2 * K[0, 2]), int(2 * K[1, 2]))
    obs_path = save_observations(args.out / "obs.npz", batch.keypoints[0].numpy(), fmt.name, K,
                                 size, clip.fps, T_world_camera=batch.T_world_camera[0].numpy())
    pred = prediction_arrays(predict_observations(model, load_observations(obs_path)))
    np.savez_compressed(args.out / "pred.npz", **pred)
    truth = (batch.truth.pelvis_camera[..., None, :] + batch.truth.joints_rel)[0]
    err = mpjpe(pred["joints_camera"], truth)
    werr = w_mpjpe(pred["joints_world"], torch.from_numpy(geo.joints_world))
    print(f"[model demo] held-out clip {clip.name} ({clip.num_frames} frames, mobile robot): "
          f"MPJPE torso {err[:, list(TORSO_JOINTS)].mean():.0f} mm, non-torso "
          f"{err[:, list(NON_TORSO_JOINTS)].mean():.0f} mm, W-MPJPE100 {np.nanmean(werr):.0f} mm")
    frames = _frames_panel(batch, pred, K, size, scale=360 / size[1])
    top = _topdown_panel(batch, pred, frames.shape[0])
    cv2.imwrite(str(args.out / "model_demo.png"), np.concatenate([frames, top], axis=1))
    print(f"[model demo] wrote {obs_path}, {args.out / 'pred.npz'} and "
          f"{args.out / 'model_demo.png'} (thick green = truth, orange/blue = predicted "
          "anchor/completed joints, grey dots = simulated detections)")


if __name__ == "__main__":
    main()
