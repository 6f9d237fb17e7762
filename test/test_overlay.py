"""Overlays on the camera image (mesh, skeleton, detections, labels) with a real smplx body
on the stand-in model, and the top-down world trajectory plot."""

import cv2
import numpy as np
import pytest
import torch

from fhmr_ros.model.pipeline import joint_source
from fhmr_ros.visualization.colors import (ANCHOR_BGR, COMPLETED_BGR, SKELETON_LEGEND,
                                           track_color)
from fhmr_ros.visualization.overlay import (RenderedPerson, draw_banner, draw_keypoints,
                                            draw_label, draw_legend, draw_mesh, draw_skeleton,
                                            project_points, render_people)
from fhmr_ros.visualization.trajectory_plot import plot_world_trajectories

K = np.array([[500.0, 0.0, 320.0], [0.0, 500.0, 240.0], [0.0, 0.0, 1.0]])
SIZE = (480, 640)                    # (H, W)
FACING_CAMERA = (np.pi, 0.0, 0.0)    # SMPL-X y up, z forward -> optical y down, facing -z
SOURCE = joint_source().numpy()      # (22,) 0 anchor, 1 completed


def _grey() -> np.ndarray:
    return np.full((*SIZE, 3), 128, np.uint8)


def _pose_body(body_model, pelvis, seed=0):
    """Vertices (V, 3) and body joints (22, 3) of a mildly posed body facing the camera with
    its pelvis at ``pelvis`` (camera frame, metres)."""
    betas = torch.zeros(10)
    pose = 0.15 * torch.randn(63, generator=torch.Generator().manual_seed(seed))
    transl = torch.tensor(pelvis, dtype=torch.float32) - body_model.pelvis_offset(betas)
    out = body_model(betas, torch.tensor(FACING_CAMERA, dtype=torch.float32), pose, transl,
                     return_vertices=True)
    return out.vertices.numpy().astype(np.float64), out.joints[:22].numpy().astype(np.float64)


@pytest.fixture(scope="module")
def body(body_model):
    return _pose_body(body_model, (0.1, 0.05, 3.0))


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return (before != after).any(-1)                                    # (H, W)


def _midpoint(joints: np.ndarray, a: int, b: int) -> tuple[int, int]:
    """Pixel (row, col) halfway along the projected limb a-b."""
    u, v = project_points((joints[a] + joints[b]) / 2, K)
    return int(round(v)), int(round(u))


def test_projection_is_the_pinhole_model(body):
    _, joints = body
    pelvis = joints[0]
    np.testing.assert_allclose(pelvis, (0.1, 0.05, 3.0), atol=1e-5)
    uvw = K @ pelvis
    np.testing.assert_allclose(project_points(pelvis, K), uvw[:2] / uvw[2], atol=1e-9)
    np.testing.assert_allclose(project_points(pelvis, K), (320 + 500 * 0.1 / 3,
                                                           240 + 500 * 0.05 / 3), atol=1e-3)
    behind = project_points(np.array([[0.0, 0.0, -1.0], [0.2, 0.1, 0.0], [0.0, 0.0, 2.0]]), K)
    assert np.isnan(behind[:2]).all() and np.isfinite(behind[2]).all()
    assert project_points(np.zeros((4, 5, 3)), K).shape == (4, 5, 2)


def test_mesh_is_drawn_inside_the_projected_body_only(body, body_model):
    vertices, joints = body
    image = _grey()
    draw_mesh(image, vertices, body_model.faces, K, (0, 220, 0))
    changed = _changed(_grey(), image)
    uv = project_points(vertices, K)
    (x0, y0), (x1, y1) = np.floor(uv.min(0)).astype(int), np.ceil(uv.max(0)).astype(int)
    inside = np.zeros(SIZE, bool)
    inside[y0 - 1:y1 + 2, x0 - 1:x1 + 2] = True
    assert not changed[~inside].any()
    assert changed[inside].mean() > 0.15 and changed.sum() > 3000
    row, col = int(round(project_points(joints[0], K)[1])), int(project_points(joints[0], K)[0])
    assert changed[row, col]
    painted = image[changed].astype(float).mean(0)                      # tinted, translucent
    assert painted[1] > 140 and painted[0] < 120 and painted[2] < 120


def test_mesh_culls_faces_turned_away_from_the_camera():
    away = np.array([[-0.5, -0.5, 2.0], [0.5, -0.5, 2.0], [0.0, 0.5, 2.0]])  # normal +z
    image = _grey()
    draw_mesh(image, away, np.array([[0, 1, 2]]), K, (0, 220, 0))
    assert np.array_equal(image, _grey())
    draw_mesh(image, away, np.array([[0, 2, 1]]), K, (0, 220, 0))          # normal -z
    lit = 0.55 * 128 + 0.45 * np.array([0, 220, 0])    # nearly head-on: fully lit
    np.testing.assert_allclose(image[240, 320], lit, atol=1.5)


