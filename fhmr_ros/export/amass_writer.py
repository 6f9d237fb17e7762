"""A track as an AMASS-style SMPL-X ``.npz``, as SMPL-X retargeters and imitation pipelines
read it (and as fhmr_ros.data.amass reads it back).

Keys: ``poses`` (T, 165) axis-angle = [root 0:3, body 3:66, jaw, eyes and hands at zero],
``root_orient`` (T, 3), ``pose_body`` (T, 63), ``trans`` (T, 3) SMPL-X transl, ``betas``
(10,), ``gender`` "neutral", the rate as both AMASS spells it (``mocap_frame_rate``, and
``mocap_framerate`` as AMASS's SMPL-X release and its readers do), ``surface_model_type``
"smplx"; world frame z up, the floor at z = 0 after the clean-up. One body shape per
file: the track's median betas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .person_track import PersonTrack

SMPLX_POSE_WIDTH = 165            # 55 joints x 3


def write_amass(path: str | Path, track: PersonTrack, fps: float) -> Path:
    poses = np.zeros((track.num_frames, SMPLX_POSE_WIDTH), np.float64)
    poses[:, :3], poses[:, 3:66] = track.global_orient, track.body_pose
    np.savez(path, poses=poses, root_orient=track.global_orient, pose_body=track.body_pose,
             trans=track.transl, betas=np.median(track.betas, axis=0),
             gender=np.array("neutral"), mocap_frame_rate=np.array(float(fps)),
             mocap_framerate=np.array(float(fps)),
             surface_model_type=np.array("smplx"))
    return Path(path)
