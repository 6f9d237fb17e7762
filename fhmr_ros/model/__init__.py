"""FactorizedHMR networks: Stage 1 (deterministic anchor), Stage 2 (masked conditional flow
matching), the same-size deterministic baseline, the flow sampler, losses and normalizer."""
