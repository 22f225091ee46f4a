"""Agent classes: firms, city governments and industrial parks as mesa.Agent; workers as numpy columns."""

from agents.firm import Firm
from agents.government import CityGovernment
from agents.park import IndustrialPark
from agents.worker import WorkerPopulation, WorkerView

__all__ = ["Firm", "CityGovernment", "IndustrialPark", "WorkerPopulation", "WorkerView"]
