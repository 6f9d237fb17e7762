"""ROS message conversions on real messages: images, camera info, odometry, TF, markers,
diagnostics and trajectories."""

import cv2
import numpy as np
import pytest
import torch
from builtin_interfaces.msg import Time
from diagnostic_msgs.msg import DiagnosticStatus
from nav_msgs.msg import Odometry
from sensor_msgs.msg import CompressedImage, Image
from tf2_msgs.msg import TFMessage
from visualization_msgs.msg import Marker

from fhmr_ros.body.skeleton import NON_TORSO_JOINTS
from fhmr_ros.geometry.rotations import quaternion_to_matrix, rotation_about_axis
from fhmr_ros.msg import HumanState
from fhmr_ros.ros.camera_info import (CameraInfoError, camera_info_msg,
                                      distortion_from_camera_info,
                                      intrinsics_from_camera_info)
from fhmr_ros.ros.diagnostics import diagnostic_array, diagnostic_status
from fhmr_ros.streaming.meters import LatencyWindow, RateMeter
from fhmr_ros.ros.image_conversion import (SUPPORTED_ENCODINGS, ImageError, bgr_to_compressed_msg,
                                           bgr_to_image_msg, compressed_to_bgr, declared_size,
                                           image_to_bgr)
from fhmr_ros.body.decimated_mesh import DecimatedBody, MeshDecimator
from fhmr_ros.ros.markers import MarkerPerson, delete_all_markers, human_markers
from fhmr_ros.ros.messages import TrajectorySample, trajectory_array_msg
from fhmr_ros.ros.odometry import (OdometryError, matrix_to_pose, odometry_msg, odometry_pose,
                                   pose_to_matrix, sec_to_stamp, stamp_to_sec)
from fhmr_ros.ros.tf_frames import body_frame, joint_frames, tf_message, transform_msg
from fhmr_ros.visualization.colors import ANCHOR_BGR, COMPLETED_BGR

STAMP = Time(sec=1_700_000_000, nanosec=250_000_000)
H, W = 6, 8


def _pattern() -> np.ndarray:
    """(H, W, 3) BGR test pattern with different gradients per channel, in 30..230; pixel
    pairs (2k, 2k + 1) share a colour so 4:2:2 chroma subsampling loses nothing."""
    y, x = np.mgrid[0:H, 0:W]
    pair = x // 2
    return np.stack([30 + 50 * pair, 40 + 30 * y, 230 - 20 * pair - 15 * y],
                    axis=-1).astype(np.uint8)


