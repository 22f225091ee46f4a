"""City governments (市政府): taxes, public services, infrastructure, housing cost, talent subsidies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from model.czt_model import CZTModel


class CityGovernment(mesa.Agent):
    """One per city. Money in 100 million yuan; flows per quarter unless named annual."""

    def __init__(self, model: CZTModel, city: int) -> None:
        super().__init__(model)
        self.city = city
        self.name = model.cities[city]
        self.tax_collected = 0.0  # local taxes raised on its territory this quarter
        self.tax_after_sharing = 0.0  # what it keeps plus what enclave hosts paid it as sponsor
        self.provincial_investment = 0.0  # this quarter
        self.subsidies_paid = 0.0  # firm incentives and talent subsidies this quarter
        self.public_spending = 0.0
        self.infrastructure = 1.0  # public capital index, 2019 = 1
        self.public_service_index = 1.0  # public spending per resident relative to 2019
        self.spending_per_resident_0 = 0.0  # set at calibration, 100m yuan per resident worker agent
        self.housing_cost = 0.0  # yuan per resident worker per year
        self.housing_cost_0 = 0.0
        self.population_0 = 0
        self.infra_flow_0 = 0.0  # 2019 public-capital spending per quarter, 100m yuan

    def budget(self) -> None:
        """Spend what is left after subsidies on services (70%) and public capital (30%)."""
        m = self.model
        available = self.tax_after_sharing + self.provincial_investment - self.subsidies_paid
        self.public_spending = max(available, 0.0)
        pop = max(int(m.city_population[self.city]), 1)
        per_resident = 0.7 * self.public_spending / pop
        self.public_service_index = per_resident / self.spending_per_resident_0 if self.spending_per_resident_0 else 1.0
        # public capital: 5% depreciation a year; investment relative to the 2019 flow keeps the index near 1 in balance
        self.infrastructure += (0.3 * self.public_spending / self.infra_flow_0 - 1.0) * 0.05 / 4 * self.infrastructure \
            if self.infra_flow_0 else 0.0

    def update_housing(self) -> None:
        """Housing cost rises with crowding: cost_0 * (population / population_0) ** elasticity."""
        m = self.model
        ratio = max(m.city_population[self.city], 1) / max(self.population_0, 1)
        self.housing_cost = self.housing_cost_0 * ratio ** m.p["housing_elasticity"]

    def describe(self) -> dict:
        return {"city": self.name, "tax_collected_100m_yuan_q": self.tax_collected,
                "tax_after_sharing_100m_yuan_q": self.tax_after_sharing,
                "public_service_index": self.public_service_index, "infrastructure_index": self.infrastructure,
                "housing_cost_yuan": self.housing_cost}
