"""Fit a checkpoint's per-joint uncertainty table on held-out sequences
(model/joint_uncertainty.py): run the model as it will be run, gather each frame's
root-relative and absolute camera-frame joint errors, detector confidences and pelvis
depth, and fit."""

from __future__ import annotations

import sys

import numpy as np
import torch
from tqdm import tqdm

from ..body.keypoints import body_joint_confidence, keypoint_format
from ..model.joint_uncertainty import COVERAGE, JointUncertainty, fit_joint_uncertainty
from ..model.pipeline import FactorizedHMR, SamplingOptions
from ..streaming.engine import StreamingConfig
from . import metrics as M
from .evaluate import HeldOutSequence, predict_sequence, seen_keypoints, truth_joints_camera


def fit_uncertainty(model: FactorizedHMR, sequences: list[HeldOutSequence], mode: str,
                    opts: SamplingOptions, streaming: StreamingConfig | None = None,
                    coverage: float = COVERAGE) -> JointUncertainty:
    """The table for ``mode`` from every frame of ``sequences`` (validation only: the test
    set judges the result)."""
    fmt = keypoint_format(model.cfg.inputs.keypoint_format)
    relative, absolute, confidence, depth = [], [], [], []
    for seq in tqdm(sequences, desc=f"uncertainty {mode}", unit="seq", leave=False,
                    disable=not sys.stderr.isatty()):
        pj = predict_sequence(model, seq, mode, opts, streaming).joints_camera[0]  # (T, 22, 3)
        gt = truth_joints_camera(seq)
        relative.append(M.mpjpe(pj, gt) / M.M_TO_MM)                   # (T, 22) m
        absolute.append(M.mpjpe(pj, gt, root=None) / M.M_TO_MM)
        seen = seen_keypoints(model, seq)                                # (T, K, 3)
        confidence.append(body_joint_confidence(fmt, torch.from_numpy(seen[..., 2])).numpy())
        depth.append(pj[:, 0, 2].numpy())
    return fit_joint_uncertainty(np.concatenate(relative), np.concatenate(absolute),
                                 np.concatenate(confidence), np.concatenate(depth), coverage)
