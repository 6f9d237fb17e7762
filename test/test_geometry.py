"""Property tests of the geometry layer."""

import math

import pytest
import torch

from fhmr_ros.geometry import rotations as rot
from fhmr_ros.geometry.camera_motion import camera_motion_features, relative_pose
from fhmr_ros.geometry.cameras import (bbox_xyxy_to_center_size, check_intrinsics,
                                       cliff_bbox_features, pixels_to_rays, project, unproject)
from fhmr_ros.geometry.gravity_view import (UPRIGHT_FACING_X, gravity_view_rotation,
                                            heading_yaw)
from fhmr_ros.geometry.trajectory import local_root_velocity, rollout_root_trajectory

G = torch.Generator().manual_seed(0)
K = torch.tensor([[500.0, 0.0, 320.0], [0.0, 480.0, 240.0], [0.0, 0.0, 1.0]], dtype=torch.float64)
UPRIGHT = UPRIGHT_FACING_X.double()


@pytest.fixture(autouse=True)
def float64():
    """Property checks in double precision, without leaking the default to other tests."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _random_rotations(n):
    return rot.axis_angle_to_matrix(torch.randn(n, 3, generator=G))


def test_rotation_round_trips():
    R = _random_rotations(100)
    torch.testing.assert_close(rot.axis_angle_to_matrix(rot.matrix_to_axis_angle(R)), R)
    torch.testing.assert_close(rot.quaternion_to_matrix(rot.matrix_to_quaternion(R)), R)
    torch.testing.assert_close(rot.rot6d_to_matrix(rot.matrix_to_rot6d(R)), R)
    aa = torch.randn(100, 3, generator=G)
    aa = aa / aa.norm(dim=-1, keepdim=True) * torch.rand(100, 1, generator=G) * 3.0
    torch.testing.assert_close(rot.rot6d_to_axis_angle(rot.axis_angle_to_rot6d(aa)), aa)
    torch.testing.assert_close(rot.quaternion_to_axis_angle(rot.axis_angle_to_quaternion(aa)), aa)


def test_known_rotations_and_conventions():
    Rz90 = rot.axis_angle_to_matrix(torch.tensor([0.0, 0.0, math.pi / 2]))
    torch.testing.assert_close(Rz90 @ torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, 1.0, 0.0]))
    torch.testing.assert_close(rot.rotation_about_axis("z", math.pi / 2), Rz90)
    q = rot.matrix_to_quaternion(Rz90)  # (x, y, z, w) like geometry_msgs
    s = math.sqrt(0.5)
    torch.testing.assert_close(q, torch.tensor([0.0, 0.0, s, s]))
    torch.testing.assert_close(rot.matrix_to_rot6d(Rz90), torch.tensor([0.0, 1, 0, -1, 0, 0]))
    for axis, v, expected in (("x", (0, 1, 0), (0, 0, 1)), ("y", (0, 0, 1), (1, 0, 0))):
        R = rot.rotation_about_axis(axis, math.pi / 2)
        torch.testing.assert_close(R @ torch.tensor(v, dtype=torch.float64),
                                   torch.tensor(expected, dtype=torch.float64))
    assert rot.geodesic_angle(torch.eye(3), Rz90).item() == pytest.approx(math.pi / 2)


def test_rot6d_decoding_gives_rotations_for_any_input():
    R = rot.rot6d_to_matrix(torch.randn(50, 6, generator=G))
    torch.testing.assert_close(R @ R.transpose(-1, -2), torch.eye(3).expand(50, 3, 3))
    torch.testing.assert_close(torch.linalg.det(R), torch.ones(50))


def test_projection_round_trip_and_rays():
    pts = torch.randn(4, 20, 3, generator=G) + torch.tensor([0.0, 0.0, 5.0])
    uv = project(pts, K)
    torch.testing.assert_close(unproject(uv, pts[..., 2], K), pts)
    rays = pixels_to_rays(uv, K)
    torch.testing.assert_close(rays[..., 2], torch.ones(4, 20))
    torch.testing.assert_close(rays * pts[..., 2:], pts)
    torch.testing.assert_close(project(torch.tensor([[0.0, 0.0, 2.0]]), K),
                               torch.tensor([[320.0, 240.0]]))  # optical axis -> principal point


def test_intrinsics_are_checked():
    check_intrinsics(K)
    with pytest.raises(ValueError, match="not calibrated"):
        check_intrinsics(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="NaN"):
        check_intrinsics(K * float("nan"))
    with pytest.raises(ValueError, match="must be"):
        check_intrinsics(torch.zeros(3, 4))


def test_cliff_bbox_features():
    cs = bbox_xyxy_to_center_size(torch.tensor([300.0, 140.0, 400.0, 340.0]))
    torch.testing.assert_close(cs, torch.tensor([350.0, 240.0, 200.0]))
    f = (500.0 + 480.0) / 2
    torch.testing.assert_close(cliff_bbox_features(cs, K),
                               torch.tensor([30.0 / f, 0.0, 200.0 / f]))


def test_gravity_view_of_a_level_camera_and_a_pitched_one():
    # level camera: gravity points along image +y (down)
    R = gravity_view_rotation(torch.tensor([0.0, 1.0, 0.0]))
    torch.testing.assert_close(R @ torch.tensor([0.0, 0.0, 1.0]), torch.tensor([1.0, 0, 0]))
    torch.testing.assert_close(R @ torch.tensor([0.0, -1.0, 0.0]), torch.tensor([0.0, 0, 1]))
    torch.testing.assert_close(R @ torch.tensor([1.0, 0.0, 0.0]), torch.tensor([0.0, -1, 0]))
    # camera pitched down by 30 deg: gravity has a forward component
    a = math.radians(30)
    g = torch.tensor([0.0, math.cos(a), math.sin(a)])
    R = gravity_view_rotation(g)
    torch.testing.assert_close(R @ g, torch.tensor([0.0, 0.0, -1.0]))
    fwd = R @ torch.tensor([0.0, 0.0, 1.0])
    assert fwd[0] > 0 and abs(fwd[1]) < 1e-9  # still looks forward, tilted down
    torch.testing.assert_close(R @ R.T, torch.eye(3))
    # looking straight down: still a valid rotation
    R = gravity_view_rotation(torch.tensor([0.0, 0.0, 1.0]))
    torch.testing.assert_close(torch.linalg.det(R), torch.tensor(1.0))


def test_heading_yaw_of_an_upright_body():
    for yaw in (-2.5, -0.3, 0.0, 1.0, 3.0):
        R = rot.rotation_about_axis("z", yaw) @ UPRIGHT
        assert heading_yaw(R).item() == pytest.approx(yaw)


def _pose(R, p):
    T = torch.eye(4)
    T[:3, :3], T[:3, 3] = R, torch.as_tensor(p, dtype=torch.float64)
    return T


def test_camera_motion_features_of_a_known_motion():
    # camera 0 at origin; camera 1 one metre further along camera 0's optical axis and
    # yawed 90 deg about its own y (down) axis; camera optical frame of a level camera.
    R0 = torch.tensor([[0.0, 0.0, 1.0], [-1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])  # optical in z-up world
    R1 = R0 @ rot.rotation_about_axis("y", math.pi / 2)
    T = torch.stack([_pose(R0, (0, 0, 1)), _pose(R1, (1, 0, 1))])
    m = camera_motion_features(T)
    torch.testing.assert_close(m.delta_transl[1], torch.tensor([0.0, 0.0, 1.0]))
    torch.testing.assert_close(rot.rot6d_to_matrix(m.delta_rot6d[1]),
                               rot.rotation_about_axis("y", math.pi / 2))
    torch.testing.assert_close(m.delta_transl[0], torch.zeros(3))
    torch.testing.assert_close(rot.rot6d_to_matrix(m.delta_rot6d[0]), torch.eye(3))
    torch.testing.assert_close(m.gravity[0], torch.tensor([0.0, 1.0, 0.0]))  # level: image down
    dR, dp = relative_pose(T[0], T[1])
    torch.testing.assert_close(dR, R0.T @ R1)


def test_rollout_of_a_known_circle():
    fps, n, radius, speed = 30.0, 300, 2.0, 1.0
    t = torch.arange(n) / fps
    ang = speed * t / radius
    pos = torch.stack([radius * torch.sin(ang), radius * (1 - torch.cos(ang)), torch.zeros(n)], -1)
    R = rot.rotation_about_axis("z", ang) @ UPRIGHT  # facing along the path
    v = local_root_velocity(R, pos, fps)
    # walking forward on a circle: body-frame velocity ~ (speed, small sideways, 0)
    assert (v[:, 0] - speed).abs().max() < 0.01
    assert v[:, 1].abs().max() < 0.02 and v[:, 2].abs().max() < 1e-9
    rolled = rollout_root_trajectory(R, v, fps, start=pos[0])
    torch.testing.assert_close(rolled, pos)
    # a constant forward velocity integrates to the known circle, up to the first-order
    # error of stepping along the heading at the start of each step: each step's direction
    # is off by half the turn per step, so the drift is bounded by path length * turn / 2
    rolled_const = rollout_root_trajectory(R, torch.tensor([speed, 0.0, 0.0]).expand(n, 3), fps)
    path_length, turn_per_step = speed * n / fps, speed / (radius * fps)
    drift = (rolled_const - pos).norm(dim=-1)
    assert drift.max() < path_length * turn_per_step / 2
    assert drift[-1] < 0.05 * drift.new_tensor(path_length)


def test_world_filter_damps_depth_noise_more_than_lateral_noise():
    """A person standing still 5 m in front of a camera; the camera-based pelvis shakes by
    ±0.3 m along the viewing ray and, separately, ±0.3 m across it. With α_d = α the filter
    is the plain p_t = α p̂_t + (1 − α) p^cam_t; with α_d > α the depth shake is damped more
    and the lateral one as much as before (up to the ray's tilt)."""
    from fhmr_ros.model.world import fuse_world_pelvis

    n, fps, alpha = 60, 30.0, 0.8
    origin = torch.zeros(n, 3)
    still = torch.tensor([5.0, 0.0, 0.0])                    # on the ray along x
    shake = 0.3 * torch.tensor([1.0, -1.0]).repeat(n // 2)[:, None]
    R_root, zero_velocity = UPRIGHT.expand(n, 3, 3), torch.zeros(n, 3)

    def filtered(offset_axis: int, alpha_depth: float) -> torch.Tensor:
        direction = torch.zeros(3)
        direction[offset_axis] = 1.0
        camera_based = still + shake * direction                                # (n, 3)
        return fuse_world_pelvis(camera_based, origin, R_root, zero_velocity, fps, alpha,
                                 alpha_depth), camera_based

    plain, cam = filtered(0, alpha)
    expected = [cam[0]]
    for t in range(1, n):
        expected.append(alpha * expected[-1] + (1 - alpha) * cam[t])
    torch.testing.assert_close(plain, torch.stack(expected))
    shaking = lambda p: p[-20:].diff(dim=0).norm(dim=-1).max()  # noqa: E731
    assert shaking(filtered(0, 0.95)[0]) < 0.3 * shaking(plain)                # depth
    torch.testing.assert_close(filtered(1, 0.95)[0][:, 1], filtered(1, alpha)[0][:, 1],
                               atol=0.01, rtol=0)                              # lateral
