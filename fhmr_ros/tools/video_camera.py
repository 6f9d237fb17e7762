"""fhmr-video's camera: what the command line gives, the rest estimated from the people in
the video (perception/self_calibration.py).

Without all of ``--intrinsics``, ``--camera-pitch`` and ``--camera-height``, a first pass
runs the detector and tracker alone over the first ``--calibration-frames`` frames and
fits the camera to the upright people it tracks; what the command line gives is kept
(a given focal length is held in the fit, a given pitch or height replaces the fitted
one). A focal length the people do not determine (a level camera) is the image diagonal,
and the pitch, roll and height are fitted for it. People too few, or none with their feet
in view: an error that says so and names the flags (nothing is guessed).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..body.keypoints import keypoint_format
from ..data.footage import video_frames
from ..geometry.cameras import default_intrinsics, parse_intrinsics
from ..geometry.gravity_view import static_camera_pose
from ..perception.self_calibration import calibrate, keypoint_heights, up_vector
from ..perception.tracker import TrackState
from ..streaming.camera_pose import static_world_camera
from ..streaming.runtime_builder import RuntimeParts


@dataclass
class VideoCamera:
    K: np.ndarray                      # (3, 3)
    T_world_camera: np.ndarray         # (4, 4) the static camera in the world it defines
    report: dict                       # for summary.json and the console

    def describe(self) -> str:
        r = self.report
        text = (f"camera ({r['source']}): focal {r['focal_px']:.0f} px, pitch "
                f"{r['pitch_deg']:.1f}°, roll {r['roll_deg']:.1f}°, height {r['height_m']:.2f} m")
        if "spread" in r:
            s = r["spread"]
            focal = f"{s['focal_px']:.0f} px, " if r["focal_determined"] else ""
            text += (f" (± {focal}{s['pitch_deg']:.1f}°, {s['roll_deg']:.1f}°, "
                     f"{s['height_m']:.2f} m; {r['detections']} detections of {r['tracks']} "
                     "people)")
        if not r["focal_determined"]:
            text += "; focal length assumed (image diagonal): give --intrinsics"
        return text


def video_camera(args, parts: RuntimeParts, size: tuple[int, int], fps: float
                 ) -> VideoCamera:
    """The camera of the video (module doc); a ValueError (self_calibration's
    CalibrationError) when the people do not determine what the command line leaves open."""
    given_K = None if args.intrinsics is None else parse_intrinsics(args.intrinsics)
    if given_K is not None and args.camera_pitch is not None and args.camera_height is not None:
        return VideoCamera(given_K, static_world_camera(args.camera_pitch, args.camera_height),
                           {"source": "given", "focal_px": float(given_K[0, 0]),
                            "pitch_deg": args.camera_pitch, "roll_deg": 0.0,
                            "height_m": args.camera_height, "focal_determined": True})
    detections = tracked_people(args, parts, default_intrinsics(*size) if given_K is None
                                else given_K, fps)
    fmt = keypoint_format(parts.pipeline.detector.keypoint_format)
    ratios = keypoint_heights(parts.body, fmt)
    focal = None if given_K is None else float(given_K[0, 0])
    est = calibrate(detections, fmt, size, ratios, focal_px=focal)
    if given_K is None and not est.focal_determined:
        est = calibrate(detections, fmt, size, ratios, focal_px=math.hypot(*size))
        est.focal_determined = False
    elif given_K is not None:
        est.focal_determined = True
    K = given_K if given_K is not None else est.K(*size)
    pitch = est.pitch_deg if args.camera_pitch is None else args.camera_pitch
    roll = est.roll_deg if args.camera_pitch is None else 0.0
    height = est.height_m if args.camera_height is None else args.camera_height
    report = {**asdict(est), "source": "estimated from the people",
              "pitch_deg": pitch, "roll_deg": roll, "height_m": height}
    T = static_camera_pose(-up_vector(math.radians(pitch), math.radians(roll))).astype(np.float64)
    T[2, 3] = height
    return VideoCamera(K, T, report)


def tracked_people(args, parts: RuntimeParts, K: np.ndarray, fps: float
                   ) -> list[tuple[int, np.ndarray]]:
    """[(track id, keypoints (K, 3))] of the confirmed tracks in the calibration frames
    (the first ``--calibration-frames`` from ``--start``, however many are recovered);
    the front end (detector and tracker) starts afresh afterwards."""
    people = []
    try:
        for i, frame in video_frames(args.video, args.start, args.calibration_frames):
            for t in parts.pipeline.perceive(frame, i / fps, K).tracks:
                if t.detection is not None and t.state == TrackState.CONFIRMED:
                    people.append((t.track_id, np.asarray(t.detection.keypoints)))
    finally:
        parts.pipeline.reset_front_end()
    return people

