"""City governments (市政府): one per city, the handle on its accounts in the ``model.fiscal.Fiscal`` component.

The governments' money, budget rule and fiscal strength are ``model.fiscal``'s; their yearly choices (incentive
intensity, talent subsidy, land release) are ``model.governance``'s; housing cost is a market outcome
(``model.land``). Money in 100 million yuan per quarter.
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

    incentive_intensity = _column("incentive", "governance")
    talent_subsidy = _column("talent_subsidy", "governance")
    land_release = _column("land_release", "governance")
    predicted_gain = _column("predicted_gain", "governance")

    @property
    def incentive_offer_share(self) -> float:
        """The offer to an arriving firm as a share of its value added (intensity x scale x fiscal strength)."""
        m = self.model
        return float(m.p["competition_incentive_scale"] * m.governance.incentive[self.city] *
                     m.fiscal.fiscal_strength[self.city])

    def describe(self) -> dict:
        return {"city": self.name, "regime": self.model.p["government_regime"].value,
                "incentive_offer_share": self.incentive_offer_share, "talent_subsidy_yuan": self.talent_subsidy,
                "land_release_share": self.land_release, "predicted_gain": self.predicted_gain,
                "tax_collected_100m_yuan_q": self.tax_collected, "tax_after_sharing_100m_yuan_q": self.tax_after_sharing,
                "public_service_index": self.public_service_index, "infrastructure_index": self.infrastructure,
                "housing_cost_yuan": self.housing_cost}
