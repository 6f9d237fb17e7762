"""Evaluation: human-motion metrics as GVHMR/WHAM define them, mask averaging and tables."""
