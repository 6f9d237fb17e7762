"""Sliding-window inference over a whole sequence (offline use and evaluation).

Windows of W frames with stride S. Deterministic outputs (Stage 1 anchor, baseline) are
blended over overlaps with a triangular weight w(k) = min(k + 1, W − k). Stage 2 runs the
windows in order and inpaints: frames an earlier window already produced are known
coordinates of the next one, so each window continues what was already said. The last
``blend_frames`` of those are not held but produced again and cross-faded from the earlier
window's values into the new window's (``crossfade``): a hard hand-over from held to
generated frames is a visible jerk at every window boundary.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .inputs import FrameInputs
from .pipeline import FactorizedHMR, Prediction, SamplingOptions
from .representation import DIM


def window_starts(T: int, window: int, stride: int) -> list[int]:
    """Start frames covering [0, T): 0, S, 2S, ... and a last window ending at T."""
    if T <= window:
        return [0]
    starts = list(range(0, T - window + 1, stride))
    if starts[-1] != T - window:
        starts.append(T - window)
    return starts


def blend_windows(fn, inputs: FrameInputs, window: int, stride: int) -> Tensor:
    """Run a deterministic network fn(FrameInputs) -> (B, W, C) on all windows in one batch
    and blend the overlaps: (B, T, C)."""
    B, T = inputs.confidence.shape[:2]
    starts = window_starts(T, window, stride)
    W = min(window, T)
    out = fn(FrameInputs.cat([inputs.frames(s, s + W) for s in starts]))   # (nB, W, C)
    out = out.view(len(starts), B, W, -1)
    k = torch.arange(W, dtype=out.dtype, device=out.device)
    weight = torch.minimum(k + 1, W - k)[:, None]                           # (W, 1)
    acc = out.new_zeros(B, T, out.shape[-1])
    norm = out.new_zeros(T, 1)
    for i, s in enumerate(starts):
        acc[:, s:s + W] += out[i] * weight
        norm[s:s + W] += weight
    return acc / norm


def crossfade(old: Tensor, new: Tensor) -> Tensor:
    """Two estimates (..., k, C) of the same k frames -> one that leaves ``old`` and arrives
    at ``new``: x_i = (1 − w_i) old_i + w_i new_i, w_i = (i + 1) / (k + 1)."""
    k = old.shape[-2]
    w = torch.arange(1, k + 1, dtype=old.dtype, device=old.device)[:, None] / (k + 1)
    return torch.lerp(old, new, w)


@torch.no_grad()
def infer_sequence(model: FactorizedHMR, inputs: FrameInputs, T_world_camera: Tensor,
                   mode: str = "two_stage", opts: SamplingOptions | None = None,
                   window: int | None = None, stride: int | None = None) -> Prediction:
    """Whole-sequence prediction for a batch of sequences (B, T)."""
    W = window or model.cfg.window
    S = stride or max(W // 2, 1)
    first = blend_windows(model.deterministic_pass(mode), inputs, W, S)
    state = model.state_without_sampling(mode, first)
    if state is not None:
        return model.decode(state, T_world_camera)
    anchor = first                                        # (B, T, 61)
    opts = opts or model.default_sampling()
    B, T, _ = anchor.shape
    x = anchor.new_zeros(B, T, DIM)
    samples = anchor.new_zeros(opts.hypotheses, B, T, DIM)
    done = 0
    for s in window_starts(T, W, S):
        e = min(s + W, T)
        held = max(done - s - opts.blend_frames, 0)       # earlier frames held as known
        known = torch.zeros(B, e - s, DIM, dtype=torch.bool, device=anchor.device)
        known[:, :held] = True
        out = model.complete(inputs.frames(s, e), anchor[:, s:e], opts, x[:, s:e], known)
        mean = out.mean(0)                                # (B, e − s, D)
        redone = slice(s + held, done)                    # produced again: cross-faded
        x[:, redone] = crossfade(x[:, redone], mean[:, held:done - s])
        samples[:, :, redone] = crossfade(samples[:, :, redone], out[:, :, held:done - s])
        x[:, done:e] = mean[:, done - s:]
        samples[:, :, done:e] = out[:, :, done - s:]
        done = e
    return model.decode(x, T_world_camera, samples if opts.hypotheses > 1 else None)
