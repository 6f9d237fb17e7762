"""Robot camera set-ups for synthetic clips: where the camera is, how it moves while a person
moves in front of it, and what the robot's odometry and IMU report about it.

World frame: metres, z up (REP-103 odom frame), ground at z = 0. Camera optical frame:
z forward, x right, y down. ``T_world_camera`` (4, 4) maps camera coordinates to the world.

Orientation from yaw psi (optical axis heading, about world z), pitch theta (> 0 looks down)
and roll phi (about the optical axis):
    R_world_camera = Rz(psi) Ry(theta) Rx(phi) B,   B = [[0, 0, 1], [-1, 0, 0], [0, -1, 0]],
where B maps the optical frame into a camera body frame with x forward, y left, z up.

Kinds: "static" (tripod or parked robot), "panning" (pan-tilt head following the person),
"mobile_base" (wheeled base following, approaching, passing or turning in place) and
"humanoid" (walking head camera with gait bob, sway and head oscillation).
All functions work on numpy arrays, vectorised over frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.signal import lfilter

RIG_KINDS: tuple[str, ...] = ("static", "panning", "mobile_base", "humanoid")
_G_WORLD = np.array([0.0, 0.0, -1.0])


@dataclass(frozen=True)
class OdometryNoise:
    """Errors of the camera poses a robot reports (odometry composed with extrinsics).

    Per-frame planar increments of the camera (delta in its yaw frame, d_psi) are corrupted
        delta' = (1 + s) delta + n,   d_psi' = (1 + s_psi) d_psi + b / fps + n_psi,
        dz' = (1 + s) dz + b_z / fps + n_z,
    with s ~ N(0, scale_std), s_psi ~ N(0, yaw_scale_std), b ~ N(0, yaw_drift_deg_s),
    b_z ~ N(0, z_drift_m_s) drawn once per clip and n ~ N(0, jitter) per frame, then
    re-integrated from the true frame-0 pose. All zeros gives the exact poses.
    """

    scale_std: float = 0.0         # translation scale error (wheel radius, stride length)
    yaw_scale_std: float = 0.0     # scale error of turned angles
    yaw_drift_deg_s: float = 0.0   # std of the heading drift rate (gyro bias), deg/s
    z_drift_m_s: float = 0.0       # std of the height drift rate, m/s
    jitter_m: float = 0.0          # per-frame translation increment noise, m
    yaw_jitter_deg: float = 0.0    # per-frame heading increment noise, deg


@dataclass(frozen=True)
class CameraRigConfig:
    """Every parameter of the camera rig sampler. Ranges (lo, hi) are sampled uniformly."""

    kinds: tuple[str, ...] = RIG_KINDS
    kind_weights: tuple[float, ...] = (0.25, 0.2, 0.3, 0.25)
    # Intrinsics: f = (w / 2) / tan(hfov / 2), square pixels, principal point near the centre.
    image_sizes: tuple[tuple[int, int], ...] = ((640, 480), (640, 400), (848, 480),
                                               (1280, 720), (1280, 800), (1920, 1080))
    hfov_deg: tuple[float, float] = (50.0, 100.0)
    principal_point_std: float = 0.01          # fraction of the image width / height
    principal_point_max: float = 0.05          # offsets clipped to +-this fraction
    # Placement relative to the person's pelvis path.
    distance_m: tuple[float, float] = (1.0, 12.0)            # allowed horizontal distance
    placement_distance_m: tuple[float, float] = (1.5, 9.0)   # from the mean pelvis position
    placement_candidates: int = 32
    in_view_fraction: float = 0.9     # accept a placement that keeps the person in view so often
    fov_margin: float = 0.8           # "in view" = within this fraction of the half FOV
    partial_view_prob: float = 0.1    # skip the in-view check: the person may leave the frame
    # Close range (a person talking to the robot): per clip, the camera within
    # close_range_m of the person and aimed at the chest, so legs (or more) leave the image.
    # Off by default.
    close_range_prob: float = 0.0
    close_range_m: tuple[float, float] = (0.8, 2.5)
    close_range_aim_m: tuple[float, float] = (0.2, 0.6)   # aim point above the pelvis
    # Elevated (a camera on a building or a pole, looking down at people 4-15 m away, as
    # in surveillance footage): per clip, a static or panning camera 3-8 m up. Off by
    # default.
    elevated_prob: float = 0.0
    elevated_height_m: tuple[float, float] = (3.0, 8.0)
    elevated_distance_m: tuple[float, float] = (4.0, 15.0)
    elevated_max_pitch_deg: float = 75.0
    static_height_m: tuple[float, float] = (0.5, 2.0)
    panning_height_m: tuple[float, float] = (0.8, 2.0)
    mobile_height_m: tuple[float, float] = (0.3, 1.5)
    humanoid_height_m: tuple[float, float] = (1.1, 1.8)
    aim_height_m: tuple[float, float] = (-0.2, 0.3)   # aim point above the pelvis
    aim_noise_deg: float = 3.0                       # yaw / pitch aiming error
    pitch_limits_deg: tuple[float, float] = (-25.0, 35.0)
    roll_std_deg: float = 1.0
    # Panning head: delayed first-order tracking of the person's bearing and elevation.
    pan_lag_s: tuple[float, float] = (0.1, 0.4)
    pan_smoothing_s: tuple[float, float] = (0.2, 0.8)
    # Mobile base.
    mobile_modes: tuple[str, ...] = ("follow", "approach", "pass", "rotate")
    mobile_mode_weights: tuple[float, ...] = (0.35, 0.2, 0.2, 0.25)
    mobile_speed_m_s: tuple[float, float] = (0.1, 0.6)
    follow_lag_s: tuple[float, float] = (0.3, 1.0)
    follow_smoothing_s: tuple[float, float] = (0.5, 1.5)
    heading_smoothing_s: tuple[float, float] = (0.3, 0.8)
    stop_distance_m: tuple[float, float] = (1.5, 3.0)   # "approach" stops this far away
    rotate_step_deg: tuple[float, float] = (20.0, 40.0)  # "rotate" turns in steps this big
    pass_angle_deg: tuple[float, float] = (60.0, 120.0)  # "pass" drive direction vs bearing
    start_stop_smoothing_s: float = 0.5                  # "approach" acceleration smoothing
    base_vibration_deg: float = 0.3                      # chassis pitch / roll vibration
    base_vibration_time_s: float = 0.05                  # its AR(1) time constant
    # Humanoid head camera: always stepping (walking controllers step in place too).
    humanoid_modes: tuple[str, ...] = ("follow", "approach", "pass", "stand")
    humanoid_mode_weights: tuple[float, ...] = (0.35, 0.2, 0.2, 0.25)
    humanoid_speed_m_s: tuple[float, float] = (0.3, 1.0)
    step_frequency_hz: tuple[float, float] = (1.4, 2.2)
    bob_peak_to_peak_m: tuple[float, float] = (0.02, 0.04)    # vertical, at step frequency
    sway_peak_to_peak_m: tuple[float, float] = (0.02, 0.06)   # lateral, at half of it
    head_pitch_osc_deg: tuple[float, float] = (0.5, 2.5)      # at step frequency
    head_roll_osc_deg: tuple[float, float] = (0.5, 2.5)       # at half step frequency
    head_yaw_osc_deg: tuple[float, float] = (0.5, 2.0)        # at half step frequency
    head_lag_s: tuple[float, float] = (0.1, 0.3)
    humanoid_roll_std_deg: float = 2.0
    # Sensors. IMU gravity: unit(g_true + b + n), |b| <= imu_bias_deg, n ~ N(0, imu_noise_deg).
    imu_noise_deg: float = 0.3
    imu_bias_deg: float = 0.5
    static_odometry: OdometryNoise = OdometryNoise()
    panning_odometry: OdometryNoise = OdometryNoise()   # absolute joint encoders
    mobile_odometry: OdometryNoise = OdometryNoise(
        scale_std=0.03, yaw_scale_std=0.02, yaw_drift_deg_s=0.5, jitter_m=0.002,
        yaw_jitter_deg=0.1)
    humanoid_odometry: OdometryNoise = OdometryNoise(
        scale_std=0.08, yaw_scale_std=0.05, yaw_drift_deg_s=2.0, z_drift_m_s=0.01,
        jitter_m=0.005, yaw_jitter_deg=0.3)


@dataclass
class CameraRig:
    """A sampled camera for one clip."""

    kind: str
    T_world_camera: np.ndarray        # (T, 4, 4) true camera-to-world poses
    T_world_camera_odom: np.ndarray   # (T, 4, 4) poses the robot reports (== truth at frame 0)
    gravity_camera: np.ndarray        # (T, 3) unit gravity (down) in the camera frame, IMU
    K: np.ndarray                     # (3, 3) pixels
    image_size: tuple[int, int]       # (width, height)


@dataclass
class _Motion:
    """Camera position and yaw / pitch / roll angles (rad) over a clip."""

    position: np.ndarray   # (T, 3)
    yaw: np.ndarray        # (T,)
    pitch: np.ndarray      # (T,)
    roll: np.ndarray       # (T,)


def sample_camera_rig(rng: np.random.Generator, pelvis_world: np.ndarray, fps: float,
                      kind: str | None = None,
                      config: CameraRigConfig = CameraRigConfig()) -> CameraRig:
    """Sample a camera of ``kind`` (default: drawn with ``config.kind_weights``) watching a
    person whose pelvis follows ``pelvis_world`` (T, 3) at ``fps``."""
    if kind is None:
        kind = str(rng.choice(config.kinds, p=_normalised(config.kind_weights)))
    if kind not in RIG_KINDS:
        raise ValueError(f"unknown camera rig kind {kind!r}; known: {RIG_KINDS}")
    if config.close_range_prob > 0 and rng.random() < config.close_range_prob:
        config = close_range(config)
    elif config.elevated_prob > 0 and rng.random() < config.elevated_prob:
        config = elevated(config)
        kind = kind if kind in ("static", "panning") else "static"
    pelvis = np.asarray(pelvis_world, dtype=np.float64)                      # (T, 3)
    K, image_size, hfov = _sample_intrinsics(rng, config)
    motion = {"static": _static_motion, "panning": _panning_motion,
              "mobile_base": _mobile_motion, "humanoid": _humanoid_motion}[kind](
        rng, pelvis, fps, hfov, config)
    pitch_lo, pitch_hi = np.deg2rad(config.pitch_limits_deg)
    R = _rotation_world_camera(motion.yaw, np.clip(motion.pitch, pitch_lo, pitch_hi),
                               motion.roll)                                   # (T, 3, 3)
    T_world_camera = np.zeros((len(pelvis), 4, 4))
    T_world_camera[:, :3, :3] = R
    T_world_camera[:, :3, 3] = motion.position
    T_world_camera[:, 3, 3] = 1.0
    odometry = {"static": config.static_odometry, "panning": config.panning_odometry,
                "mobile_base": config.mobile_odometry,
                "humanoid": config.humanoid_odometry}[kind]
    return CameraRig(kind=kind, T_world_camera=T_world_camera,
                     T_world_camera_odom=_odometry(rng, T_world_camera, fps, odometry),
                     gravity_camera=_imu_gravity(rng, R, config), K=K, image_size=image_size)


def close_range(config: CameraRigConfig) -> CameraRigConfig:
    """The rig sampler placing the camera within close_range_m of the person, aimed at the
    chest (a base that approaches stops that close too)."""
    near, far = config.close_range_m
    return replace(config, placement_distance_m=(near, far), distance_m=(0.5 * near, far + 1.0),
                   stop_distance_m=(near, far), aim_height_m=config.close_range_aim_m)


def elevated(config: CameraRigConfig) -> CameraRigConfig:
    """The rig sampler placing a static or panning camera elevated_height_m up and
    elevated_distance_m from the person, free to pitch down steeply."""
    near, far = config.elevated_distance_m
    return replace(config, static_height_m=config.elevated_height_m,
                   panning_height_m=config.elevated_height_m,
                   placement_distance_m=(near, far), distance_m=(0.5 * near, far + 5.0),
                   pitch_limits_deg=(config.pitch_limits_deg[0], config.elevated_max_pitch_deg))


# --- intrinsics and orientation -------------------------------------------------------------

def _sample_intrinsics(rng: np.random.Generator,
                       config: CameraRigConfig) -> tuple[np.ndarray, tuple[int, int], float]:
    """K (3, 3), (w, h) and the horizontal FOV (rad): fx = fy = (w / 2) / tan(hfov / 2)."""
    w, h = config.image_sizes[rng.integers(len(config.image_sizes))]
    hfov = math.radians(rng.uniform(*config.hfov_deg))
    f = (w / 2.0) / math.tan(hfov / 2.0)
    offset = np.clip(rng.normal(0.0, config.principal_point_std, 2),
                     -config.principal_point_max, config.principal_point_max)
    cx, cy = np.array([w, h]) * (0.5 + offset)
    K = np.array([[f, 0.0, cx], [0.0, f, cy], [0.0, 0.0, 1.0]])
    return K, (int(w), int(h)), hfov


def _rotation_world_camera(yaw: np.ndarray, pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    """R_world_camera (T, 3, 3) = Rz(yaw) Ry(pitch) Rx(roll) B (module docstring)."""
    cy, sy = np.cos(yaw), np.sin(yaw)
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    forward = np.stack([cy * cp, sy * cp, -sp], axis=-1)                      # body x
    left = np.stack([cy * sp * sr - sy * cr, sy * sp * sr + cy * cr, cp * sr], axis=-1)
    up = np.stack([cy * sp * cr + sy * sr, sy * sp * cr - cy * sr, cp * cr], axis=-1)
    return np.stack([-left, -up, forward], axis=-1)   # columns: optical x, y, z in the world


def _imu_gravity(rng: np.random.Generator, R_world_camera: np.ndarray,
                 config: CameraRigConfig) -> np.ndarray:
    """IMU gravity (T, 3): unit(R^T g_world + b + n), b a constant bias of random direction
    and |b| <= imu_bias_deg (rad), n ~ N(0, imu_noise_deg^2) per frame and axis."""
    g = np.einsum("tji,j->ti", R_world_camera, _G_WORLD)                     # (T, 3)
    direction = rng.normal(size=3)
    bias = (direction / np.linalg.norm(direction)
            * rng.uniform(0.0, math.radians(config.imu_bias_deg)))
    noisy = g + bias + rng.normal(0.0, math.radians(config.imu_noise_deg), g.shape)
    return noisy / np.linalg.norm(noisy, axis=-1, keepdims=True)


# --- odometry -------------------------------------------------------------------------------

def _odometry(rng: np.random.Generator, T_world_camera: np.ndarray, fps: float,
              noise: OdometryNoise) -> np.ndarray:
    """Reported poses (T, 4, 4): the true poses with drifted position and yaw (OdometryNoise).

    With psi_t the optical axis' heading, the drift is a rotation about world z by
    psi'_t - psi_t plus the re-integrated position; roll and pitch stay true (IMU-levelled).
    """
    n = len(T_world_camera) - 1
    position = T_world_camera[:, :3, 3]                                       # (T, 3)
    axis = T_world_camera[:, :3, 2]
    yaw = np.unwrap(np.arctan2(axis[:, 1], axis[:, 0]))                        # (T,)
    step = np.diff(position, axis=0)                                          # (T-1, 3)
    c, s = np.cos(yaw[:-1]), np.sin(yaw[:-1])
    local = np.stack([c * step[:, 0] + s * step[:, 1], -s * step[:, 0] + c * step[:, 1]], -1)

    scale = 1.0 + rng.normal(0.0, noise.scale_std)
    yaw_scale = 1.0 + rng.normal(0.0, noise.yaw_scale_std)
    yaw_rate = math.radians(rng.normal(0.0, noise.yaw_drift_deg_s))
    z_rate = rng.normal(0.0, noise.z_drift_m_s)
    local_hat = scale * local + rng.normal(0.0, noise.jitter_m, (n, 2))        # (T-1, 2)
    dz_hat = scale * step[:, 2] + z_rate / fps + rng.normal(0.0, noise.jitter_m, n)
    dyaw_hat = (yaw_scale * np.diff(yaw) + yaw_rate / fps
                + rng.normal(0.0, math.radians(noise.yaw_jitter_deg), n))

    yaw_hat = yaw[0] + np.concatenate([[0.0], np.cumsum(dyaw_hat)])           # (T,)
    ch, sh = np.cos(yaw_hat[:-1]), np.sin(yaw_hat[:-1])
    world_step = np.stack([ch * local_hat[:, 0] - sh * local_hat[:, 1],
                           sh * local_hat[:, 0] + ch * local_hat[:, 1], dz_hat], -1)
    position_hat = position[0] + np.concatenate([np.zeros((1, 3)), np.cumsum(world_step, 0)])
    drift = yaw_hat - yaw
    c, s = np.cos(drift), np.sin(drift)
    Rz = np.zeros((n + 1, 3, 3))                                              # Rz(drift)
    Rz[:, 0, 0], Rz[:, 0, 1], Rz[:, 1, 0], Rz[:, 1, 1], Rz[:, 2, 2] = c, -s, s, c, 1.0
    T_odom = T_world_camera.copy()
    T_odom[:, :3, :3] = Rz @ T_world_camera[:, :3, :3]
    T_odom[:, :3, 3] = position_hat
    return T_odom


# --- per-kind camera motion -----------------------------------------------------------------

def _static_motion(rng: np.random.Generator, pelvis: np.ndarray, fps: float, hfov: float,
                   config: CameraRigConfig) -> _Motion:
    """Fixed pose aimed (with error) at the person's mean bearing and elevation."""
    T = len(pelvis)
    xy = np.broadcast_to(_place_camera(rng, pelvis, hfov, config, fit_view=True), (T, 2))
    height = rng.uniform(*config.static_height_m)
    aim = math.radians(config.aim_noise_deg)
    yaw = _circular_mean(_bearing(xy, pelvis)) + rng.normal(0.0, aim)
    pitch = np.median(_elevation(rng, height, xy, pelvis, config)) + rng.normal(0.0, aim)
    roll = rng.normal(0.0, math.radians(config.roll_std_deg))
    return _Motion(position=np.column_stack([xy, np.full(T, height)]), yaw=np.full(T, yaw),
                   pitch=np.full(T, pitch), roll=np.full(T, roll))


