"""The year: the ordered list of named stages that run once a year, at the start of each year, in one place.

``CZTModel`` runs ``YEAR`` in order as one recurring Mesa event at times 4, 8, 12, ... (``Schedule(interval=4,
start=4)``): after the step at that time, which simulated the last quarter of the year before, and before the step
that simulates the new year's first quarter. Mesa runs the step event first at equal times (it has the higher
priority). The first year's provincial money and choices are set when the policy phase begins
(``CZTModel._enter_policy_phase``), so the year's stages first run at the start of the second year.
``run_until(year)`` ends at the time of the next year's stages, so they have run (the decision log holds the next
year's choices) while that year's timeline entries, half a step later, have not. Declarations as in
``model/quarter.py``; tests/test_stages.py traces them too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model import fiscal, governance
from model.stages import Stage, stage

if TYPE_CHECKING:
    from model.czt_model import CZTModel


def provincial_investment(m: CZTModel) -> None:
    """The province's pool for the new year (a share of the last four quarters' CZT GDP), split with the
    strong-capital tilt and spent over the year's four quarters."""
    fiscal.allocate_provincial_investment(m, m.recorder.last_year_gdp())


YEAR: tuple[Stage, ...] = (
    stage("provincial_investment", provincial_investment,
          reads="recorder.rows workers.alive workers.residence",
          writes="fiscal.provincial_investment"),
    stage("government_decisions", governance.decide,
          reads=(
              "firms.alive firms.arrived_step firms.born_step firms.city firms.n_est firms.n_ordinary firms.n_talent "
              "firms.origin_city firms.park firms.sector firms.value_added firms.wage_premium firms.z "
              "fiscal.fiscal_strength fiscal.gdp_credited fiscal.public_service_index fiscal.tax_after_sharing "
              "fiscal.tax_shared_in fiscal.tax_shared_out geography.commute_feasible geography.commute_minutes "
              "governance.decisions governance.honour governance.incentive governance.kept governance.land_release "
              "governance.predicted_gain governance.talent_subsidy governance.terms labour.unemployment_rate "
              "labour.wage_index labour.wages land.capacity_ha land.city land.focus land.full land.housing_cost "
              "land.housing_index land.is_urban land.open land.park_id land.population_0 land.rent_index land.sponsor "
              "land.used_ha migration.in_migration_0 migration.pull production.A production.division_guided "
              "production.gdp_produced production.kappa0 production.land_cost_share production.site_share0 "
              "residence.amenity workers.alive workers.arrived_step workers.employer workers.hukou workers.residence "
              "workers.skill"),
          writes=(
              "governance.decisions governance.honour governance.incentive governance.kept governance.land_release "
              "governance.predicted_gain governance.talent_subsidy governance.terms")),
)
