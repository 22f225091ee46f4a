"""``python -m experiments report DIR``: publication figures (PDF + PNG) and tables (CSV + LaTeX) of a sweep, a
posterior study or a spillover verdict.

Modules: load (read a sweep folder, group runs), stats (theta OLS, t-intervals), compute (the numbers),
style (matplotlib style, fonts, colours), labels (English/Chinese), figures, tables, build (report.md), studies (the
report of a posterior-study or spillover folder), cli.
"""
