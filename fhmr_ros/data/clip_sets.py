"""The train and held-out test sets: procedural motion + retargeted BVH mocap, posed once.

Validation (for choosing inference settings, never the test set), procedural clips drawn
with the next seed, so none of them was trained on or is a test clip:
  "validation"         from the training distribution;
  "validation_unseen"  from the test distribution: every clip holds a motion combination
                       the train sampler never produces, as every procedural test clip
                       does (settings that lean on the model generalising are judged here).
Held-out test means: the BVH test subjects of shared/data/mocap/splits.json (people never
trained on) and procedural sequences drawn from the test seed range and the parameter
combinations the train sampler never produces (fhmr_ros/data/procedural). Test windows
also get their own camera-rig and detector-noise seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..body.body_model import BodyModel
from ..body.keypoints import keypoint_format
from .mirror import mirrored_clip
from .mocap_corpus import CorpusConfig, load_split
from .motion import MotionClip, load_clips, save_clips
from .procedural import procedural_clips
from .windows import ClipGeometry, prepare_clip


@dataclass(frozen=True)
class SplitSource:
    """Where one split's clips come from."""
    sampler: str        # procedural sampler: "train", or "test" (held-out combinations)
    seed_offset: int    # added to DataConfig.seed
    mocap: bool         # add the BVH clips of the same-named split of splits.json


SPLIT_SOURCES = {"train": SplitSource("train", 0, mocap=True),
                 "validation": SplitSource("train", 1, mocap=False),
                 "validation_unseen": SplitSource("test", 1, mocap=False),
                 "test": SplitSource("test", 0, mocap=True)}
SPLITS = tuple(SPLIT_SOURCES)
VALIDATION_SPLITS = ("validation", "validation_unseen")


@dataclass(frozen=True)
class DataConfig:
    procedural_train: int = 800     # procedural training sequences
    procedural_test: int = 40       # procedural held-out (and validation) sequences
    use_mocap: bool = True          # add the retargeted BVH clips of the split
    mocap_sets: tuple[str, ...] = CorpusConfig.sets   # which motion sets of the corpus
    mirror_mocap: bool = False      # train split: add each mocap clip's mirror image
    seed: int = 0
    fps: float = 30.0
    keypoint_format: str = "mediapipe33"


def motion_clips(split: str, cfg: DataConfig, body: BodyModel, cache_dir: Path,
                 log=print) -> list[MotionClip]:
    """All clips of a split (procedural + mocap), generated once and cached."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; known: {SPLITS}")
    source = SPLIT_SOURCES[split]
    count = cfg.procedural_train if split == "train" else cfg.procedural_test
    seed = cfg.seed + source.seed_offset
    cache = Path(cache_dir) / f"procedural_{split}_{count}_{seed}_{cfg.fps:g}.npz"
    if cache.is_file():
        clips = load_clips(cache)
    else:
        log(f"generating {count} procedural {split} sequences (cached in {cache})")
        clips = procedural_clips(count, seed=seed, split=source.sampler, body_model=body,
                                 fps=cfg.fps)
        save_clips(cache, clips)
    if cfg.use_mocap and source.mocap:
        mocap = load_split(split, body, CorpusConfig(sets=cfg.mocap_sets, fps=cfg.fps))
        if cfg.mirror_mocap and split == "train":
            mocap = mocap + [mirrored_clip(c, body) for c in mocap]
        clips = clips + mocap
    return clips


def clip_set(split: str, cfg: DataConfig, body: BodyModel, cache_dir: Path,
             log=print) -> list[ClipGeometry]:
    fmt = keypoint_format(cfg.keypoint_format)
    return [prepare_clip(c, body, fmt) for c in motion_clips(split, cfg, body, cache_dir, log)]