def _panning_motion(rng: np.random.Generator, pelvis: np.ndarray, fps: float, hfov: float,
                    config: CameraRigConfig) -> _Motion:
    """Fixed position; yaw and pitch track the person's bearing and elevation through a
    delay and a first-order lag (a pan-tilt head's controller)."""
    T = len(pelvis)
    xy = np.broadcast_to(_place_camera(rng, pelvis, hfov, config, fit_view=False), (T, 2))
    height = rng.uniform(*config.panning_height_m)
    lag, tau = rng.uniform(*config.pan_lag_s), rng.uniform(*config.pan_smoothing_s)
    yaw, pitch = _follow_person(rng, xy, pelvis, height, lag, tau, fps, config)
    roll = rng.normal(0.0, math.radians(config.roll_std_deg))
    return _Motion(position=np.column_stack([xy, np.full(T, height)]), yaw=yaw, pitch=pitch,
                   roll=np.full(T, roll))


def _mobile_motion(rng: np.random.Generator, pelvis: np.ndarray, fps: float, hfov: float,
                   config: CameraRigConfig) -> _Motion:
    """Wheeled base with a fixed camera mount: the base path of a random mode; heading turns
    toward the person smoothly ("follow", "approach"), in discrete steps of rotation in place
    ("rotate"), or stays on a camera mount angled at the person ("pass"). Chassis vibration
    adds coloured pitch / roll noise."""
    T = len(pelvis)
    mode = str(rng.choice(config.mobile_modes, p=_normalised(config.mobile_mode_weights)))
    xy = _base_path(rng, mode, pelvis, fps, rng.uniform(*config.mobile_speed_m_s), hfov,
                    config)
    bearing = _bearing(xy, pelvis)
    tau = rng.uniform(*config.heading_smoothing_s)
    if mode == "rotate":
        step = math.radians(rng.uniform(*config.rotate_step_deg))
        yaw = _smooth(bearing[0] + step * np.round((bearing - bearing[0]) / step), tau, fps)
    elif mode == "pass":
        yaw = np.full(T, _circular_mean(bearing))
    else:
        yaw = _smooth(bearing, tau, fps)
    aim = math.radians(config.aim_noise_deg)
    height = rng.uniform(*config.mobile_height_m)
    vibration = math.radians(config.base_vibration_deg)
    tau_vibration = config.base_vibration_time_s
    pitch = (np.median(_elevation(rng, height, xy, pelvis, config)) + rng.normal(0.0, aim)
             + _colored_noise(rng, T, vibration, tau_vibration, fps))
    roll = (rng.normal(0.0, math.radians(config.roll_std_deg))
            + _colored_noise(rng, T, vibration, tau_vibration, fps))
    return _Motion(position=np.column_stack([xy, np.full(T, height)]),
                   yaw=yaw + rng.normal(0.0, aim), pitch=pitch, roll=roll)