def test_skeleton_colours_anchor_and_completed_limbs(body):
    _, joints = body
    image = np.zeros((*SIZE, 3), np.uint8)
    draw_skeleton(image, joints, K, SOURCE, track_color(3), thickness=3)
    assert SOURCE[4] == SOURCE[7] == 1 and SOURCE[3] == SOURCE[6] == 0
    assert tuple(image[_midpoint(joints, 4, 7)]) == COMPLETED_BGR     # left knee - ankle
    assert tuple(image[_midpoint(joints, 5, 8)]) == COMPLETED_BGR     # right knee - ankle
    assert tuple(image[_midpoint(joints, 3, 6)]) == ANCHOR_BGR        # spine1 - spine2
    assert tuple(image[_midpoint(joints, 9, 12)]) == ANCHOR_BGR       # spine3 - neck


def test_points_behind_the_camera_are_not_drawn(body, body_model):
    vertices, joints = body
    flip = np.array([1.0, 1.0, -1.0])
    image = _grey()
    draw_mesh(image, vertices * flip, body_model.faces, K, (0, 220, 0))
    draw_skeleton(image, joints * flip, K, SOURCE, track_color(0))
    draw_keypoints(image, np.array([[np.nan, 10.0, 0.9], [50.0, 60.0, 0.1]]), (0, 0, 255))
    assert np.array_equal(image, _grey())
    half = joints.copy()
    half[[7, 10]] *= flip                                               # left ankle and foot
    draw_skeleton(image, half, K, SOURCE, track_color(0))
    assert _changed(_grey(), image).any()
    blank = np.zeros((*SIZE, 3), np.uint8)
    draw_skeleton(blank, half, K, SOURCE, track_color(0), thickness=3)
    assert tuple(blank[_midpoint(joints, 1, 4)]) == COMPLETED_BGR      # hip - knee: still there
    assert not blank[_midpoint(joints, 4, 7)].any()                   # knee - ankle: gone


def test_render_people_copies_and_draws_far_people_first(body_model):
    far_vertices, far_joints = _pose_body(body_model, (0.0, 0.0, 5.0), seed=1)
    far = RenderedPerson(1, far_joints, SOURCE, far_vertices)
    near_vertices, near_joints = _pose_body(body_model, (0.1, 0.0, 2.5), seed=2)
    keypoints = np.concatenate([project_points(near_joints, K), np.full((22, 1), 0.9)], 1)
    near = RenderedPerson(2, near_joints, SOURCE, near_vertices, keypoints,
                          bbox=np.array([200.0, 60.0, 440.0, 420.0]))
    image = _grey()
    out = render_people(image, [near, far], K, body_model.faces)
    assert np.array_equal(image, _grey()) and out is not image
    far_then_near = render_people(render_people(image, [far], K, body_model.faces), [near], K,
                                  body_model.faces)
    assert np.array_equal(out, far_then_near)
    assert not np.array_equal(out, render_people(image, [near, far], K, body_model.faces,
                                                 show_mesh=False, show_keypoints=False))


def test_labels_legend_and_banner_stay_in_their_places():
    red = np.full((*SIZE, 3), (0, 0, 200), np.uint8)    # no grey text pixel can match it
    image = red.copy()
    draw_banner(image, "focal length assumed: 691 px (no intrinsics given)")
    changed = _changed(red, image)
    assert changed[:10].all() and not changed[40:].any()
    image = _grey()
    draw_legend(image, list(SKELETON_LEGEND))
    rows, cols = np.nonzero(_changed(_grey(), image))
    assert rows.min() > SIZE[0] - 80 and cols.max() < SIZE[1] // 2
    assert (image == ANCHOR_BGR).all(-1).any() and (image == COMPLETED_BGR).all(-1).any()
    image = _grey()
    draw_label(image, "#12", (635.0, 2.0), track_color(12))            # clipped into view
    rows, cols = np.nonzero(_changed(_grey(), image))
    assert rows.size and rows.max() < 40 and cols.min() > 580
    assert (image == track_color(12)).all(-1).sum() > 50


def test_track_colours_are_stable_and_distinct():
    colours = [track_color(i) for i in range(12)]
    assert colours == [track_color(i) for i in range(12)]
    assert len(set(colours)) == len(colours)
    assert ANCHOR_BGR not in colours and COMPLETED_BGR not in colours


def test_world_trajectory_plot_writes_a_png_with_each_track_colour(tmp_path):
    t = np.linspace(0, 1, 60)[:, None]
    walker = np.concatenate([2 * t, np.sin(3 * t), np.zeros_like(t)], 1)   # (60, 3)
    runner = np.concatenate([1 - t, 3 * t - 1, np.zeros_like(t)], 1)
    runner[20:30] = np.nan                                                 # a tracking gap
    camera = np.concatenate([t - 1, -t, np.full_like(t, 1.2)], 1)
    path = tmp_path / "trajectories.png"
    plot_world_trajectories({4: walker, 7: runner}, camera, path, "clip 0", note="odometry")
    assert path.stat().st_size > 0
    image = cv2.imread(str(path))
    assert image is not None and image.shape[0] > 400
    for track_id in (4, 7):
        distance = np.abs(image.astype(int) - track_color(track_id)).max(-1)
        assert (distance <= 10).sum() > 100, track_id
    assert track_color(4) != track_color(7)
