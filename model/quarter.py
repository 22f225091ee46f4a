"""The quarter: the ordered list of named stages that ``CZTModel.step`` runs, in one place.

Each :class:`~model.stages.Stage` names the mechanism function it calls and the component fields it reads and writes
(``component.field``; ``firms.*`` are the firm cohorts' columns, ``workers.*`` the worker agents' columns).
tests/test_stages.py traces a run and fails when a stage touches a field it does not declare, or declares one it
never touches; docs/ODD.md's process overview is generated from this list (``python scripts/odd_params.py``). The
yearly stages are in ``model/year.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from model import demography, fiscal, investment, knowledge, labour, land, location, production, residence, supply, \
    training
from model.stages import Stage, stage

if TYPE_CHECKING:
    from model.czt_model import CZTModel


def compact_workers(m: CZTModel) -> None:
    """Drop the rows of dead workers once they exceed a fifth of the table (ids stay stable)."""
    m.workers.compact()


def record(m: CZTModel) -> None:
    """Record the state of each city and the quarter's flows (real units)."""
    m.recorder.record_state()


QUARTER: tuple[Stage, ...] = (
    stage("housing", land.update_housing,
          reads="land.housing_anchor_cost land.housing_anchor_pop land.housing_cost workers.alive workers.residence",
          writes="land.housing_cost"),
    stage("rents", land.update_rents,
          reads="land.base_rent land.capacity_ha land.rent land.used_ha",
          writes="land.rent"),
    stage("productivity", production.update_productivity,
          reads=(
              "firms.alive firms.city firms.n_ordinary firms.n_talent firms.sector fiscal.infrastructure "
              "knowledge.factor production.A production.A0 production.E0 production.E0_city production.h0 "
              "production.tfp_anchor supply.linkage"),
          writes="production.A production.productivity_index"),
    stage("production", production.produce,
          reads=(
              "governance.incentive firms.alive firms.arrived_step firms.city firms.incentive firms.n_est firms.n_ordinary firms.origin_city "
              "firms.n_talent firms.park firms.profit firms.sector firms.tax firms.value_added firms.wage_premium "
              "firms.z fiscal.fiscal_strength labour.wage_index land.housing_index land.rent_index production.A "
              "production.division_guided production.kappa0 production.land_cost_share production.site_share0"),
          writes="firms.incentive firms.profit firms.tax firms.value_added production.gdp_produced "
                 "production.value_added_by_sector"),
    stage("supply_chains", supply.update,
          reads=(
              "firms.alive firms.city firms.sector firms.value_added production.tfp_anchor supply.a supply.access0 "
              "supply.cluster_share0 supply.market_access supply.outside supply.purchases supply.sales_per_output0 "
              "supply.supplier_access supply.va_ratio supply.weight"),
          writes=(
              "supply.gross_output supply.linkage supply.market_access supply.purchases supply.supplier_access "
              "supply.weight")),
    stage("knowledge", knowledge.update,
          reads=(
              "firms.alive firms.city firms.n_ordinary firms.n_talent firms.value_added geography.commute_minutes "
              "knowledge.accessible0 knowledge.kappa knowledge.rd knowledge.reach knowledge.stock production.tfp_anchor"),
          writes="knowledge.factor knowledge.rd knowledge.reach knowledge.stock"),
    stage("enclave_sharing", fiscal.share_taxes,
          reads=(
              "governance.honour governance.land_cost governance.terms firms.alive firms.arrived_step firms.born_step firms.city firms.incentive firms.origin_city "
              "firms.park firms.pre_move_tax firms.tax firms.value_added fiscal.talent_subsidy_cost fiscal.training_cost "
              "land.sponsor "
              "production.gdp_produced"),
          writes=(
              "fiscal.gdp_credited fiscal.subsidies_paid fiscal.tax_after_sharing fiscal.tax_collected "
              "fiscal.tax_shared_in fiscal.tax_shared_out")),
    stage("budgets", fiscal.budget,
          reads=(
              "governance.fund_in governance.fund_out governance.province_fund fiscal.infra_flow_0 fiscal.infrastructure fiscal.provincial_investment fiscal.public_service_index "
              "fiscal.public_spending fiscal.spending_per_resident_0 fiscal.subsidies_paid fiscal.tax_after_sharing "
              "fiscal.gdp_credited fiscal.tax_shared_in fiscal.tax_shared_out land.population_0 "
              "workers.alive workers.residence"),
          writes="governance.fund_in governance.fund_out governance.province_fund fiscal.infrastructure fiscal.public_service_index fiscal.public_spending"),
    stage("employment", labour.adjust_employment,
          reads=(
              "firms.alive firms.city firms.n_est firms.n_ordinary firms.n_talent firms.park firms.sector "
              "firms.talent_share firms.wage_premium firms.z labour.wage0 labour.wage_index labour.wages "
              "land.capacity_ha land.rent_index land.used_ha production.A production.kappa0 "
              "production.land_cost_share workers.alive workers.employer workers.skill"),
          writes="firms.n_ordinary firms.n_talent firms.wage_premium labour.vacancies workers.employer"),
    stage("matching", labour.match,
          reads=(
              "firms.city firms.n_ordinary firms.n_talent firms.wage_premium geography.commute_feasible "
              "geography.commute_minutes labour.vacancies labour.wages workers.alive workers.employer workers.hukou "
              "workers.residence workers.skill"),
          writes="firms.n_ordinary firms.n_talent workers.employer"),
    stage("wages", labour.update_wages,
          reads=(
              "firms.city labour.tightness labour.u_star labour.vacancies labour.wage0 labour.wages "
              "production.productivity_index workers.alive workers.employer workers.residence workers.skill"),
          writes="labour.tightness labour.unemployment_rate labour.vacancy_rate labour.wage_index labour.wages"),
    stage("residence", residence.choose,
          reads=(
              "governance.talent_subsidy firms.city firms.wage_premium fiscal.public_service_index geography.commute_feasible "
              "geography.commute_minutes labour.unemployment_rate labour.wages land.housing_cost residence.amenity "
              "workers.alive workers.arrived_step workers.employer workers.hukou workers.log workers.residence "
              "workers.skill"),
          writes="recorder.flows workers.arrived_step workers.log workers.residence"),
    stage("hukou", residence.hukou_transfers,
          reads="workers.alive workers.arrived_step workers.hukou workers.log workers.residence workers.skill",
          writes="workers.hukou workers.log"),
    stage("training", training.train,
          reads="workers.alive workers.residence workers.skill",
          writes="fiscal.training_cost recorder.flows workers.skill"),
    stage("talent_subsidies", residence.talent_subsidy_bill,
          reads="governance.talent_subsidy workers.alive workers.arrived_step workers.hukou workers.residence workers.skill",
          writes="fiscal.talent_subsidy_cost"),
    stage("relocation", location.relocate_and_branch,
          reads=(
              "governance.incentive governance.kept firms.alive firms.arrived_step firms.born_step firms.city firms.hq_city firms.is_branch firms.n_est "
              "firms.n_ordinary firms.n_talent firms.park firms.pre_move_tax firms.profit firms.sector "
              "firms.talent_share firms.tax firms.wage_premium firms.z fiscal.fiscal_strength labour.wage_index "
              "land.capacity_ha land.city land.focus land.full land.housing_index land.is_urban land.open "
              "land.rent_index land.sponsor land.used_ha production.A production.division_guided production.kappa0 "
              "production.land_cost_share production.site_share0 workers.alive workers.employer workers.skill"),
          writes="firms.* recorder.flows workers.employer"),
    stage("entry_exit", location.exit_and_enter,
          reads=(
              "governance.incentive firms.alive firms.arrived_step firms.city firms.n_est firms.n_ordinary firms.n_talent firms.park "
              "firms.pre_move_tax firms.profit firms.sector firms.z fiscal.fiscal_strength labour.wage_index "
              "land.capacity_ha land.city land.focus land.housing_index land.is_urban land.open land.rent_index "
              "land.sponsor land.used_ha production.A production.division_guided production.kappa0 "
              "production.land_cost_share production.site_share0 workers.alive workers.employer workers.skill"),
          writes="firms.* recorder.flows workers.employer"),
    stage("inward_investment", investment.arrive,
          reads=(
              "governance.incentive firms.alive firms.city firms.n_est firms.sector firms.z fiscal.fiscal_strength labour.wage_index "
              "land.capacity_ha "
              "land.city land.focus land.housing_index land.is_urban land.open land.rent_index land.sponsor "
              "land.used_ha production.A production.division_guided production.kappa0 production.land_cost_share "
              "production.site_share0"),
          writes="firms.* recorder.flows"),
    stage("demography", demography.step,
          reads=(
              "governance.talent_subsidy firms.city firms.wage_premium fiscal.public_service_index geography.commute_feasible "
              "geography.commute_minutes labour.unemployment_rate labour.wages land.housing_cost "
              "migration.in_migration_0 migration.mean_wage_0 migration.pull migration.region_population_0 "
              "production.tfp_anchor residence.amenity workers.alive "
              "workers.arrived_step workers.employer workers.hukou workers.log workers.residence workers.skill"),
          writes="recorder.flows workers.*"),
    stage("headcounts", labour.recount_employment,
          reads="firms.n_ordinary firms.n_talent workers.alive workers.employer workers.skill",
          writes="firms.n_ordinary firms.n_talent"),
    stage("land", land.update_land,
          reads=(
              "governance.land_release firms.alive firms.n_ordinary firms.n_talent firms.park firms.sector land.capacity_ha land.city "
              "land.housing_cost land.housing_cost_0 land.is_urban land.open land.rent land.rent0_city land.used_ha"),
          writes="governance.land_cost land.capacity_ha land.full land.housing_index land.rent_index land.used_ha"),
    stage("fiscal_strength", fiscal.update_fiscal_strength,
          reads="fiscal.tax_after_sharing workers.alive workers.residence",
          writes="fiscal.fiscal_strength"),
    stage("compact", compact_workers,
          reads="workers.alive",
          writes="workers.*"),
    stage("record", record,
          reads=(
              "governance.fund_in governance.fund_out governance.incentive governance.land_cost governance.land_release governance.talent_subsidy firms.alive firms.city firms.incentive firms.is_branch firms.n_est firms.sector "
              "firms.wage_premium fiscal.gdp_credited fiscal.infrastructure fiscal.provincial_investment fiscal.public_service_index "
              "fiscal.subsidies_paid fiscal.tax_after_sharing fiscal.tax_collected fiscal.tax_shared_in "
              "fiscal.tax_shared_out labour.wages land.capacity_ha land.city land.housing_cost land.is_urban "
              "fiscal.training_cost knowledge.rd "
              "land.open land.used_ha production.gdp_produced production.productivity_index "
              "production.value_added_by_sector supply.gross_output supply.purchases workers.alive workers.employer workers.residence workers.skill"),
          writes="recorder.rows"),
)