def _humanoid_motion(rng: np.random.Generator, pelvis: np.ndarray, fps: float, hfov: float,
                     config: CameraRigConfig) -> _Motion:
    """Walking head camera: a base path of a random mode, the head tracking the person, and
    gait oscillations with phase phi_t = 2 pi f t + phi_0 (f the step frequency):
        z = h + (a_bob / 2) cos(phi),  lateral = (a_sway / 2) sin(phi / 2),
        pitch += A_p sin(phi + d_p),  roll += A_r sin(phi / 2 + d_r),
        yaw += A_y sin(phi / 2 + d_y).
    """
    T = len(pelvis)
    mode = str(rng.choice(config.humanoid_modes, p=_normalised(config.humanoid_mode_weights)))
    xy = _base_path(rng, mode, pelvis, fps, rng.uniform(*config.humanoid_speed_m_s), hfov,
                    config)
    height = rng.uniform(*config.humanoid_height_m)
    lag, tau = rng.uniform(*config.head_lag_s), rng.uniform(*config.heading_smoothing_s)
    yaw, pitch = _follow_person(rng, xy, pelvis, height, lag, tau, fps, config)
    roll = np.full(T, rng.normal(0.0, math.radians(config.humanoid_roll_std_deg)))

    phase = (2.0 * math.pi * rng.uniform(*config.step_frequency_hz) * np.arange(T) / fps
             + rng.uniform(0.0, 2.0 * math.pi))                               # (T,)
    bob = rng.uniform(*config.bob_peak_to_peak_m) / 2.0 * np.cos(phase)
    sway = rng.uniform(*config.sway_peak_to_peak_m) / 2.0 * np.sin(phase / 2.0)
    offsets = rng.uniform(0.0, 2.0 * math.pi, 3)
    amplitude = np.radians([rng.uniform(*config.head_pitch_osc_deg),
                            rng.uniform(*config.head_roll_osc_deg),
                            rng.uniform(*config.head_yaw_osc_deg)])
    pitch = pitch + amplitude[0] * np.sin(phase + offsets[0])
    roll = roll + amplitude[1] * np.sin(phase / 2.0 + offsets[1])
    yaw_osc = amplitude[2] * np.sin(phase / 2.0 + offsets[2])
    position = np.column_stack([xy[:, 0] - sway * np.sin(yaw), xy[:, 1] + sway * np.cos(yaw),
                                height + bob])
    return _Motion(position=position, yaw=yaw + yaw_osc, pitch=pitch, roll=roll)


