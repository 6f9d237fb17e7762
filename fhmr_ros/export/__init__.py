"""Motion export for real-to-sim: people's tracks as AMASS SMPL-X npz, BVH and tables."""
