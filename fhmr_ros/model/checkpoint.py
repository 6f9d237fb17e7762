"""Checkpoint files: config + body shape space + normaliser + network weights.

Shipped checkpoints store weights in float16 (half the size; inference runs in float32).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..shipped_models import models_dir
from .config import ModelConfig
from .kinematics import BodyGeometry
from .pipeline import FactorizedHMR

FORMAT = "fhmr_ros/checkpoint/v1"
NETWORKS = ("normalizer", "stage1", "stage2", "baseline")


def default_checkpoint(preset: str = "lite") -> Path:
    return models_dir() / f"fhmr_{preset}.pt"


def save_checkpoint(model: FactorizedHMR, path: str | os.PathLike, meta: dict | None = None,
                    half: bool = True) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cast = (lambda t: t.half() if half and t.is_floating_point() else t)  # noqa: E731
    nets = {name: {k: cast(v.detach().cpu()) for k, v in getattr(model, name).state_dict().items()}
            for name in NETWORKS if getattr(model, name) is not None}
    torch.save({"format": FORMAT, "config": model.cfg.to_dict(),
                "body": {"J_template": model.body.J_template.cpu(),
                         "J_shapedirs": model.body.J_shapedirs.cpu()},
                "networks": nets, "meta": meta or {}}, path)
    return path


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu"
                    ) -> FactorizedHMR:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"model checkpoint not found: {path}. The lite checkpoints ship in the repository's "
            f"models/ folder (set $FHMR_MODELS to use another folder); train your own with "
            f"`fhmr-train` (see docs/training.md).")
    try:    # tensors and plain containers only: a checkpoint cannot run code when loaded
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # noqa: BLE001 -- torch raises many kinds for a damaged file
        raise ValueError(f"{path} cannot be read as a checkpoint ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''}); it is damaged or "
                         "not a torch file") from e
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path} is not an fhmr_ros checkpoint (expected format {FORMAT})")
    try:
        cfg = ModelConfig.from_dict(state["config"])
        body = BodyGeometry(state["body"]["J_template"].float(),
                            state["body"]["J_shapedirs"].float())
        nets = state["networks"]
        model = FactorizedHMR(cfg, body, with_baseline="baseline" in nets)
        for name, sd in nets.items():
            getattr(model, name).load_state_dict({k: v.float() if v.is_floating_point() else v
                                                  for k, v in sd.items()})
    except (KeyError, TypeError, RuntimeError, AttributeError) as e:
        raise ValueError(f"{path} does not match this version's model ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''})") from e
    model.meta = state.get("meta", {})
    return model.to(device).eval()
