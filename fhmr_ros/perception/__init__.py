"""Perception front-end: people and their 2D keypoints in images, and multi-person tracks."""
