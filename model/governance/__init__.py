"""City governments that decide (地方政府决策): objectives, yearly best responses, enclave agreements, the fund.

One module per job:

- ``component``: the :class:`Governance` component, the choices in force (read by ``production``, ``location``,
  ``fiscal``, ``residence`` and ``land``);
- ``objective``: what a government maximises (the cadre evaluation) and what the province maximises;
- ``prediction``: the firm and talent games, the agents' choice rules applied to the current state;
- ``solvers``: best responses, the province's coordinate ascent, the equilibrium of the stage game;
- ``decisions``: the regimes (``fixed``, ``compete``, ``provincial``): the yearly choices, the enclave agreements,
  extra park land, the decision log, the caps at a phase switch;
- ``fund``: the integration fund's quarterly flows.

``decide`` runs at the start of each year as the year's stage ``government_decisions`` (``model/year.py``),
``fund_flows`` within the quarter's stage ``budgets``.
"""

from model.governance.component import Governance
from model.governance.decisions import INCENTIVE_STEPS, TALENT_STEPS, TERMS_GRID, apply_rules, decide, \
    decide_enclaves, decide_land, enclave_shares, respect_caps, sponsor_kept
from model.governance.fund import fund_flows
from model.governance.objective import cluster_objective, cooperation_reward, objective, population_shares, \
    revenue_of, weights
from model.governance.prediction import TALENT_SAMPLE, FirmGame, TalentGame, enclave_kept_matrix, firm_effects, \
    firm_flows, firm_game, talent_effects, talent_game
from model.governance.solvers import at_least, best_responses, cluster_choice, equilibrium

__all__ = ["Governance", "INCENTIVE_STEPS", "TALENT_STEPS", "TERMS_GRID", "apply_rules", "decide", "decide_enclaves",
           "decide_land", "enclave_shares", "respect_caps", "sponsor_kept", "fund_flows", "cluster_objective",
           "cooperation_reward", "objective", "population_shares", "revenue_of", "weights", "TALENT_SAMPLE", "FirmGame",
           "TalentGame", "enclave_kept_matrix", "firm_effects", "firm_flows", "firm_game", "talent_effects",
           "talent_game", "at_least", "best_responses", "cluster_choice", "equilibrium"]
