"""Streaming inference: per-track sliding windows on the model's frame grid, camera pose
history, and the engine that batches all tracks (shared by fhmr-video and the ROS node)."""
