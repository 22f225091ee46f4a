"""Crash-safe, resumable batch sweeps of CZT-Sim.

A sweep file (TOML, see ``experiments/sweeps/``) names a base scenario, the parameters to vary,
a design (full factorial, Latin hypercube, Sobol or Morris, sampled with SALib), replications,
end year, scale and the outputs to keep. ``python -m experiments sweep FILE --out DIR`` plans the
runs, gives each a content-hash id and runs what is not already in DIR on local processes or Dask.

Modules: :mod:`.spec` (reading and validating the file), :mod:`.design` (samplers, seeds, run ids),
:mod:`.store` (the results folder), :mod:`.worker` (one run), :mod:`.runner` (executors, retries,
interruption), :mod:`.analyze` (Sobol/Morris indices), :mod:`.cli` (sub-commands).
"""
