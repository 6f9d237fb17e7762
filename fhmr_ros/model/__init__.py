"""FactorizedHMR at run time: Stage 1 (deterministic anchor), Stage 2 (masked conditional
flow matching), the same-size deterministic baseline, the flow path and sampler, the
normaliser, forward kinematics and checkpoints."""
