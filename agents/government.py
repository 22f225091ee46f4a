"""City governments (市政府): one per city, the handle on its accounts in the ``model.fiscal.Fiscal`` component.

The governments' money, budget rule and fiscal strength are ``model.fiscal``'s; housing cost is a market
outcome (``model.land``). Money in 100 million yuan per quarter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

if TYPE_CHECKING:
    from model.czt_model import CZTModel


def _column(name: str, component: str = "fiscal") -> property:
    return property(lambda self: float(getattr(getattr(self.model, component), name)[self.city]),
                    doc=f"this city's entry of {component}.{name}")


class CityGovernment(mesa.Agent):
    """One per city."""

    def __init__(self, model: CZTModel, city: int) -> None:
        super().__init__(model)
        self.city = city
        self.name = model.cities[city]

    tax_collected = _column("tax_collected")
    tax_after_sharing = _column("tax_after_sharing")
    provincial_investment = _column("provincial_investment")
    subsidies_paid = _column("subsidies_paid")
    public_spending = _column("public_spending")
    infrastructure = _column("infrastructure")
    public_service_index = _column("public_service_index")
    fiscal_strength = _column("fiscal_strength")
    housing_cost = _column("housing_cost", "land")

    def describe(self) -> dict:
        return {"city": self.name, "tax_collected_100m_yuan_q": self.tax_collected,
                "tax_after_sharing_100m_yuan_q": self.tax_after_sharing,
                "public_service_index": self.public_service_index, "infrastructure_index": self.infrastructure,
                "housing_cost_yuan": self.housing_cost}
