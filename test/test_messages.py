"""Real rclpy publisher -> subscriber round trips of fully populated fhmr_ros messages."""

import numpy as np
from builtin_interfaces.msg import Time
from geometry_msgs.msg import Point, Pose, Twist

from fhmr_ros.msg import (HumanState, HumanStateArray, HumanTrajectory, HumanTrajectoryArray,
                          HumanTrajectoryPoint)
from fhmr_ros.ros.loopback import publish_until_received


def _pose(rng):
    p = Pose()
    p.position.x, p.position.y, p.position.z = rng.normal(size=3).tolist()
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    p.orientation.x, p.orientation.y, p.orientation.z, p.orientation.w = q.tolist()
    return p


def _twist(rng):
    t = Twist()
    t.linear.x, t.linear.y, t.linear.z = rng.normal(size=3).tolist()
    t.angular.x, t.angular.y, t.angular.z = rng.normal(size=3).tolist()
    return t


def _points(rng, n):
    return [Point(x=float(a), y=float(b), z=float(c)) for a, b, c in rng.normal(size=(n, 3))]


def _f32(rng, n):
    return rng.normal(size=n).astype(np.float32)


def _human(rng, track_id):
    h = HumanState()
    h.id = f"body_b{track_id}"
    h.track_id = track_id
    h.tracking_state = HumanState.TRACKING_CONFIRMED
    h.confidence = 0.875
    h.bbox = np.array([10.5, 20.25, 300.0, 470.75], np.float32)
    h.betas = _f32(rng, 10)
    h.global_orient = _f32(rng, 3)
    h.body_pose = _f32(rng, 63)
    h.transl = _f32(rng, 3)
    h.pelvis_pose_camera = _pose(rng)
    h.pelvis_pose_world = _pose(rng)
    h.velocity_world = _twist(rng)
    h.joints_camera = _points(rng, 22)
    h.joints_world = _points(rng, 22)
    h.joint_observation_confidence = rng.uniform(size=22).astype(np.float32)
    h.joint_source = [HumanState.JOINT_SOURCE_ANCHOR] * 8 + [HumanState.JOINT_SOURCE_COMPLETED] * 14
    h.joint_uncertainty = rng.uniform(size=22).astype(np.float32)
    return h


def _assert_msg_equal(a, b, path="msg"):
    """Compare every field of two ROS messages, recursively."""
    if hasattr(a, "get_fields_and_field_types"):
        assert type(a) is type(b), path
        for field in a.get_fields_and_field_types():
            _assert_msg_equal(getattr(a, field), getattr(b, field), f"{path}.{field}")
    elif isinstance(a, (list, tuple)) and a and hasattr(a[0], "get_fields_and_field_types"):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_msg_equal(x, y, f"{path}[{i}]")
    elif isinstance(a, (np.ndarray, list, tuple)) or hasattr(a, "typecode"):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=path)
        assert len(a) > 0, f"{path} was left empty: the test must populate every field"
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _round_trip(msg, msg_type, topic):
    return publish_until_received(msg, msg_type, topic, "fhmr_msg_round_trip")[1]


def test_human_state_array_round_trip():
    rng = np.random.default_rng(0)
    msg = HumanStateArray()
    msg.header.stamp = Time(sec=1700000000, nanosec=123456789)
    msg.header.frame_id = "camera_color_optical_frame"
    msg.world_frame_id = "odom"
    msg.humans = [_human(rng, 3), _human(rng, 7)]
    back = _round_trip(msg, HumanStateArray, "humans_round_trip")
    assert back is not msg
    _assert_msg_equal(msg, back)
    # float32 fields carry the model's float32 output exactly
    np.testing.assert_array_equal(back.humans[1].body_pose, msg.humans[1].body_pose)


def test_human_trajectory_array_round_trip():
    rng = np.random.default_rng(1)
    msg = HumanTrajectoryArray()
    msg.header.stamp = Time(sec=42, nanosec=7)
    msg.header.frame_id = "odom"
    for track_id in (1, 2):
        traj = HumanTrajectory()
        traj.header = msg.header
        traj.id, traj.track_id = f"body_b{track_id}", track_id
        for k in range(5):
            pt = HumanTrajectoryPoint()
            pt.stamp = Time(sec=40 + k, nanosec=1000 * k + 1)
            pt.pelvis_pose = _pose(rng)
            pt.velocity = _twist(rng)
            pt.contact = rng.uniform(size=4).astype(np.float32)
            traj.points.append(pt)
        msg.trajectories.append(traj)
    _assert_msg_equal(msg, _round_trip(msg, HumanTrajectoryArray, "trajectories_round_trip"))


def test_human_state_from_a_body_rebuilds_the_same_mesh(body_model):
    """SMPL-X fields of a HumanState are exact enough to rebuild the mesh with smplx, and
    the pelvis poses and world joints agree with the camera-to-world transform."""
    import torch

    from fhmr_ros.geometry.rotations import axis_angle_to_matrix, quaternion_to_matrix
    from fhmr_ros.ros.messages import human_state_msg

    g = torch.Generator().manual_seed(5)
    params = {"betas": torch.randn(10, generator=g), "global_orient": torch.randn(3, generator=g),
              "body_pose": 0.3 * torch.randn(63, generator=g),
              "transl": torch.tensor([0.2, 0.4, 3.0])}
    out = body_model(**params, return_vertices=True)
    T = np.eye(4)
    T[:3, :3] = axis_angle_to_matrix(torch.tensor([0.1, -0.2, 1.0], dtype=torch.float64)).numpy()
    T[:3, 3] = [1.0, 2.0, 0.5]
    joints = out.joints[:22].numpy()
    msg = human_state_msg(track_id=9, tracking_state=HumanState.TRACKING_TENTATIVE,
                          confidence=0.5, bbox=np.array([1, 2, 3, 4]),
                          **{k: v.numpy() for k, v in params.items()}, joints_camera=joints,
                          T_world_camera=T, joint_confidence=np.ones(22),
                          joint_source=np.zeros(22), joint_uncertainty=np.zeros(22))
    back = _round_trip(msg, HumanState, "human_state_rebuild")
    rebuilt = body_model(*(torch.tensor(np.asarray(getattr(back, f))) for f in
                           ("betas", "global_orient", "body_pose", "transl")),
                         return_vertices=True)
    assert (rebuilt.vertices - out.vertices).abs().max() < 1e-5
    assert back.id == "body_b9"
    pc = back.pelvis_pose_camera
    np.testing.assert_allclose([pc.position.x, pc.position.y, pc.position.z], joints[0], atol=1e-6)
    world = np.array([[p.x, p.y, p.z] for p in back.joints_world])
    np.testing.assert_allclose(world, joints @ T[:3, :3].T + T[:3, 3], atol=1e-6)
    q = back.pelvis_pose_world.orientation
    R_world = quaternion_to_matrix(torch.tensor([q.x, q.y, q.z, q.w])).numpy()
    R_cam = axis_angle_to_matrix(params["global_orient"].double()).numpy()
    np.testing.assert_allclose(R_world, T[:3, :3] @ R_cam, atol=1e-6)
