"""The Stage-2 sampler: inpainting, guidance, solvers, seeding."""

import pytest
import torch

from fhmr_ros.body.body_model import BodyModel
from fhmr_ros.model.config import preset
from fhmr_ros.model.flow_sampler import guided_velocity, sample_flow
from fhmr_ros.model.inputs import FrameInputs, random_inputs
from fhmr_ros.model.kinematics import BodyGeometry
from fhmr_ros.model.pipeline import FactorizedHMR
from fhmr_ros.model.representation import ANCHOR_DIM, DIM


def seeded_inputs(B: int, T: int) -> FrameInputs:
    return random_inputs(B, T, generator=torch.Generator().manual_seed(0))


@pytest.fixture(scope="module")
def model(standin_path):
    body = BodyModel(standin_path)
    torch.manual_seed(0)
    m = FactorizedHMR(preset("lite"), BodyGeometry(body.J_template, body.J_shapedirs),
                      with_baseline=False).eval()
    for p in m.stage2.parameters():        # non-trivial weights: heads start at zero-ish
        p.data.normal_(0, 0.05)
    return m


@pytest.mark.parametrize("solver", ["euler", "midpoint"])
def test_known_coordinates_are_exactly_unchanged(model, solver):
    B, T = 2, 16
    inputs = seeded_inputs(B, T)
    anchor = torch.randn(B, T, ANCHOR_DIM)
    x_known = torch.randn(B, T, DIM)
    known = torch.zeros(B, T, DIM, dtype=torch.bool)
    known[:, :5] = True                                     # a published prefix
    opts = model.default_sampling(solver=solver, steps=4, seed=3)
    x = model.complete(inputs, anchor, opts, x_known, known)[0]
    assert torch.equal(x[..., :ANCHOR_DIM][:, 5:], anchor[:, 5:])
    assert torch.equal(x[:, :5], x_known[:, :5])
    assert not torch.allclose(x[:, 5:, ANCHOR_DIM:], torch.zeros(()), atol=1e-3)


def test_guidance_one_equals_conditional_pass(model):
    B, T = 2, 12
    inputs = seeded_inputs(B, T)
    anchor = torch.randn(B, T, ANCHOR_DIM)
    known = torch.zeros(B, T, DIM, dtype=torch.bool)
    known[..., :ANCHOR_DIM] = True
    cond = model.stage2.condition(inputs, anchor)
    uncond = model.stage2.unconditional(inputs, anchor)
    x = torch.randn(B, T, DIM)
    with torch.no_grad():
        v_cfg = guided_velocity(model.stage2, known, cond, uncond, 1.0)(x, 0.3)
        v_c = model.stage2.velocity(x, known, torch.full((B,), 0.3), cond)
        v_u = model.stage2.velocity(x, known, torch.full((B,), 0.3), uncond)
        v_w = guided_velocity(model.stage2, known, cond, uncond, 2.0)(x, 0.3)
        limited = guided_velocity(model.stage2, known, cond, uncond, 2.0, until=0.5)
        v_early, v_late = limited(x, 0.3), limited(x, 0.75)
        v_c_late = model.stage2.velocity(x, known, torch.full((B,), 0.75), cond)
    torch.testing.assert_close(v_cfg, v_c, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(v_w, v_u + 2.0 * (v_c - v_u), atol=1e-5, rtol=1e-5)
    assert not torch.allclose(v_c, v_u, atol=1e-4)         # dropping the observation matters
    # guidance in a limited interval: guided before t = 0.5, the conditional pass after
    torch.testing.assert_close(v_early, v_w, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(v_late, v_c_late, atol=1e-5, rtol=1e-5)


def test_sampling_is_seedable_and_hypotheses_differ(model):
    inputs = seeded_inputs(1, 10)
    anchor = torch.randn(1, 10, ANCHOR_DIM)
    a = model.complete(inputs, anchor, model.default_sampling(seed=7, hypotheses=3))
    b = model.complete(inputs, anchor, model.default_sampling(seed=7, hypotheses=3))
    c = model.complete(inputs, anchor, model.default_sampling(seed=8, hypotheses=3))
    assert a.shape == (3, 1, 10, DIM)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)
    assert not torch.allclose(a[0], a[1])


@pytest.mark.parametrize("solver", ["euler", "midpoint"])
def test_solvers_integrate_a_known_field(solver):
    """dx/dt = 2t has the solution x1 = x0 + 1; midpoint is exact, Euler is off by h."""
    x_known = torch.zeros(1, 1, 4)
    known = torch.zeros(1, 1, 4, dtype=torch.bool)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(1, 1, 4, generator=torch.Generator().manual_seed(0))
    x1 = sample_flow(lambda x, t: torch.full_like(x, 2 * t), x_known, known,
                     steps=4, solver=solver, generator=g)
    expected = x0 + (1.0 if solver == "midpoint" else 1.0 - 0.25)
    torch.testing.assert_close(x1, expected)


def test_bad_solver_and_steps_are_rejected():
    z = torch.zeros(1, 1, 2)
    m = torch.zeros(1, 1, 2, dtype=torch.bool)
    with pytest.raises(ValueError, match="solver"):
        sample_flow(lambda x, t: x, z, m, steps=2, solver="rk4")
    with pytest.raises(ValueError, match="steps"):
        sample_flow(lambda x, t: x, z, m, steps=0)


def test_window_hand_overs_are_cross_faded(model):
    """Offline windows (64 frames, stride 32) over 96 frames: with ``blend_frames`` 8 the
    second window also changes frames 56–63 (cross-faded: x = (1 − w) x_first + w x_second,
    w rising from 1/(k+1) to k/(k+1)); the frames before come from the first window alone,
    as without blending."""
    from fhmr_ros.model.sequence import crossfade, infer_sequence

    ramp = crossfade(torch.zeros(4, 2), torch.ones(4, 2))
    torch.testing.assert_close(ramp[:, 0], torch.tensor([0.2, 0.4, 0.6, 0.8]))
    inputs = seeded_inputs(1, 96)
    T_wc = torch.eye(4).expand(1, 96, 4, 4)
    hard, blended = (infer_sequence(model, inputs, T_wc, "two_stage",
                                    model.default_sampling(seed=0, blend_frames=b))
                     for b in (0, 8))
    torch.testing.assert_close(blended.joints_camera[:, :56], hard.joints_camera[:, :56])
    assert (blended.joints_camera[:, 56:64] - hard.joints_camera[:, 56:64]).abs().amax() > 1e-4
