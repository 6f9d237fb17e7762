"""Training data: motion sources (procedural, BVH, AMASS), camera rigs, simulated detector
observations and the window datasets built from them."""
