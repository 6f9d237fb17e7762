"""Model configuration dataclasses and the presets ``full``, ``medium`` and ``lite``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace


@dataclass(frozen=True)
class TransformerConfig:
    """A RoPE transformer over the frames of a window."""

    width: int = 512
    layers: int = 12
    heads: int = 8
    mlp_ratio: float = 4.0
    dropout: float = 0.1


@dataclass(frozen=True)
class InputConfig:
    """Per-frame conditions (see model/encoders.py)."""

    keypoint_format: str = "mediapipe33"
    ray_frequencies: int = 4             # sinusoidal frequencies per ray coordinate
    keypoint_embed: int = 32             # per-keypoint embedding width
    min_confidence: float = 0.3          # below this a keypoint gets the learned mask token


@dataclass(frozen=True)
class FlowConfig:
    """Stage 2 flow matching and sampling defaults."""

    condition_drop_prob: float = 0.1     # classifier-free guidance training dropout
    sample_steps: int = 20               # paper: 50, saturates near 20
    solver: str = "midpoint"             # "euler" or "midpoint"
    guidance: float = 2.5                # w in v = v_u + w (v_c - v_u); 1 = no guidance
    guidance_until: float = 1.0          # guide only while t < this; later steps: v_c alone
    temperature: float = 0.25            # scale of the initial noise x0 (chosen on validation)
    blend_frames: int = 16               # frames cross-faded where windows hand over (valid.)


@dataclass(frozen=True)
class ModelConfig:
    """Everything needed to rebuild the networks of a checkpoint."""

    preset: str = "full"
    window: int = 120                    # training window length in frames
    fps: float = 30.0
    inputs: InputConfig = field(default_factory=InputConfig)
    stage1: TransformerConfig = field(default_factory=TransformerConfig)
    stage2: TransformerConfig = field(default_factory=TransformerConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)
    world_velocity_weight: float = 0.9   # α of the world-position filter (model/world.py)
    world_depth_velocity_weight: float = 0.98  # α_d: the same along the viewing ray (valid.)

    @property
    def baseline(self) -> TransformerConfig:
        """The deterministic baseline has the depth of both stages together (same size)."""
        return replace(self.stage1, layers=self.stage1.layers + self.stage2.layers)

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "ModelConfig":
        return ModelConfig(
            preset=d["preset"], window=d["window"], fps=d["fps"],
            inputs=InputConfig(**d["inputs"]), stage1=TransformerConfig(**d["stage1"]),
            stage2=TransformerConfig(**d["stage2"]), flow=FlowConfig(**d["flow"]),
            world_velocity_weight=d["world_velocity_weight"],
            # checkpoints from before α_d had one gain for both directions
            world_depth_velocity_weight=d.get("world_depth_velocity_weight",
                                              d["world_velocity_weight"]))


LITE_TRANSFORMER = TransformerConfig(width=128, layers=4, heads=4, mlp_ratio=2.0, dropout=0.0)
MEDIUM_TRANSFORMER = TransformerConfig(width=160, layers=6, heads=5, mlp_ratio=2.0,
                                       dropout=0.0)
# Stage 2 trained with GENMO's estimation mode (training.TrainConfig.estimation_share): one
# Euler step without guidance, chosen on the validation split (models/README.md).
LITE_FLOW = FlowConfig(sample_steps=1, solver="euler", guidance=1.0)

PRESETS: dict[str, ModelConfig] = {
    # The paper's size: 12 layers, 8 heads, width 512 in both stages.
    "full": ModelConfig(preset="full", window=120),
    # Trainable on a 2-core CPU and real-time on it.
    "lite": ModelConfig(preset="lite", window=64, stage1=LITE_TRANSFORMER,
                        stage2=LITE_TRANSFORMER, flow=LITE_FLOW),
    # lite's sampling with ~2.3x the transformer compute per frame (6 layers, width 160):
    # the largest that keeps Stage 1 + Stage 2 within 10 ms per streaming frame at stride 8
    # on 2 CPU cores (docs/benchmarks.md, Model latency).
    "medium": ModelConfig(preset="medium", window=64, stage1=MEDIUM_TRANSFORMER,
                          stage2=MEDIUM_TRANSFORMER, flow=LITE_FLOW),
}


def preset(name: str) -> ModelConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown model preset {name!r}; known: {sorted(PRESETS)}") from None


def parse_overrides(text: str, known: Collection[str], what: str) -> dict[str, str]:
    """``"name=value,..."`` -> {name: value}, every name in ``known``; a bad item raises a
    ValueError that names ``what`` (e.g. "loss weight") and the known names."""
    values = {}
    for item in filter(None, (kv.strip() for kv in text.split(","))):
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or name not in known or not value:
            raise ValueError(f"bad {what} {item!r}: expected name=value with a name in "
                             f"{sorted(known)}")
        values[name] = value
    return values
