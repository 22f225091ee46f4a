"""Calibration of free parameters: ABC posterior and simulated-method-of-moments estimate.

Method (``python -m experiments calibrate FILE.toml --out DIR``; see README.md in this folder):

1. Prior: independent uniforms on the ``[params]`` ranges of the calibration file (inside each parameter's
   allowed range in model.params).
2. Design: a Latin hypercube of ``samples`` points x ``replications`` seeds (common random numbers), run
   through the sweep runner into DIR/sweep (resumable, local processes or Dask).
3. Moments: a provider module (``moments = "model.history"``) gives ``observed()`` -> [moment, year, value,
   sd, split] and ``simulated(annual)`` -> [moment, year, value] from one run's annual city table.
4. ABC: distance sqrt(mean(((sim - obs) / sd)^2)) over the "fit" moments, sim averaged over replications;
   accept the closest ``accept`` fraction; Epanechnikov-weighted local-linear regression adjustment
   (Beaumont, Zhang & Balding 2002) on the logit of the prior range, so adjusted draws stay in the prior.
5. SMM: quadratic response surface of each fit moment over the accepted region, criterion minimised inside
   the region's box (scipy L-BFGS-B): the point estimate the shipped scenarios use.
6. Validation: ``validation_replications`` fresh seeds at the default and at the SMM values (sweep runner
   again); RMSE for the fit and the held-out moments, in sd units and natural units.

Modules: config (file), moments (provider, distance), abc, smm, pipeline (stages), report (files), cli.
"""
