"""The shared motion-capture corpus: location, subject splits and cached loading.

Layout: ``<root>/<set>/<subject>/<trial>.bvh[.gz]`` (BVH, retargeted with the set's rig
map) or ``<trial>.npz`` (AMASS SMPL-X), plus ``splits.json`` =
``{"train": ["reactidle/000", ...], "test": [...]}`` listing whole subjects. A split loads
only the files of its own subjects, and a subject listed under two splits is an error, so
test subjects cannot leak into training.

Loaded clips are resampled to ``CorpusConfig.fps`` and cut into chunks of at most
``max_seconds``; the result is cached in one .npz under ``$FHMR_CACHE`` (default
``~/.cache/fhmr_ros``), keyed by the files' contents, the configuration, the body model and
CORPUS_CACHE_VERSION, so retargeting runs once.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from ..body.body_model import BodyModel
from ..body.standin_model import ensure_standin_model
from .. import cache_files
from .amass import load_amass
from .bvh import BvhFile, read_bvh
from .motion import MotionClip, load_clips, save_clips
from .retarget import (CMU_ASF_MAP, CMU_DAZ_MAP, CMU_MAP, REACTIDLE_MAP, BvhJointMap,
                       RetargetConfig, retarget_bvh)

CORPUS_CACHE_VERSION = 1   # bump whenever loading/retargeting changes its output
MOCAP_DIR_ENV = "FHMR_MOCAP_DIR"
# set name -> its BVH rigs, told apart by their joint names (CMU comes in three namings)
RIG_MAPS: dict[str, tuple[BvhJointMap, ...]] = {"reactidle": (REACTIDLE_MAP,),
                                                "cmu": (CMU_MAP, CMU_ASF_MAP, CMU_DAZ_MAP)}
MOTION_SUFFIXES = (".bvh", ".bvh.gz", ".npz")


@dataclass(frozen=True)
class CorpusConfig:
    # the motion sets a split loads; the shipped models were trained and are tested on
    # ReActIdle, and CMU joins the default when they are retrained with it
    sets: tuple[str, ...] = ("reactidle",)
    fps: float = 30.0                   # resample every clip to this rate
    max_seconds: float = 20.0           # longer clips are cut into equal chunks of at most this
    retarget: RetargetConfig = field(default_factory=RetargetConfig)


class MocapCorpusError(RuntimeError):
    """The corpus is missing or its split file is inconsistent."""


def find_mocap_dir(root: str | os.PathLike | None = None) -> Path:
    """The corpus folder: ``root`` if given, else $FHMR_MOCAP_DIR, else
    ``<repo>/../shared/data/mocap``, else ``/work/shared/data/mocap``."""
    repo = Path(__file__).resolve().parents[2]
    if root is not None:
        candidates = [Path(root)]
    elif os.environ.get(MOCAP_DIR_ENV):
        candidates = [Path(os.environ[MOCAP_DIR_ENV])]
    else:
        candidates = [repo.parent / "shared" / "data" / "mocap", Path("/work/shared/data/mocap")]
    for c in candidates:
        if (c / "splits.json").is_file():
            return c
    raise MocapCorpusError(
        "motion-capture corpus not found (looked for splits.json in "
        f"{', '.join(str(c) for c in candidates)}); set ${MOCAP_DIR_ENV} to its folder")


def read_splits(root: str | os.PathLike | None = None) -> dict[str, list[str]]:
    """``splits.json`` as {split: [subject, ...]}; raises when a subject is in two splits."""
    path = find_mocap_dir(root) / "splits.json"
    try:
        splits = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise MocapCorpusError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(splits, dict) or not all(
            isinstance(v, list) and all(isinstance(s, str) for s in v) for v in splits.values()):
        raise MocapCorpusError(f"{path}: expected {{split: [\"set/subject\", ...]}}")
    owner: dict[str, str] = {}
    for split, subjects in splits.items():
        for s in subjects:
            if s in owner and owner[s] != split:
                raise MocapCorpusError(f"{path}: subject {s!r} is in both {owner[s]!r} and "
                                       f"{split!r}")
            owner[s] = split
    return splits


def subject_of(clip_name: str) -> str:
    """``set/subject`` of a clip named ``set/subject/trial[/partK]``."""
    return "/".join(clip_name.split("/")[:2])


def split_files(split: str, root: str | os.PathLike | None = None,
                sets: tuple[str, ...] | None = None) -> list[Path]:
    """Motion files of one split's subjects, sorted (subjects with no folder are skipped:
    the corpus README lists subjects whose files were not obtained); ``sets``: only the
    subjects of these motion sets (None: all)."""
    root = find_mocap_dir(root)
    splits = read_splits(root)
    if split not in splits:
        raise MocapCorpusError(f"no split {split!r} in {root / 'splits.json'} "
                               f"(has {sorted(splits)})")
    files: list[Path] = []
    for subject in splits[split]:
        if sets is not None and subject.split("/")[0] not in sets:
            continue
        folder = root / subject
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir() if p.name.endswith(MOTION_SUFFIXES))
    return files


def chunk_clip(clip: MotionClip, max_seconds: float) -> list[MotionClip]:
    """Cut a clip into ceil(T / max_frames) nearly equal consecutive chunks, each at most
    max_frames = floor(max_seconds * fps) frames long, named ``<name>/part<k>``."""
    max_frames = max(1, int(math.floor(max_seconds * clip.fps)))
    count = math.ceil(clip.num_frames / max_frames)
    if count <= 1:
        return [clip]
    bounds = np.linspace(0, clip.num_frames, count + 1).round().astype(int)
    return [replace(clip.slice(int(a), int(b)), name=f"{clip.name}/part{k}")
            for k, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]


def load_motion_file(path: Path, root: Path, body_model: BodyModel,
                     retarget: RetargetConfig) -> MotionClip:
    """One corpus file as a MotionClip at its own frame rate, named ``set/subject/trial``."""
    rel = path.relative_to(root)
    name = str(rel.parent / rel.name.split(".")[0])
    if path.name.endswith(".npz"):
        return load_amass(path, name=name)
    bvh = read_bvh(path)
    return retarget_bvh(bvh, body_model, rig_map(bvh, rel.parts[0], path), name=name,
                        config=retarget).clip


def rig_map(bvh: BvhFile, motion_set: str, path: Path) -> BvhJointMap:
    """The rig map of ``motion_set`` whose every joint the file has."""
    if motion_set not in RIG_MAPS:
        raise MocapCorpusError(f"{path}: no BVH rig map for set {motion_set!r} "
                               f"(known: {sorted(RIG_MAPS)}); add one to RIG_MAPS")
    names = set(bvh.names)
    for joint_map in RIG_MAPS[motion_set]:
        if {*joint_map.rotation_source.values(), *joint_map.position_pairs.values()} <= names:
            return joint_map
    raise MocapCorpusError(f"{path}: its joints match no rig of set {motion_set!r} "
                           f"({', '.join(m.name for m in RIG_MAPS[motion_set])})")


def _cache_key(files: list[Path], root: Path, config: CorpusConfig,
               body_model: BodyModel) -> str:
    """sha1 over the version, the configuration, the rig maps, the body model's shape arrays
    and every file's relative path and contents."""
    h = hashlib.sha1()
    h.update(json.dumps({"version": CORPUS_CACHE_VERSION, "config": asdict(config),
                         "rigs": {k: [asdict(m) for m in v] for k, v in RIG_MAPS.items()}},
                        sort_keys=True).encode())
    for tensor in (body_model.J_template, body_model.J_shapedirs,
                   body_model.layer.v_template, body_model.layer.shapedirs):
        h.update(tensor.detach().cpu().numpy().tobytes())
    for f in files:
        h.update(str(f.relative_to(root)).encode())
        h.update(hashlib.sha1(f.read_bytes()).digest())
    return h.hexdigest()[:16]


def load_split(split: str, body_model: BodyModel | None = None,
               config: CorpusConfig = CorpusConfig(), root: str | os.PathLike | None = None,
               cache_dir: str | os.PathLike | None = None, use_cache: bool = True
               ) -> list[MotionClip]:
    """All clips of one split (``"train"`` / ``"test"``), retargeted to SMPL-X, resampled to
    ``config.fps`` and chunked; cached (see the module doc). ``body_model`` defaults to the
    generated stand-in."""
    if body_model is None:
        body_model = BodyModel(ensure_standin_model())
    root = find_mocap_dir(root)
    files = split_files(split, root, config.sets)
    if not files:
        raise MocapCorpusError(f"split {split!r} of {root} has no motion files")
    cache = None
    if use_cache:
        key = _cache_key(files, root, config, body_model)
        cache = Path(cache_dir) if cache_dir is not None else cache_files.cache_dir()
        cache = cache / f"mocap_{split}_{key}.npz"
        if cache.is_file():
            return load_clips(cache)
    clips = []
    for f in files:
        clip = load_motion_file(f, root, body_model, config.retarget).resample(config.fps)
        clips += chunk_clip(clip, config.max_seconds)
    if cache is not None:
        save_clips(cache, clips)
    return clips