def _gray(bgr: np.ndarray) -> np.ndarray:
    return (bgr.astype(np.int64).sum(-1) // 3).astype(np.uint8)  # (H, W)


def _yuv422(bgr: np.ndarray, order: str) -> np.ndarray:
    """(H, W, 3) BGR -> (H, 2W) packed 4:2:2 bytes, BT.601 video range (as OpenCV)."""
    b, g, r = (bgr[..., i].astype(np.float64) for i in range(3))
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    planes = {"Y": 16 + 219 / 255 * luma, "U": 128 + 224 / 255 * 0.564 * (b - luma),
              "V": 128 + 224 / 255 * 0.713 * (r - luma)}
    y0, y1 = planes["Y"][:, 0::2], planes["Y"][:, 1::2]
    u, v = planes["U"][:, 0::2], planes["V"][:, 0::2]
    packed = {"uyvy": (u, y0, v, y1), "yuyv": (y0, u, y1, v)}[order]
    return np.stack(packed, axis=-1).round().astype(np.uint8).reshape(bgr.shape[0], -1)


def _image(encoding: str, rows: np.ndarray, bigendian: bool = False, pad: int = 0) -> Image:
    """Image from its (H, row bytes) uint8 rows, each followed by ``pad`` bytes of 0xEE."""
    rows = rows.reshape(rows.shape[0], -1)
    padded = np.concatenate([rows, np.full((rows.shape[0], pad), 0xEE, np.uint8)], axis=1)
    msg = Image(height=rows.shape[0], width=W, encoding=encoding,
                is_bigendian=int(bigendian), step=padded.shape[1])
    msg.data = padded.tobytes()
    return msg


def _encoded(encoding: str, bgr: np.ndarray, bigendian: bool = False, pad: int = 0):
    """(Image of ``bgr`` in ``encoding``, expected BGR decoding, tolerance in levels)."""
    alpha = np.full(bgr.shape[:2] + (1,), 77, np.uint8)
    gray = np.repeat(_gray(bgr)[..., None], 3, axis=-1)
    # low byte 7 differs from every high byte, so a byte-order mix-up shows
    mono16 = (_gray(bgr).astype(np.uint16) * 256 + 7).astype(">u2" if bigendian else "<u2")
    rows, expected, tolerance = {
        "bgr8": (bgr, bgr, 0), "8UC3": (bgr, bgr, 0), "rgb8": (bgr[..., ::-1], bgr, 0),
        "bgra8": (np.concatenate([bgr, alpha], -1), bgr, 0),
        "rgba8": (np.concatenate([bgr[..., ::-1], alpha], -1), bgr, 0),
        "mono8": (_gray(bgr), gray, 0), "8UC1": (_gray(bgr), gray, 0),
        "mono16": (mono16.view(np.uint8), gray, 1),
        "yuv422": (_yuv422(bgr, "uyvy"), bgr, 3), "uyvy": (_yuv422(bgr, "uyvy"), bgr, 3),
        "yuv422_yuy2": (_yuv422(bgr, "yuyv"), bgr, 3), "yuyv": (_yuv422(bgr, "yuyv"), bgr, 3),
    }[encoding]
    return _image(encoding, np.ascontiguousarray(rows), bigendian, pad), expected, tolerance


def _assert_decodes(msg: Image, expected: np.ndarray, tolerance: int) -> None:
    out = image_to_bgr(msg)
    assert out.shape == (H, W, 3) and out.dtype == np.uint8
    assert np.abs(out.astype(np.int64) - expected).max() <= tolerance


# ---- images ----

@pytest.mark.parametrize("encoding", SUPPORTED_ENCODINGS)
def test_every_encoding_decodes_the_pattern(encoding):
    _assert_decodes(*_encoded(encoding, _pattern()))


@pytest.mark.parametrize("encoding", ["bgr8", "rgb8", "mono8", "mono16", "yuv422"])
def test_row_padding_is_skipped(encoding):
    msg, expected, tolerance = _encoded(encoding, _pattern(), pad=5)
    assert msg.step > W * {"mono8": 1, "mono16": 2, "yuv422": 2}.get(encoding, 3)
    _assert_decodes(msg, expected, tolerance)


def test_big_endian_mono16():
    msg, expected, tolerance = _encoded("mono16", _pattern(), bigendian=True, pad=2)
    _assert_decodes(msg, expected, tolerance)
    msg.is_bigendian = 0  # the same bytes read little-endian give other values
    assert not np.array_equal(image_to_bgr(msg), expected)


def test_decoded_image_does_not_alias_the_message():
    msg, _, _ = _encoded("bgr8", _pattern())
    image_to_bgr(msg)[:] = 0
    assert np.array_equal(image_to_bgr(msg), _pattern())


def test_bgr_image_msg_round_trip():
    msg = bgr_to_image_msg(_pattern(), STAMP, "camera_optical")
    assert (msg.encoding, msg.width, msg.height, msg.step) == ("bgr8", W, H, 3 * W)
    assert msg.header.stamp == STAMP and msg.header.frame_id == "camera_optical"
    assert np.array_equal(image_to_bgr(msg), _pattern())


def _error(msg: Image, **kwargs) -> str:
    with pytest.raises(ImageError) as info:
        image_to_bgr(msg, **kwargs)
    return str(info.value)


def test_image_errors_say_what_is_wrong():
    msg, _, _ = _encoded("bgr8", _pattern())
    msg.encoding = "32FC1"
    text = _error(msg)
    assert "encoding" in text and "32FC1" in text and "yuv422" in text
    msg, _, _ = _encoded("bgr8", _pattern())
    msg.width = 0
    assert "empty" in _error(msg)
    msg, _, _ = _encoded("bgr8", _pattern())
    text = _error(msg, max_pixels=W * H - 1)
    assert "exceeds" in text and str(W * H - 1) in text and "max_pixels" in text
    msg.step = 3 * W - 1
    assert "step" in _error(msg)
    msg.step = 3 * W
    msg.data = bytes(3 * W * H - 1)
    assert "data" in _error(msg)
    msg, _, _ = _encoded("yuyv", _pattern())
    msg.width, msg.step = W - 1, 2 * (W - 1)
    assert "odd width" in _error(msg)


def _smooth_image() -> np.ndarray:
    y, x = np.mgrid[0:48, 0:64]
    return np.stack([2 * x + 40, 3 * y + 30, 200 - x - y], axis=-1).astype(np.uint8)


def test_jpeg_round_trip():
    image = _smooth_image()
    msg = bgr_to_compressed_msg(image, STAMP, "camera_optical", quality=95)
    assert msg.format == "jpeg" and msg.header.stamp == STAMP and len(msg.data) > 0
    out = compressed_to_bgr(msg)
    assert out.shape == image.shape
    assert np.abs(out.astype(np.int64) - image).mean() < 3.0


def test_compressed_size_is_read_from_the_header_before_decoding():
    image = _smooth_image()
    jpeg = bgr_to_compressed_msg(image, STAMP, "camera_optical")
    ok, png = cv2.imencode(".png", image)
    assert declared_size(bytes(jpeg.data)) == (image.shape[1], image.shape[0])
    assert declared_size(png.tobytes()) == (image.shape[1], image.shape[0])
    assert np.array_equal(compressed_to_bgr(CompressedImage(format="png", data=png.tobytes())),
                          image)
    # a 1 x 1 PNG whose header claims 60000 x 60000 (10.8 GB decoded): refused unread
    ok, tiny = cv2.imencode(".png", np.zeros((1, 1, 3), np.uint8))
    bomb = bytearray(tiny.tobytes())
    bomb[16:24] = (60000).to_bytes(4, "big") * 2
    with pytest.raises(ImageError, match="60000 x 60000 .* exceeds"):
        compressed_to_bgr(CompressedImage(format="png", data=bytes(bomb)))
    truncated = bytes(jpeg.data)[:2] + b"\xff\xe0\x00\x10" + b"\x00" * 14 + b"\xff\xda"
    with pytest.raises(ImageError, match="no.*frame header|without a frame header"):
        compressed_to_bgr(CompressedImage(format="jpeg", data=truncated))


def test_compressed_errors():
    with pytest.raises(ImageError, match="neither PNG nor JPEG"):
        compressed_to_bgr(CompressedImage(format="jpeg", data=b"not an image at all"))
    with pytest.raises(ImageError, match="decode"):                # a valid header only
        compressed_to_bgr(CompressedImage(format="jpeg", data=bytes(bgr_to_compressed_msg(
            _smooth_image(), STAMP, "c").data)[:300]))
    with pytest.raises(ImageError, match="empty"):
        compressed_to_bgr(CompressedImage(format="jpeg"))
    msg = bgr_to_compressed_msg(_smooth_image(), STAMP, "camera_optical")
    with pytest.raises(ImageError, match="exceeds"):
        compressed_to_bgr(msg, max_pixels=100)


# ---- camera info ----

K = np.array([[500.0, 0.0, 320.0], [0.0, 510.0, 240.0], [0.0, 0.0, 1.0]])


def test_camera_info_round_trip():
    msg = camera_info_msg(K, 640, 480, STAMP, "camera_optical")
    assert msg.distortion_model == "plumb_bob" and list(msg.d) == [0.0] * 5
    assert np.array_equal(np.reshape(msg.r, (3, 3)), np.eye(3))
    assert np.array_equal(np.reshape(msg.p, (3, 4)), np.hstack([K, np.zeros((3, 1))]))
    assert np.array_equal(intrinsics_from_camera_info(msg), K)


@pytest.mark.parametrize("k, words", [
    (np.zeros((3, 3)), "all-zero K"),
    (np.where(K == 500.0, np.nan, K), "non-finite"),
    (np.where(K == 510.0, -510.0, K), "focal"),
    (np.vstack([K[:2], [0.0, 0.0, 2.0]]), "last row"),
])
def test_camera_info_errors(k, words):
    msg = camera_info_msg(K, 640, 480, STAMP, "camera_optical")
    msg.k = np.asarray(k, np.float64).ravel()
    with pytest.raises(CameraInfoError, match=words):
        intrinsics_from_camera_info(msg)


@pytest.mark.parametrize("model, d", [
    ("plumb_bob", [-0.3, 0.1, 0.001, -0.002, 0.02]),
    ("rational_polynomial", [-0.3, 0.1, 0.001, -0.002, 0.02, 0.01, 0.0, 0.0]),
    ("equidistant", [0.1, -0.05, 0.01, 0.002]),
])
def test_camera_info_distortion_is_removed_from_keypoints(model, d):
    """Points projected through the lens (OpenCV's own projection) come back where a
    pinhole camera with the same K sees them."""
    msg = camera_info_msg(K, 640, 480, STAMP, "camera_optical")
    msg.distortion_model, msg.d = model, d
    lens = distortion_from_camera_info(msg)
    points = np.random.default_rng(0).uniform([-1.0, -0.7, 2.0], [1.0, 0.7, 5.0], (40, 3))
    if model == "equidistant":
        seen, _ = cv2.fisheye.projectPoints(points[:, None], np.zeros(3), np.zeros(3), K,
                                            np.array(d))
    else:
        seen, _ = cv2.projectPoints(points, np.zeros(3), np.zeros(3), K, np.array(d))
    seen = seen.reshape(-1, 2)
    pinhole = (points / points[:, 2:]) @ K.T
    assert np.abs(seen - pinhole[:, :2]).max() > 5.0                  # the lens matters
    assert np.abs(lens.undistort(seen, K) - pinhole[:, :2]).max() < 0.05


def test_camera_info_distortion_that_cannot_be_removed_is_refused():
    msg = camera_info_msg(K, 640, 480, STAMP, "camera_optical")
    assert distortion_from_camera_info(msg) is None                   # plumb_bob, all zero
    msg.distortion_model, msg.d = "double_sphere", [0.1, 0.5, 0.0, 0.0, 0.0, 0.0]
    with pytest.raises(CameraInfoError, match="image_rect"):
        distortion_from_camera_info(msg)
    msg.distortion_model, msg.d = "plumb_bob", [0.1, 0.2, 0.3]
    with pytest.raises(CameraInfoError, match="4 or 5 or 8 coefficients"):
        distortion_from_camera_info(msg)


def test_camera_info_zero_size():
    with pytest.raises(CameraInfoError, match="zero image size"):
        intrinsics_from_camera_info(camera_info_msg(K, 0, 480, STAMP, "camera_optical"))


# ---- odometry ----

def _yawed(yaw: float, t=(1.0, -2.0, 0.5)) -> np.ndarray:
    T = np.eye(4)
    T[:3, :3] = rotation_about_axis("z", yaw).double().numpy()
    T[:3, 3] = t
    return T


def test_odometry_round_trip():
    T = _yawed(0.7)
    msg = odometry_msg(STAMP, T, "odom", "base_link", linear_velocity=(0.5, 0.0, 0.0),
                       angular_velocity=(0.0, 0.0, 0.2))
    assert isinstance(msg, Odometry)
    assert (msg.header.frame_id, msg.child_frame_id) == ("odom", "base_link")
    assert (msg.twist.twist.linear.x, msg.twist.twist.angular.z) == (0.5, 0.2)
    stamp, T_back = odometry_pose(msg)
    assert stamp == pytest.approx(1_700_000_000.25)
    assert np.allclose(T_back, T, atol=1e-12)
    q = msg.pose.pose.orientation
    assert (q.z, q.w) == pytest.approx((np.sin(0.35), np.cos(0.35)))


def test_pose_quaternion_is_normalised():
    pose = matrix_to_pose(_yawed(-1.2))
    o = pose.orientation
    o.x, o.y, o.z, o.w = 3 * o.x, 3 * o.y, 3 * o.z, 3 * o.w
    assert np.allclose(pose_to_matrix(pose), _yawed(-1.2), atol=1e-12)


def test_odometry_errors():
    msg = odometry_msg(Time(), _yawed(0.3), "odom", "base_link")
    assert odometry_pose(msg)[0] == 0.0  # a zero stamp is allowed
    msg.pose.pose.position.y = float("nan")
    with pytest.raises(OdometryError, match="position is not finite"):
        odometry_pose(msg)
    msg = odometry_msg(STAMP, _yawed(0.3), "odom", "base_link")
    msg.pose.pose.orientation.z = float("inf")
    with pytest.raises(OdometryError, match="orientation is not finite"):
        odometry_pose(msg)
    msg = Odometry()
    msg.pose.pose.orientation.w = 0.0
    with pytest.raises(OdometryError, match="zero quaternion"):
        odometry_pose(msg)


def test_stamp_conversions():
    assert stamp_to_sec(Time(sec=12, nanosec=1)) == pytest.approx(12.000000001, abs=1e-12)
    assert sec_to_stamp(12.000000001) == Time(sec=12, nanosec=1)
    assert sec_to_stamp(-0.5) == Time(sec=-1, nanosec=500_000_000)
    assert sec_to_stamp(2.9999999999) == Time(sec=3, nanosec=0)
    back = sec_to_stamp(stamp_to_sec(STAMP))
    # a double holds epoch seconds to about 0.2 microseconds
    assert abs((back.sec - STAMP.sec) * 1e9 + back.nanosec - STAMP.nanosec) < 1000


# ---- TF ----

def _hips(left, right) -> np.ndarray:
    joints = np.zeros((22, 3))
    joints[1], joints[2] = left, right
    return joints


def test_body_frame_facing_x():
    T = body_frame(_hips((0.3, 2.1, 0.9), (0.3, 1.9, 0.95)))  # hips slightly tilted
    assert np.allclose(T[:3, 0], [1, 0, 0])
    assert np.allclose(T[:3, 1], [0, 1, 0])
    assert np.allclose(T[:3, 2], [0, 0, 1])
    assert np.allclose(T[:3, 3], [0.3, 2.0, 0.925])


def test_body_frame_facing_y():
    T = body_frame(_hips((-0.1, 0.0, 1.0), (0.1, 0.0, 1.0)))
    assert np.allclose(T[:3, 0], [0, 1, 0])
    assert np.allclose(T[:3, 1], [-1, 0, 0])
    assert np.allclose(T[:3, :3] @ T[:3, :3].T, np.eye(3))


def test_body_frame_degenerate_heading():
    stacked = _hips((1.0, 1.0, 1.2), (1.0, 1.0, 0.8))  # hips one above the other
    previous = _yawed(0.9)
    assert np.allclose(body_frame(stacked, previous)[:3, :3], previous[:3, :3])
    T = body_frame(stacked)
    assert np.allclose(T[:3, :3], np.eye(3)) and np.allclose(T[:3, 3], [1.0, 1.0, 1.0])


def test_transform_msg_and_tf_message():
    T = _yawed(2.5, t=(0.1, 0.2, 0.3))
    msg = transform_msg(T, STAMP, "odom", "body_4")
    assert (msg.header.frame_id, msg.child_frame_id, msg.header.stamp) == (
        "odom", "body_4", STAMP)
    tr, r = msg.transform.translation, msg.transform.rotation
    q = torch.tensor([r.x, r.y, r.z, r.w], dtype=torch.float64)
    assert np.allclose(quaternion_to_matrix(q).numpy(), T[:3, :3])
    assert (tr.x, tr.y, tr.z) == (0.1, 0.2, 0.3)
    tf = tf_message([msg, transform_msg(np.eye(4), STAMP, "body_4", "body_4_head")])
    assert isinstance(tf, TFMessage)
    assert [t.child_frame_id for t in tf.transforms] == ["body_4", "body_4_head"]


def test_joint_frames_rebuild_the_joints():
    joints = np.random.default_rng(0).normal(size=(22, 3))
    body_T = body_frame(joints)
    frames = joint_frames(joints, body_T, "body_7")
    assert frames[15][0] == "body_7_head" and len(frames) == 22
    rebuilt = np.stack([(body_T @ T)[:3, 3] for _, T in frames])
    assert np.allclose(rebuilt, joints)
    assert all(np.array_equal(T[:3, :3], np.eye(3)) for _, T in frames)


# ---- markers ----

@pytest.fixture(scope="module")
def rest_mesh(body_model):
    out = body_model.forward(torch.zeros(10), torch.zeros(3), torch.zeros(63),
                             return_vertices=True)
    return out.vertices.detach().double().numpy(), body_model.faces  # (V, 3), (F, 3)


def test_mesh_decimator(rest_mesh):
    vertices, faces = rest_mesh
    mesh = MeshDecimator(vertices, faces, voxel_size=0.05)
    assert 200 < len(mesh.faces) < 3000 and len(mesh.faces) < len(faces) / 5
    assert mesh.faces.min() >= 0 and mesh.faces.max() < len(mesh.vertex_index)
    assert mesh.vertex_index.max() < len(vertices)
    a, b, c = mesh.faces.T
    assert np.all((a != b) & (b != c) & (a != c))
    assert len(np.unique(np.sort(mesh.faces, axis=1), axis=0)) == len(mesh.faces)
    moved = vertices + [1.0, 2.0, 3.0]
    assert np.allclose(mesh.decimate(moved), vertices[mesh.vertex_index] + [1.0, 2.0, 3.0])


def test_decimated_body_poses_the_kept_vertices_exactly(body_model):
    mesh = DecimatedBody(body_model, voxel_size=0.07)
    assert 300 < len(mesh.decimator.vertex_index) < 1000 and 500 < len(mesh.faces) < 2500
    g = torch.Generator().manual_seed(0)
    betas, orient = torch.randn(10, generator=g), 0.5 * torch.randn(3, generator=g)
    pose, pelvis = 0.3 * torch.randn(63, generator=g), torch.tensor([1.0, -2.0, 0.5])
    full = body_model.vertices_at(betas, orient, pose, pelvis)[mesh.decimator.vertex_index]
    posed = mesh.vertices_at(betas.numpy(), orient.numpy(), pose.numpy(), pelvis.numpy())
    assert posed.shape == (len(mesh.decimator.vertex_index), 3)
    np.testing.assert_allclose(posed.numpy(), full.double().numpy(), atol=1e-5)


def _person(rest_mesh, track_id=3, mesh=None) -> MarkerPerson:
    rng = np.random.default_rng(track_id)
    source = np.zeros(22, np.uint8)
    source[list(NON_TORSO_JOINTS)] = HumanState.JOINT_SOURCE_COMPLETED
    uncertainty = np.where(source == 1, 0.04, 0.0)
    uncertainty[20] = 0.0  # a completed joint without spread gets no sphere
    return MarkerPerson(track_id=track_id, joints_world=rng.normal(size=(22, 3)),
                        joint_source=source, joint_uncertainty=uncertainty,
                        trajectory_world=rng.normal(size=(5, 3)),
                        vertices_world=(rest_mesh[0] if mesh is None
                                        else mesh.decimate(rest_mesh[0])))


def _rgb(color) -> tuple:
    return (color.r, color.g, color.b)


def test_human_markers(rest_mesh):
    mesh = MeshDecimator(*rest_mesh)
    person = _person(rest_mesh, mesh=mesh)
    markers = human_markers([person], "odom", STAMP, 0.5, mesh.faces).markers
    by_ns = {}
    for m in markers:
        by_ns.setdefault(m.ns, []).append(m)
        assert (m.header.frame_id, m.header.stamp) == ("odom", STAMP)
        assert (m.lifetime.sec, m.lifetime.nanosec) == (0, 500_000_000)
        assert not m.frame_locked and m.pose.orientation.w == 1.0
    assert set(by_ns) == {"skeleton", "joints", "mesh", "id", "trajectory", "uncertainty"}
    assert all(by_ns[ns][0].id == 3 for ns in ("skeleton", "joints", "mesh", "id", "trajectory"))

    skeleton = by_ns["skeleton"][0]
    assert skeleton.type == Marker.LINE_LIST and len(skeleton.points) == 2 * 21
    assert len(skeleton.colors) == 2 * 21
    # limb 0 is pelvis -> left_hip (completed), limb 2 is pelvis -> spine1 (anchor)
    b, g, r = COMPLETED_BGR
    assert _rgb(skeleton.colors[0]) == pytest.approx((r / 255, g / 255, b / 255))
    b, g, r = ANCHOR_BGR
    assert _rgb(skeleton.colors[4]) == pytest.approx((r / 255, g / 255, b / 255))
    assert _rgb(skeleton.colors[0]) != _rgb(skeleton.colors[4])

    triangles = by_ns["mesh"][0]
    assert triangles.type == Marker.TRIANGLE_LIST
    assert len(triangles.points) == 3 * len(mesh.faces) and triangles.color.a == 0.5
    text = by_ns["id"][0]
    assert text.text == "body_b3"
    assert text.pose.position.z > person.joints_world[15, 2]
    assert len(by_ns["trajectory"][0].points) == 5
    spheres = by_ns["uncertainty"]
    assert len(spheres) == len(NON_TORSO_JOINTS) - 1
    assert {m.id - 3 * 22 for m in spheres} == set(NON_TORSO_JOINTS) - {20}
    assert all(m.type == Marker.SPHERE and m.scale.x == pytest.approx(0.08) for m in spheres)
    assert len(by_ns["joints"][0].points) == 22


def test_human_markers_without_optional_parts(rest_mesh):
    person = _person(rest_mesh, track_id=8)
    person.joint_uncertainty = person.trajectory_world = None
    namespaces = [m.ns for m in human_markers([person], "odom", STAMP, 1.0, None).markers]
    assert sorted(namespaces) == ["id", "joints", "skeleton"]
    reset = delete_all_markers("odom", STAMP).markers
    assert len(reset) == 1 and reset[0].action == Marker.DELETEALL


# ---- diagnostics ----

def test_rate_meter():
    meter = RateMeter(window_s=5.0)
    assert meter.rate(0.0) == 0.0
    for k in range(201):  # 20 Hz for 10 s
        meter.tick(k / 20)
        if k == 20:
            assert meter.rate(1.0) == pytest.approx(20.0)
    assert meter.rate(10.0) == pytest.approx(20.0)
    assert meter.rate(12.5) == pytest.approx(10.0, abs=0.3)  # half the window is empty
    assert meter.rate(20.0) == 0.0


def test_latency_window():
    assert LatencyWindow().percentiles() == {"p50": 0.0, "p95": 0.0, "max": 0.0}
    window = LatencyWindow(size=100)
    for ms in range(1, 301):  # only the last 100 (201..300) stay
        window.add(float(ms))
    assert window.percentiles() == pytest.approx({"p50": 250.5, "p95": 295.05, "max": 300.0})


def test_diagnostic_array():
    status = diagnostic_status("fhmr_ros: pipeline", "camera_front", DiagnosticStatus.WARN[0],
                               "input rate low", {"rate_hz": 4.56789, "people": 2, "ok": True})
    array = diagnostic_array(STAMP, [status])
    assert array.header.stamp == STAMP and len(array.status) == 1
    s = array.status[0]
    assert s.level == DiagnosticStatus.WARN
    assert (s.name, s.hardware_id, s.message) == ("fhmr_ros: pipeline", "camera_front",
                                                 "input rate low")
    assert [(kv.key, kv.value) for kv in s.values] == [
        ("rate_hz", "4.568"), ("people", "2"), ("ok", "True")]


# ---- trajectories ----

def test_trajectory_array_msg():
    R = rotation_about_axis("z", 0.4).double().numpy()
    samples = [TrajectorySample(stamp=sec_to_stamp(10.0 + 0.1 * k),
                                position=np.array([k, 0.0, 0.9]), rotation=R,
                                linear_velocity=np.array([1.0, 0.0, 0.0]),
                                contact=np.array([1.0, 0.0, 0.0, 0.0]))
               for k in range(3)]
    msg = trajectory_array_msg({5: samples, 6: []}, sec_to_stamp(10.2), "odom")
    assert msg.header.frame_id == "odom" and msg.header.stamp == sec_to_stamp(10.2)
    first, empty = msg.trajectories
    assert (first.id, first.track_id, first.header.frame_id) == ("body_b5", 5, "odom")
    assert first.header.stamp == samples[-1].stamp and len(first.points) == 3
    assert empty.id == "body_b6" and len(empty.points) == 0
    point = first.points[2]
    assert point.pelvis_pose.position.x == 2.0 and point.velocity.linear.x == 1.0
    assert np.array_equal(point.contact, [1.0, 0.0, 0.0, 0.0])
    assert np.allclose(pose_to_matrix(point.pelvis_pose)[:3, :3], R)
