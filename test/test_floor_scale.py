"""The floor sets each person's monocular scale (streaming/floor_scale.py): a larger body
farther away looks the same, the scale found from feet on a known floor is the true one,
and the adult range bounds it."""

import numpy as np
import pytest
import torch

from fhmr_ros.model.checkpoint import default_checkpoint, load_checkpoint
from fhmr_ros.model.inputs import random_inputs
from fhmr_ros.streaming.floor_scale import FloorConfig, FloorScale


@pytest.fixture(scope="module")
def model():
    return load_checkpoint(default_checkpoint("lite")).eval()


def test_scaled_betas_make_the_rest_skeleton_that_much_larger(model):
    body = model.body
    betas = torch.tensor([-2.0, 0.5, 0, 0, 0.3, 0, 0, 0, 0, 0])
    for s in (0.8, 1.0, 1.25, 1.5):
        scaled = body.scaled_betas(betas, torch.tensor(s))
        rest, bigger = body.rest_joints(betas), body.rest_joints(scaled)
        error = ((bigger - bigger[:1]) - s * (rest - rest[:1])).norm(dim=-1).max()
        assert float(error) < 0.015 * s
        assert float(body.skeleton_height(scaled) / body.skeleton_height(betas)) == \
            pytest.approx(s, rel=0.01)


def test_a_scaled_person_projects_where_the_unscaled_one_does(model):
    """decode(body_scale=s) under a static camera: every joint s times as far along its
    ray (the same pixels), the shape and the speed s times as large."""
    inputs = random_inputs(1, 16, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        x = model.state_without_sampling("stage1", model.deterministic_pass("stage1")(inputs))
        T = torch.eye(4).expand(1, 16, 4, 4).clone()
        T[..., 2, 3] = 1.5
        plain = model.decode(x, T)
        big = model.decode(x, T, body_scale=torch.tensor([1.3]))
    torch.testing.assert_close(big.joints_camera, 1.3 * plain.joints_camera, atol=0.02,
                               rtol=0.02)
    proj = lambda j: j[..., :2] / j[..., 2:]  # noqa: E731
    torch.testing.assert_close(proj(big.joints_camera), proj(plain.joints_camera), atol=0.01,
                               rtol=0.0)


def test_feet_on_a_known_floor_give_the_true_scale_within_the_adult_range(model):
    """A person 1.4 times too small and too near (what the image cannot tell apart): feet
    in contact on the floor 3 m below a level camera bring the scale to 1.4; without a
    floor the scale stays 1 unless the body falls outside the adult range."""
    betas = np.zeros(10)
    with torch.no_grad():
        rest = model.body.rest_joints(torch.zeros(10)).double().numpy()    # y up
    true = np.stack([rest[:, 0], -(rest[:, 1] - rest[:, 1].min()) + 3.0 - 0.03,
                     rest[:, 2] + 6.0], axis=1)       # optical frame: y down, 6 m ahead
    T = np.eye(4)
    T[:3, :3] = [[1, 0, 0], [0, 0, 1], [0, -1, 0]]    # camera -> world, z up, 3 m high
    T[2, 3] = 3.0
    cfg = FloorConfig(clearance_m=0.03 + float(rest[[10, 11], 1].mean() - rest[:, 1].min()),
                      skeleton_range_m=(1.0, 2.0))
    floor = FloorScale(cfg, model.body)
    small = true / 1.4
    contact = np.array([1.0, 1.0, 0.0, 0.0])
    floor.observe(np.stack([small] * 5), np.stack([contact] * 5), np.stack([T] * 5),
                  model.body.scaled_betas(torch.zeros(10), torch.tensor(1 / 1.4)).numpy(), 1.0)
    assert floor.scale == pytest.approx(1.4, rel=0.02)
    # the same scene in a world whose origin is 0.9 m up (a humanoid's odometry at its
    # pelvis): told where the floor is, the same scale; left at z = 0, another one
    raised = T.copy()
    raised[2, 3] -= 0.9
    for floor_z, same in ((-0.9, True), (None, False)):
        moved = FloorScale(cfg, model.body)
        moved.observe(np.stack([small] * 5), np.stack([contact] * 5), np.stack([raised] * 5),
                      model.body.scaled_betas(torch.zeros(10), torch.tensor(1 / 1.4)).numpy(),
                      1.0, floor_z)
        assert (moved.scale == pytest.approx(floor.scale, rel=1e-9)) == same
    tall = FloorScale(FloorConfig(use_floor=False, skeleton_range_m=(1.6, 1.8)), model.body)
    tall.observe(small[None], contact[None], T[None], betas, 1.0)
    skeleton = float(model.body.skeleton_height(torch.zeros(10)))     # 1.46 m: too short
    assert skeleton < 1.6 and tall.scale == pytest.approx(1.6 / skeleton, rel=1e-5)
