"""Neural posterior estimation of the calibration's parameters from its simulation bank (``python -m experiments
infer``; docs/inference.md).

The steps, each resumable (a finished step's files are found and kept):

1. ``trainset``: the bank's runs as training pairs, θ (the calibration's parameters, prior order) and x (the fit
   moments standardised as the ABC does, ``(sim - obs) / sd``, reduced to principal components fitted on the
   training runs), the record's x, and a held-out share of the design points for the diagnostics (main venv).
2. ``npe_step``: sbi's NPE trained on those pairs, the posterior at the record, SBC ranks, TARP, coverage and a
   misspecification test. It runs in the optional ``.venv-sbi`` (torch, sbi; ``bash scripts/setup-sbi.sh``) as a
   subprocess that reads and writes plain files and imports nothing of the project.
3. ``ppc``: posterior draws simulated through the record's years on the shared executor, their moments set against
   the record per moment and year (main venv).
4. ``report``: tables and figures.
"""
