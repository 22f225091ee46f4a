"""Running CZT-Sim: single runs with provenance, benchmarks (and, later, sweeps)."""
