"""Body model layer: SMPL-X skeleton, the stand-in model generator, the batched body model
wrapper and maps from SMPL-X to 2D keypoint formats."""
