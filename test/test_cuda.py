"""The CUDA paths (run by scripts/gpu_check.sh on a GPU machine; skipped without CUDA):
the model and the streaming engine on the GPU agree with the CPU, and the pose front-end
runs on CUDA where onnxruntime has its CUDA provider."""

import numpy as np
import pytest
import torch

from fhmr_ros.data.footage import vtest_frames
from fhmr_ros.model.checkpoint import default_checkpoint, load_checkpoint
from fhmr_ros.model.inputs import build_inputs
from fhmr_ros.perception.movenet_blazepose_detector import MoveNetBlazePoseDetector
from fhmr_ros.streaming.engine import PersonObservation, StreamingConfig, StreamingEngine

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")]


def _inputs(device):
    g = torch.Generator().manual_seed(0)
    B, T = 2, 64
    kp = torch.rand(B, T, 33, 3, generator=g) * torch.tensor([640.0, 480.0, 1.0])
    K = torch.tensor([[500.0, 0, 320], [0, 500.0, 240], [0, 0, 1]]).expand(B, T, 3, 3)
    T_wc = torch.eye(4).expand(B, T, 4, 4).clone()
    bbox = torch.tensor([200.0, 100.0, 400.0, 450.0]).expand(B, T, 4)
    return build_inputs(kp.to(device), K.to(device), T_wc.to(device), bbox.to(device))


def test_model_on_cuda_matches_cpu():
    cpu = load_checkpoint(default_checkpoint("lite"), "cpu")
    gpu = load_checkpoint(default_checkpoint("lite"), "cuda")
    with torch.no_grad():
        a_cpu, a_gpu = cpu.anchor(_inputs("cpu")), gpu.anchor(_inputs("cuda"))
        torch.testing.assert_close(a_gpu.cpu(), a_cpu, atol=2e-3, rtol=1e-3)
        opts = cpu.default_sampling(temperature=0.0)       # deterministic: no noise
        x_cpu = cpu.complete(_inputs("cpu"), a_cpu, opts)
        x_gpu = gpu.complete(_inputs("cuda"), a_gpu, opts)
    assert x_gpu.is_cuda and torch.isfinite(x_gpu).all()
    torch.testing.assert_close(x_gpu.cpu(), x_cpu, atol=2e-2, rtol=1e-2)


def test_engine_on_cuda_publishes_finite_people():
    engine = StreamingEngine(load_checkpoint(default_checkpoint("lite"), "cuda"),
                             StreamingConfig(stride=8, lag=8), "cuda")
    rng = np.random.default_rng(0)
    K = np.array([[500.0, 0, 320], [0, 500.0, 240], [0, 0, 1]])
    base = rng.uniform([250, 100, 0.9], [390, 400, 1.0], (33, 3)).astype(np.float32)
    results = []
    for t in range(90):
        kp = base + np.float32([2 * np.sin(t / 10), 0, 0])
        results += engine.update(t / 30, np.eye(4), K, [PersonObservation(1, kp, None)])
    results += engine.flush()
    assert len(results) == 90
    assert all(np.isfinite(r.joints_world).all() for r in results)


def test_front_end_on_cuda_finds_the_people_the_cpu_finds():
    frame = vtest_frames([50])[50]
    cpu = MoveNetBlazePoseDetector(device="cpu")
    gpu = MoveNetBlazePoseDetector(device="cuda")
    import onnxruntime
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        assert gpu.device == "cpu"          # fell back, and said so in the log
    else:
        assert gpu.device == "cuda"
    a, b = cpu.detect(frame), gpu.detect(frame)
    assert len(a) == len(b) >= 4
    boxes_a = np.stack(sorted([p.bbox for p in a], key=lambda x: x[0]))
    boxes_b = np.stack(sorted([p.bbox for p in b], key=lambda x: x[0]))
    np.testing.assert_allclose(boxes_a, boxes_b, atol=3.0)


@pytest.mark.parametrize("stage", ["stage1", "stage2"])
def test_training_on_cuda_in_bf16_lowers_the_loss(stage, body_model, tmp_path):
    """A small model fits a fixed batch on the GPU under bf16 autocast; its weights stay
    float32 on the GPU."""
    from dataclasses import replace

    from fhmr_ros.body.keypoints import keypoint_format
    from fhmr_ros.data.mocap_corpus import CorpusConfig, load_split
    from fhmr_ros.data.windows import prepare_clip
    from fhmr_ros.model.config import TransformerConfig, preset
    from fhmr_ros.model.kinematics import BodyGeometry
    from fhmr_ros.model.pipeline import FactorizedHMR
    from fhmr_ros.model.representation import encode
    from fhmr_ros.training.trainer import TrainConfig, train_stage
    from fhmr_ros.training.window_sampler import WindowSampler

    torch.manual_seed(0)
    fmt = keypoint_format("mediapipe33")
    clips = load_split("train", body_model, CorpusConfig(fps=30.0))[:2]
    batch = WindowSampler([prepare_clip(c, body_model, fmt) for c in clips], 16, fmt).batch(
        np.random.default_rng(0), 8)
    small = TransformerConfig(width=128, layers=2, heads=4, mlp_ratio=2.0, dropout=0.0)
    model = FactorizedHMR(replace(preset("lite"), window=16, stage1=small, stage2=small),
                          BodyGeometry(body_model.J_template, body_model.J_shapedirs))
    model.normalizer.fit(encode(batch.truth))
    model.to("cuda")
    cfg = TrainConfig(steps=150, lr=3e-3, warmup=10, log_every=10, device="cuda")
    hist = train_stage(model, stage, lambda rng, n: batch, cfg, tmp_path / "s.pt",
                       log=lambda m: None, progress=False)
    key = "flow" if stage == "stage2" else "total"
    assert hist[-1][key] < 0.6 * hist[0][key], (hist[0][key], hist[-1][key])
    net = model.stage1 if stage == "stage1" else model.stage2
    assert all(p.is_cuda and p.dtype == torch.float32 for p in net.parameters())
