"""CZT-Sim model package: ``from model import CZTModel``."""

from model.czt_model import CZTModel
from model.errors import ConfigError
from model.params import CITIES, PARAMS
from model.scenarios import Scenario, available as available_scenarios, load as load_scenario

__all__ = ["CZTModel", "ConfigError", "CITIES", "PARAMS", "Scenario", "available_scenarios", "load_scenario"]
