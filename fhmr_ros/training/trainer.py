"""Stage-wise training: Stage 1, then Stage 2 with Stage 1 frozen; the baseline separately.

One step of each objective lives here as a pure function of (model, batch), wrapped as a
module (StageObjective) so that DistributedDataParallel can run it; the loop adds the
optimiser, the learning-rate schedule over an explicit total step count, logging with the
data throughput, and resumable checkpoints (every ``checkpoint_every`` steps and every
``checkpoint_minutes``), so that a run cut off continues where it was, on its schedule.

On a GPU (``device`` cuda) the forward passes run under bf16 autocast; the loss, the
optimiser and the weights stay float32. Several processes (``torchrun --nproc_per_node N
fhmr-train ...``, gloo on CPUs, NCCL on GPUs, one GPU per rank) train one model with
DistributedDataParallel: each rank draws its own windows (its
own random stream), ``batch_size`` is the global batch split over the ranks, gradients are
averaged by DDP, and rank 0 alone logs and writes checkpoints.
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
                     regression_loss, temporal_terms)
from ..model.flow_path import hold_known, path_state
from ..model.pipeline import FactorizedHMR
from ..model.representation import ANCHOR_DIM, DIM, LAYOUT, decode, encode

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
    estimation_share: float = 0.9      # Stage 2: share of windows at flow time 0 (GENMO's
    #                                    estimation mode: noise in, a regression of x1 out)
    log_every: int = 50
    checkpoint_every: int = 250
    checkpoint_minutes: float = 5.0    # also checkpoint after this long (cut-off runs)
    snapshot_every: int = 0            # keep the network's weights every this many steps
    #                                    (snapshots/<stage>_<step>.pt: learning curves); 0: never
    seed: int = 0
    device: str = "cpu"                # where the model is; cuda: bf16 autocast
    stop_after_s: float | None = None  # save and stop after this long (a session's slot)
    composite_target: bool = True      # Stage 2 also generates the joint-position branch
    geometry_losses: bool = True       # Stage 2's geometry terms on the decoded sample
    temporal_losses: bool = True       # smoothness terms (losses.temporal_terms), every network


def _total(terms: dict[str, Tensor], weight: Tensor | None = None) -> Tensor:
    loss = sum(terms.values())
    return (loss if weight is None else loss * weight).mean()


def _truth_normalised(model: FactorizedHMR, batch: Batch) -> Tensor:
    return model.normalizer.normalize(encode(batch.truth))                 # (B, T, D)


def stage1_loss(model: FactorizedHMR, batch: Batch, w: LossWeights, cfg: TrainConfig
                ) -> dict[str, Tensor]:
    gt = _truth_normalised(model, batch)
    a = model.stage1(batch.inputs)                                          # (B, T, 61)
    pred = decode(model.normalizer.denormalize(torch.cat([a, gt[..., ANCHOR_DIM:]], -1)))
    terms = {"anchor": regression_loss(a, gt[..., :ANCHOR_DIM])}
    terms.update(anchor_terms(model.body, pred, batch.truth, w))
    if cfg.temporal_losses:
        terms.update(temporal_terms(model.body, pred, batch.truth, w, joints=False,
                                    anchor=True))
    return terms


def baseline_loss(model: FactorizedHMR, batch: Batch, w: LossWeights, cfg: TrainConfig
                  ) -> dict[str, Tensor]:
    gt = _truth_normalised(model, batch)
    x = model.baseline(batch.inputs)
    pred = decode(model.normalizer.denormalize(x))
    terms = {"regression": regression_loss(x, gt)}
    terms.update(geometry_terms(model.body, pred, batch.truth, batch.world, model.cfg.fps, w))
    if cfg.temporal_losses:
        terms.update(temporal_terms(model.body, pred, batch.truth, w, anchor=True))
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


def stage2_flow_times(B: int, estimation_share: float, gen: torch.Generator) -> Tensor:
    """(B,) flow times t ~ U[0, 1), except a share ``estimation_share`` of the windows at
    t = 0, where x_t is pure noise and x̂1 = f_θ(x0, 0, c) is a regression of the motion
    (GENMO's estimation mode): the first solver step's estimate gets the training a
    deterministic model's prediction gets. With share 0 the draws are exactly U[0, 1)."""
    t = torch.rand(B, generator=gen)
    if estimation_share > 0:
        t = torch.where(torch.rand(B, generator=gen) < estimation_share, 0.0, t)
    return t


def stage2_loss(model: FactorizedHMR, batch: Batch, w: LossWeights, gen: torch.Generator,
                cfg: TrainConfig) -> dict[str, Tensor]:
    """x1 = truth with the anchor replaced by frozen Stage-1 output (what sampling imposes);
    x_t on the flow path (model/flow_path.py), x1 on known coordinates.

    The ablation's switches (``cfg``): without the composite target the joint-position
    branch is neither a flow target nor supervised by a geometry term (joint_branch, bone),
    so the rotations alone are the target; without geometry losses, or temporal losses,
    those terms are left out."""
    with torch.no_grad():
        anchor = model.stage1(batch.inputs)
    x1 = _truth_normalised(model, batch)
    x1 = torch.cat([anchor, x1[..., ANCHOR_DIM:]], dim=-1)
    B, T, _ = x1.shape
    device = x1.device                      # the draws come from the (CPU) generator
    known = stage2_known_mask(B, T, cfg.prefix_known_prob, gen).to(device)
    x0 = torch.randn(x1.shape, generator=gen).to(device)
    t = stage2_flow_times(B, cfg.estimation_share, gen).to(device)
    x_t = path_state(x0, x1, t, known)
    drop = (torch.rand(B, generator=gen) < model.cfg.flow.condition_drop_prob).to(device)
    cond = model.stage2.condition(batch.inputs, anchor, drop)
    x1_hat = hold_known(model.stage2(x_t, known, t, cond), x1, known)
    untrained = known.clone()
    if not cfg.composite_target:
        untrained[..., LAYOUT["joints_rel"]] = True
    terms = {"flow": flow_matching_loss(x1_hat, x1, untrained)}
    pred = decode(model.normalizer.denormalize(x1_hat))
    if cfg.geometry_losses:
        terms.update(geometry_terms(model.body, pred, batch.truth, batch.world, model.cfg.fps, w))
        if not cfg.composite_target:          # the terms on the joint-position branch
            del terms["joint_branch"], terms["bone"]
    if cfg.temporal_losses:
        terms.update(temporal_terms(model.body, pred, batch.truth, w))
    return terms


class StageObjective(torch.nn.Module):
    """One stage's loss terms as a module's forward (what DDP wraps). Only the stage's own
    network trains: the rest of the model is frozen for the stage."""

    def __init__(self, model: FactorizedHMR, stage: str, weights: LossWeights,
                 cfg: TrainConfig) -> None:
        super().__init__()
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; known: {STAGES}")
        self.model, self.stage, self.weights, self.cfg = model, stage, weights, cfg
        self.net = {"stage1": model.stage1, "stage2": model.stage2,
                    "baseline": model.baseline}[stage]

    def forward(self, batch: Batch, gen: torch.Generator) -> dict[str, Tensor]:
        if self.stage == "stage1":
            return stage1_loss(self.model, batch, self.weights, self.cfg)
        if self.stage == "stage2":
            return stage2_loss(self.model, batch, self.weights, gen, self.cfg)
        return baseline_loss(self.model, batch, self.weights, self.cfg)


def _world() -> tuple[int, int]:
    """(rank, world size) of a torchrun run, (0, 1) otherwise."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _lr(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up then cosine decay to 5 %."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    p = (step - cfg.warmup) / max(cfg.steps - cfg.warmup, 1)
    return cfg.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(p, 1.0))))


def train_stage(model: FactorizedHMR, stage: str,
                next_batch: Callable[[np.random.Generator, int], Batch], cfg: TrainConfig,
                state_path: Path, log: Callable[[str], None],
                weights: LossWeights = LossWeights(), progress: bool = True
                ) -> list[dict[str, float]]:
    """Train one stage; resumes from ``state_path`` when it holds this stage's state.
    ``next_batch(rng, size)`` draws windows. Returns the logged loss history (each entry
    with ``windows_per_s`` and the share of the time spent drawing data)."""
    objective = StageObjective(model, stage, weights, cfg)
    net = objective.net
    rank, world = _world()
    if cfg.batch_size % world:
        raise ValueError(f"batch_size {cfg.batch_size} is not divisible by the {world} ranks")
    frozen = _freeze_all_but(model, net)
    device = torch.device(cfg.device)
    runner = objective
    if world > 1:
        runner = torch.nn.parallel.DistributedDataParallel(
            objective, device_ids=[device.index] if device.type == "cuda" else None)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    rng, gen = _random_streams(cfg.seed, stage, rank, world)
    step, history = _resume(state_path, stage, net, opt, rng, gen, rank, world, log)
    model.train()
    model.stage1.train(stage == "stage1")
    sums: dict[str, float] = {}
    data_s, tic = 0.0, time.perf_counter()
    saved = started = time.monotonic()
    bar = tqdm(total=cfg.steps, initial=step, desc=stage, unit="step", dynamic_ncols=True,
               disable=not progress or rank != 0)
    try:
        while step < cfg.steps:
            t0 = time.perf_counter()
            batch = next_batch(rng, cfg.batch_size // world).to(device)
            data_s += time.perf_counter() - t0
            with torch.autocast("cuda", torch.bfloat16, enabled=device.type == "cuda"):
                terms = runner(batch, gen)
            loss = _total({k: v.float() for k, v in terms.items()})
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
                entry = _history_entry(step, cfg, sums, time.perf_counter() - tic, data_s)
                history.append(entry)
                bar.set_postfix(loss=f"{entry['total']:.4g}")
                if rank == 0:
                    log(f"[{stage}] step {step}/{cfg.steps} " + " ".join(
                        f"{k}={v:.4g}" for k, v in entry.items() if k != "step"))
                sums, data_s, tic = {}, 0.0, time.perf_counter()
            out_of_time = (cfg.stop_after_s is not None
                           and time.monotonic() - started > cfg.stop_after_s)
            due = (step % cfg.checkpoint_every == 0 or step == cfg.steps or out_of_time
                   or time.monotonic() - saved > 60 * cfg.checkpoint_minutes)
            if cfg.snapshot_every and step % cfg.snapshot_every == 0 and rank == 0:
                save_snapshot(snapshot_path(state_path.parent, stage, step), net)
            if _agreed(due, world):
                _save_state(state_path, stage, net, opt, step, history, rng, gen, cfg, world)
                saved = time.monotonic()
                if _agreed(out_of_time, world) and step < cfg.steps:
                    log(f"[{stage}] stopped at step {step}/{cfg.steps} (time limit); run "
                        "again to continue")
                    break
    finally:
        for p in frozen:
            p.requires_grad_(True)
        bar.close()
    if world > 1:
        _check_in_step(net, world)
        if rank == 0:
            log(f"[{stage}] {world} ranks finished with identical weights")
    model.eval()
    return history


def snapshot_path(out: Path, stage: str, step: int) -> Path:
    """Where train_stage keeps ``stage``'s network weights at ``step``."""
    return out / "snapshots" / f"{stage}_{step:06d}.pt"


def save_snapshot(path: Path, net: torch.nn.Module) -> None:
    """The network's weights alone (atomically)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(net.state_dict(), tmp)
    tmp.replace(path)


def _random_streams(seed: int, stage: str, rank: int, world: int
                    ) -> tuple[np.random.Generator, torch.Generator]:
    """The windows' (NumPy) and the objective's (torch) random streams: one per rank."""
    data_seed = seed + STAGES.index(stage) * 1000
    rng = np.random.default_rng(data_seed if world == 1 else [data_seed, rank])
    return rng, torch.Generator().manual_seed(seed if world == 1 else seed * 1000 + rank)


def _freeze_all_but(model: torch.nn.Module, net: torch.nn.Module) -> list[torch.nn.Parameter]:
    """Stop the gradients of every trainable parameter of ``model`` outside ``net``;
    returns them (to be unfrozen after the stage)."""
    frozen = [p for p in model.parameters() if p.requires_grad and
              all(p is not q for q in net.parameters())]
    for p in frozen:
        p.requires_grad_(False)
    return frozen


def _resume(state_path: Path, stage: str, net: torch.nn.Module, opt, rng: np.random.Generator,
            gen: torch.Generator, rank: int, world: int, log: Callable[[str], None]
            ) -> tuple[int, list[dict[str, float]]]:
    """(step, history) of the stage's saved state, with the network, the optimiser and (for
    the same number of ranks) the random streams restored; (0, []) without one."""
    if not state_path.is_file():
        return 0, []
    state = torch.load(state_path, weights_only=True)
    if state["stage"] != stage:
        return 0, []
    net.load_state_dict(state["net"])
    opt.load_state_dict(state["optimizer"])
    rngs, gens = ((state["rng"], state["gen"]) if "world" in state
                  else ([state["rng"]], [state["gen"]]))     # a one-process state
    if len(rngs) == world:                   # the same ranks: their random streams
        rng.bit_generator.state = rngs[rank]
        gen.set_state(gens[rank])
    log(f"[{stage}] resumed at step {state['step']}")
    return state["step"], state["history"]


def _history_entry(step: int, cfg: TrainConfig, sums: dict[str, float], seconds: float,
                   data_s: float) -> dict[str, float]:
    """The logged means of the steps since the last entry, with the data throughput."""
    n = cfg.log_every if step % cfg.log_every == 0 else step % cfg.log_every
    return {"step": step, "lr": _lr(step - 1, cfg), "sec_per_step": seconds / n,
            "windows_per_s": n * cfg.batch_size / seconds, "data_share": data_s / seconds,
            **{k: v / n for k, v in sums.items()}}


def _check_in_step(net: torch.nn.Module, world: int) -> None:
    """Every rank must hold the same weights after DDP training (RuntimeError if not)."""
    mine = torch.stack([p.detach().double().sum() for p in net.parameters()])
    every = [torch.zeros_like(mine) for _ in range(world)]
    torch.distributed.all_gather(every, mine)
    if any(not torch.equal(every[0], other) for other in every[1:]):
        raise RuntimeError("DDP ranks hold different weights after training")


def _agreed(flag: bool, world: int) -> bool:
    """Rank 0's decision, for every rank (a time-based checkpoint must be taken by all)."""
    if world == 1:
        return flag
    decision = torch.tensor([float(flag)])
    torch.distributed.broadcast(decision, src=0)
    return bool(decision.item())


def _save_state(path: Path, stage: str, net: torch.nn.Module, opt, step: int,
                history: list, rng: np.random.Generator, gen: torch.Generator,
                cfg: TrainConfig, world: int) -> None:
    """Rank 0 writes the stage's state with every rank's random streams (atomically: a run
    cut off while writing keeps its previous state)."""
    streams = [(rng.bit_generator.state, gen.get_state())]
    if world > 1:
        gathered = [None] * world
        torch.distributed.all_gather_object(gathered, streams[0])
        streams = gathered
    if _world()[0] != 0:
        return
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"stage": stage, "net": net.state_dict(), "optimizer": opt.state_dict(),
                "step": step, "history": history, "rng": [r for r, _ in streams],
                "gen": [g for _, g in streams], "world": world, "config": asdict(cfg)}, tmp)
    tmp.replace(path)
