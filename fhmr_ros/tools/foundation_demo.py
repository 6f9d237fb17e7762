"""The first part of `make demo` (the model part is tools/model_demo.py).

It exercises the foundation end to end, with nothing to download:
  1. generates (once) the stand-in SMPL-X-format body model and loads it through smplx;
  2. poses two people in front of a camera (SMPL-X parameters in the camera optical frame);
  3. renders their meshes, skeletons and MediaPipe-33 keypoints into a PNG;
  4. publishes them as a real fhmr_ros/HumanStateArray over rclpy, receives it back, and
     rebuilds both meshes from the received SMPL-X fields to show the message is complete.
The poses are written by hand here; the model demo runs FactorizedHMR.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from fhmr_ros.body.body_model import BodyModel
from fhmr_ros.body.keypoints import MEDIAPIPE33
from fhmr_ros.body.skeleton import BODY_PARENTS, NON_TORSO_JOINTS
from fhmr_ros.body.standin_model import ensure_standin_model
from fhmr_ros.geometry.cameras import project
from fhmr_ros.geometry.rotations import matrix_to_axis_angle, rotation_about_axis

WIDTH, HEIGHT = 960, 720
K = np.array([[800.0, 0.0, WIDTH / 2], [0.0, 800.0, HEIGHT / 2], [0.0, 0.0, 1.0]])
ANCHOR_BGR, COMPLETED_BGR = (60, 180, 255), (255, 160, 40)


def _people() -> list[dict[str, torch.Tensor]]:
    """Two hand-posed people facing the camera, SMPL-X parameters in the camera frame."""
    facing_camera = rotation_about_axis("x", torch.tensor(np.pi))  # body y up -> camera -y
    people = []
    for k, (x, z, yaw, beta0) in enumerate(((-0.9, 4.0, 0.4, -1.0), (0.8, 5.0, -0.3, 1.5))):
        pose = torch.zeros(21, 3)
        pose[15] = torch.tensor([0.0, 0.0, -1.2 + 0.4 * k])   # left shoulder down/raised
        pose[16] = torch.tensor([0.0, 0.0, 1.25])             # right shoulder: arm down
        pose[17] = torch.tensor([0.0, -1.3, 0.0])             # left elbow bent
        pose[0] = torch.tensor([-0.5, 0.0, 0.1])              # left hip forward
        pose[3] = torch.tensor([0.9, 0.0, 0.0])               # left knee bent
        R = facing_camera @ rotation_about_axis("y", torch.tensor(yaw))
        betas = torch.zeros(10)
        betas[0] = beta0
        people.append({"betas": betas, "global_orient": matrix_to_axis_angle(R),
                       "body_pose": pose.reshape(63), "transl": torch.tensor([x, 0.6, z])})
    return people


def _render(image: np.ndarray, body: BodyModel, people: list[dict]) -> np.ndarray:
    """Flat-shaded meshes (painter's algorithm), skeletons coloured by joint source, and
    the MediaPipe-33 keypoints the body maps to."""
    Kt = torch.as_tensor(K, dtype=torch.float32)
    faces = body.faces
    for person in sorted(people, key=lambda p: -float(p["transl"][2])):  # far first
        out = body(**person, return_vertices=True)
        v = out.vertices
        tri = v[faces]                                                 # (F, 3, 3)
        normal = torch.linalg.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        normal = normal / normal.norm(dim=-1, keepdim=True).clamp(min=1e-12)
        visible = (normal * tri.mean(1)).sum(-1) < 0                   # facing the camera
        shade = (0.35 + 0.65 * (-normal[:, 2]).clamp(0, 1)).numpy()
        uv = project(v, Kt).numpy()
        order = np.argsort(-tri.mean(1)[:, 2].numpy())
        for f in order[visible.numpy()[order]]:
            c = int(70 + 150 * shade[f])
            cv2.fillConvexPoly(image, np.round(uv[faces[f]] * 16).astype(np.int32),
                               (c, c, c), lineType=cv2.LINE_AA, shift=4)
        joints = project(out.joints[:22], Kt).numpy()
        for j, p in enumerate(BODY_PARENTS):
            if p >= 0:
                color = COMPLETED_BGR if j in NON_TORSO_JOINTS else ANCHOR_BGR
                cv2.line(image, tuple(np.int32(joints[p])), tuple(np.int32(joints[j])), color,
                         3, cv2.LINE_AA)
        for u, w in project(MEDIAPIPE33.from_landmarks(out.landmarks), Kt).numpy():
            cv2.circle(image, (int(u), int(w)), 3, (40, 220, 40), -1, cv2.LINE_AA)
    cv2.putText(image, "stand-in SMPL-X body: anchor (orange) / completed (blue) joints, "
                "MediaPipe-33 keypoints (green)", (12, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.55,
                (30, 30, 30), 1, cv2.LINE_AA)
    return image


def _publish_and_receive(body: BodyModel, people: list[dict]):
    """Publish a HumanStateArray with real rclpy and return what the subscriber received."""
    from fhmr_ros.msg import HumanState, HumanStateArray
    from fhmr_ros.ros.loopback import publish_until_received
    from fhmr_ros.ros.messages import human_state_msg

    msg = HumanStateArray()
    msg.header.frame_id = "camera_optical_frame"
    msg.world_frame_id = "odom"
    T_world_camera = np.eye(4)  # camera optical frame -> z-up world, camera 1.2 m high
    T_world_camera[:3, :3] = [[0, 0, 1], [-1, 0, 0], [0, -1, 0]]
    T_world_camera[2, 3] = 1.2
    for track_id, person in enumerate(people, start=1):
        joints = body.body_joints(**person).numpy()
        source = np.zeros(22, np.uint8)
        source[list(NON_TORSO_JOINTS)] = HumanState.JOINT_SOURCE_COMPLETED
        uv = project(torch.as_tensor(joints), torch.as_tensor(K, dtype=torch.float32)).numpy()
        msg.humans.append(human_state_msg(
            track_id=track_id, tracking_state=HumanState.TRACKING_CONFIRMED, confidence=1.0,
            bbox=np.r_[uv.min(0), uv.max(0)], **{k: v.numpy() for k, v in person.items()},
            joints_camera=joints, T_world_camera=T_world_camera,
            joint_confidence=np.ones(22), joint_source=source, joint_uncertainty=np.zeros(22)))
    now_ns = time.time_ns()
    msg.header.stamp.sec, msg.header.stamp.nanosec = now_ns // 10**9, now_ns % 10**9
    return publish_until_received(msg, HumanStateArray, "~/humans", "fhmr_foundation_demo")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="artifacts/demo", help="output folder")
    parser.add_argument("--body-model", default=None,
                        help="SMPL-X .npz (default: the generated stand-in)")
    args = parser.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    model_path = args.body_model or ensure_standin_model()
    body = BodyModel(model_path)
    people = _people()
    image = _render(np.full((HEIGHT, WIDTH, 3), 235, np.uint8), body, people)
    png = out_dir / "standin_bodies.png"
    cv2.imwrite(str(png), image)

    topic, msg = _publish_and_receive(body, people)
    print(f"body model: {model_path} ({body.num_vertices} vertices)")
    print(f"rendered: {png}")
    print(f"published and received fhmr_ros/HumanStateArray on {topic}: "
          f"{len(msg.humans)} humans, frame {msg.header.frame_id}, world {msg.world_frame_id}")
    for h in msg.humans:
        rebuilt = body.body_joints(*(torch.tensor(np.asarray(getattr(h, f)))
                                     for f in ("betas", "global_orient", "body_pose", "transl")))
        sent = np.array([[p.x, p.y, p.z] for p in h.joints_camera])
        err_mm = 1000 * np.abs(rebuilt.numpy() - sent).max()
        pw = h.pelvis_pose_world.position
        print(f"  {h.id}: pelvis world ({pw.x:+.2f}, {pw.y:+.2f}, {pw.z:+.2f}) m, "
              f"joints rebuilt from the message's SMPL-X fields within {err_mm:.3f} mm")


if __name__ == "__main__":
    main()
