"""Drawing of FactorizedHMR results: per-person overlays on camera images (mesh, skeleton,
detections, labels) and top-down plots of world trajectories. Needs only numpy, OpenCV and
matplotlib (Agg), never ROS."""
