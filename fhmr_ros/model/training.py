"""Stage-wise training: Stage 1, then Stage 2 with Stage 1 frozen; the baseline separately.

One step of each objective lives here as a pure function of (model, batch); the loop adds
the optimiser, the learning-rate schedule, logging and resumable checkpoints.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from ..data.windows import Batch
from .losses import (LossWeights, anchor_terms, flow_matching_loss, geometry_terms,
                     regression_loss)
from .pipeline import FactorizedHMR
from .representation import ANCHOR_DIM, DIM, decode, encode

STAGES = ("stage1", "stage2", "baseline")


@dataclass
class TrainConfig:
    steps: int = 2000
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup: int = 100
    grad_clip: float = 1.0
    prefix_known_prob: float = 0.5     # Stage 2: share of windows with a known prefix
    log_every: int = 50
    checkpoint_every: int = 250
    seed: int = 0


def _total(terms: dict[str, Tensor], weight: Tensor | None = None) -> Tensor:
    loss = sum(terms.values())
    return (loss if weight is None else loss * weight).mean()


def _truth_normalised(model: FactorizedHMR, batch: Batch) -> Tensor:
    return model.normalizer.normalize(encode(batch.truth))                 # (B, T, D)


def stage1_loss(model: FactorizedHMR, batch: Batch, w: LossWeights) -> dict[str, Tensor]:
    gt = _truth_normalised(model, batch)
    a = model.stage1(batch.inputs)                                          # (B, T, 61)
    pred = decode(model.normalizer.denormalize(torch.cat([a, gt[..., ANCHOR_DIM:]], -1)))
    terms = {"anchor": regression_loss(a, gt[..., :ANCHOR_DIM])}
    terms.update(anchor_terms(model.body, pred, batch.truth, w))
    return terms


def baseline_loss(model: FactorizedHMR, batch: Batch, w: LossWeights) -> dict[str, Tensor]:
    gt = _truth_normalised(model, batch)
    x = model.baseline(batch.inputs)
    terms = {"regression": regression_loss(x, gt)}
    terms.update(geometry_terms(model.body, decode(model.normalizer.denormalize(x)),
                                batch.truth, batch.world, model.cfg.fps, w))
    return terms


def stage2_known_mask(B: int, T: int, prefix_prob: float, gen: torch.Generator) -> Tensor:
    """(B, T, D) bool: the anchor everywhere, plus for a share of windows every coordinate of
    a random prefix (the frames a previous window already published when streaming)."""
    known = torch.zeros(B, T, DIM, dtype=torch.bool)
    known[..., :ANCHOR_DIM] = True
    has_prefix = torch.rand(B, generator=gen) < prefix_prob
    lengths = torch.randint(1, max(T // 2, 2), (B,), generator=gen) * has_prefix
    known |= (torch.arange(T)[None, :] < lengths[:, None])[..., None]
    return known


def stage2_loss(model: FactorizedHMR, batch: Batch, w: LossWeights,
                gen: torch.Generator, prefix_prob: float) -> dict[str, Tensor]:
    """x1 = truth with the anchor replaced by frozen Stage-1 output (what sampling imposes);
    x_t = (1 − t) x0 + t x1 on unknown coordinates, x1 on known ones."""
    with torch.no_grad():
        anchor = model.stage1(batch.inputs)
    x1 = _truth_normalised(model, batch)
    x1 = torch.cat([anchor, x1[..., ANCHOR_DIM:]], dim=-1)
    B, T, _ = x1.shape
    known = stage2_known_mask(B, T, prefix_prob, gen)
    x0 = torch.randn(x1.shape, generator=gen)
    t = torch.rand(B, generator=gen)
    x_t = torch.where(known, x1, (1 - t[:, None, None]) * x0 + t[:, None, None] * x1)
    drop = torch.rand(B, generator=gen) < model.cfg.flow.condition_drop_prob
    cond = model.stage2.condition(batch.inputs, anchor, drop)
    x1_hat = torch.where(known, x1, model.stage2(x_t, known, t, cond))
    terms = {"flow": flow_matching_loss(x1_hat, x1, known)}
    terms.update(geometry_terms(model.body, decode(model.normalizer.denormalize(x1_hat)),
                                batch.truth, batch.world, model.cfg.fps, w))
    return terms


def _lr(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up then cosine decay to 5 %."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    p = (step - cfg.warmup) / max(cfg.steps - cfg.warmup, 1)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(p, 1.0))))


def train_stage(model: FactorizedHMR, stage: str,
                next_batch: Callable[[np.random.Generator], Batch], cfg: TrainConfig,
                state_path: Path, log: Callable[[str], None],
                weights: LossWeights = LossWeights(), progress: bool = True
                ) -> list[dict[str, float]]:
    """Train one stage; resumes from ``state_path`` when it holds this stage's state.
    Returns the logged loss history."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; known: {STAGES}")
    net = {"stage1": model.stage1, "stage2": model.stage2, "baseline": model.baseline}[stage]
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    rng = np.random.default_rng(cfg.seed + STAGES.index(stage) * 1000)
    gen = torch.Generator().manual_seed(cfg.seed)
    step, history = 0, []
    if state_path.is_file():
        state = torch.load(state_path, weights_only=True)
        if state["stage"] == stage:
            net.load_state_dict(state["net"])
            opt.load_state_dict(state["optimizer"])
            step, history = state["step"], state["history"]
            rng.bit_generator.state = state["rng"]
            gen.set_state(state["gen"])
            log(f"[{stage}] resumed at step {step}")
    model.train()
    model.stage1.train(stage == "stage1")
    sums: dict[str, float] = {}
    tic = time.perf_counter()
    bar = tqdm(total=cfg.steps, initial=step, desc=stage, unit="step", dynamic_ncols=True,
               disable=not progress)
    while step < cfg.steps:
        batch = next_batch(rng)
        if stage == "stage1":
            terms = stage1_loss(model, batch, weights)
        elif stage == "stage2":
            terms = stage2_loss(model, batch, weights, gen, cfg.prefix_known_prob)
        else:
            terms = baseline_loss(model, batch, weights)
        loss = _total(terms)
        for g in opt.param_groups:
            g["lr"] = _lr(step, cfg)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
        opt.step()
        step += 1
        bar.update(1)
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach().mean())
        sums["total"] = sums.get("total", 0.0) + float(loss.detach())
        if step % cfg.log_every == 0 or step == cfg.steps:
            n = cfg.log_every if step % cfg.log_every == 0 else step % cfg.log_every
            entry = {"step": step, "lr": _lr(step - 1, cfg),
                     "sec_per_step": (time.perf_counter() - tic) / n,
                     **{k: v / n for k, v in sums.items()}}
            history.append(entry)
            bar.set_postfix(loss=f"{entry['total']:.4g}")
            log(f"[{stage}] step {step}/{cfg.steps} " + " ".join(
                f"{k}={v:.4g}" for k, v in entry.items() if k != "step"))
            sums, tic = {}, time.perf_counter()
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            torch.save({"stage": stage, "net": net.state_dict(), "optimizer": opt.state_dict(),
                        "step": step, "history": history, "rng": rng.bit_generator.state,
                        "gen": gen.get_state(), "config": asdict(cfg)}, state_path)
    bar.close()
    model.eval()
    return history
