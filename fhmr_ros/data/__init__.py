"""Data: motion sources (procedural, BVH, AMASS), the clip sets of each split, camera rigs,
simulated detector observations and the labelled windows (model inputs + truth) built from
them for training and evaluation."""