def _follow_person(rng: np.random.Generator, xy: np.ndarray, pelvis: np.ndarray, height: float,
                   lag: float, tau: float, fps: float, config: CameraRigConfig
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Yaw and pitch (T,) of a head that tracks the person's bearing and elevation through a
    delay ``lag`` and a first-order lag ``tau`` (seconds), plus a constant aiming error."""
    aim = math.radians(config.aim_noise_deg)
    yaw = _smooth(_delay(_bearing(xy, pelvis), lag, fps), tau, fps) + rng.normal(0.0, aim)
    elevation = _elevation(rng, height, xy, pelvis, config)
    pitch = _smooth(_delay(elevation, lag, fps), tau, fps) + rng.normal(0.0, aim)
    return yaw, pitch


def _base_path(rng: np.random.Generator, mode: str, pelvis: np.ndarray, fps: float,
               speed: float, hfov: float, config: CameraRigConfig) -> np.ndarray:
    """Horizontal robot positions (T, 2) from a start placed near the person:
    "follow": start + smooth(delay(p_t)) - p_0 (keeps the initial offset, lagging);
    "approach": straight toward the mean pelvis position at ``speed``, stopping
    stop_distance_m short; "pass": a straight drive at ``speed`` through the start at
    mid-clip, at pass_angle_deg to the bearing; otherwise ("rotate", "stand") the start."""
    T = len(pelvis)
    person = pelvis[:, :2]                                                    # (T, 2)
    start = _place_camera(rng, pelvis, hfov, config, fit_view=False)          # (2,)
    t = np.arange(T) / fps
    if mode == "follow":
        lag, tau = rng.uniform(*config.follow_lag_s), rng.uniform(*config.follow_smoothing_s)
        return start + _smooth(_delay(person, lag, fps), tau, fps) - person[0]
    to_person = person.mean(axis=0) - start
    if mode == "approach":
        length = np.linalg.norm(to_person)
        travel = np.minimum(speed * t, max(length - rng.uniform(*config.stop_distance_m), 0.0))
        travel = _smooth(travel, config.start_stop_smoothing_s, fps)
        return start + travel[:, None] * to_person / length
    if mode == "pass":
        side = rng.choice([-1.0, 1.0])
        heading = (math.atan2(to_person[1], to_person[0])
                   + side * math.radians(rng.uniform(*config.pass_angle_deg)))
        direction = np.array([math.cos(heading), math.sin(heading)])
        return start + (speed * (t - t[-1] / 2.0))[:, None] * direction
    return np.tile(start, (T, 1))


def _place_camera(rng: np.random.Generator, pelvis: np.ndarray, hfov: float,
                  config: CameraRigConfig, fit_view: bool) -> np.ndarray:
    """Horizontal camera position (2,) at placement_distance_m from the mean pelvis position.

    Candidates in random directions are scored by the fraction of frames with the person at
    an allowed distance (and, if ``fit_view``, within fov_margin * hfov / 2 of the
    candidate's mean bearing); the first scoring >= in_view_fraction is taken, else the best.
    With partial_view_prob the first candidate is taken unscored.
    """
    person = pelvis[:, :2]                                                    # (T, 2)
    n = config.placement_candidates
    azimuth = rng.uniform(0.0, 2.0 * math.pi, n)
    distance = rng.uniform(*config.placement_distance_m, n)
    candidates = person.mean(axis=0) + distance[:, None] * np.column_stack(
        [np.cos(azimuth), np.sin(azimuth)])                                   # (N, 2)
    if rng.random() < config.partial_view_prob:
        return candidates[0]
    offset = person[None] - candidates[:, None]                               # (N, T, 2)
    distance = np.hypot(offset[..., 0], offset[..., 1])                       # (N, T)
    ok = (distance >= config.distance_m[0]) & (distance <= config.distance_m[1])
    if fit_view:
        bearing = np.arctan2(offset[..., 1], offset[..., 0])
        off_axis = _wrap(bearing - _circular_mean(bearing)[:, None])
        ok &= np.abs(off_axis) <= config.fov_margin * hfov / 2.0
    score = ok.mean(axis=1)
    good = np.flatnonzero(score >= config.in_view_fraction)
    return candidates[good[0] if len(good) else int(np.argmax(score))]


def _elevation(rng: np.random.Generator, height: float, camera_xy: np.ndarray,
               pelvis: np.ndarray, config: CameraRigConfig) -> np.ndarray:
    """Pitch (T,) that looks at an aim point aim_height_m above the pelvis:
    theta = atan2(h - z_aim, horizontal distance)."""
    z_aim = pelvis[:, 2] + rng.uniform(*config.aim_height_m)
    distance = np.hypot(*(pelvis[:, :2] - camera_xy).T)
    return np.arctan2(height - z_aim, np.maximum(distance, 0.1))


# --- signals --------------------------------------------------------------------------------

def _normalised(weights: tuple[float, ...]) -> np.ndarray:
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum()


def _wrap(angle: np.ndarray) -> np.ndarray:
    """Angles wrapped to [-pi, pi)."""
    return (angle + math.pi) % (2.0 * math.pi) - math.pi


def _circular_mean(angle: np.ndarray) -> np.ndarray:
    """Mean direction over the last axis: atan2(mean sin, mean cos)."""
    return np.arctan2(np.sin(angle).mean(axis=-1), np.cos(angle).mean(axis=-1))


def _bearing(camera_xy: np.ndarray, pelvis: np.ndarray) -> np.ndarray:
    """Unwrapped heading (T,) from the camera (T, 2) to the pelvis (T, >=2)."""
    d = pelvis[:, :2] - camera_xy
    return np.unwrap(np.arctan2(d[:, 1], d[:, 0]))


def _smooth(x: np.ndarray, tau_s: float, fps: float) -> np.ndarray:
    """First-order low-pass along frames: y_t = a y_{t-1} + (1 - a) x_t,
    a = exp(-1 / (tau fps)), starting at rest (y_{-1} = x_0)."""
    a = math.exp(-1.0 / max(tau_s * fps, 1e-6))
    y, _ = lfilter([1.0 - a], [1.0, -a], x, axis=0, zi=a * x[:1])
    return y


def _delay(x: np.ndarray, lag_s: float, fps: float) -> np.ndarray:
    """x delayed by round(lag fps) frames, holding the first frame."""
    k = min(int(round(lag_s * fps)), len(x) - 1)
    return np.concatenate([np.repeat(x[:1], k, axis=0), x[:len(x) - k]]) if k > 0 else x


def _colored_noise(rng: np.random.Generator, T: int, std: float, tau_s: float,
                   fps: float) -> np.ndarray:
    """Stationary AR(1) noise (T,) with standard deviation ``std`` and time constant tau:
    x_t = a x_{t-1} + sqrt(1 - a^2) std e_t, a = exp(-1 / (tau fps))."""
    a = math.exp(-1.0 / max(tau_s * fps, 1e-6))
    e = rng.normal(0.0, std, T)
    e[0] /= math.sqrt(1.0 - a * a)
    return lfilter([math.sqrt(1.0 - a * a)], [1.0, -a], e)
