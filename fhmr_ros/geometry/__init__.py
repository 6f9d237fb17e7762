"""Pure geometry helpers (torch): rotations, cameras, gravity-view frames, camera motion and
root trajectories. No state, no ROS."""
