"""Recording: one row per city per step (real units) and aggregated flows per step.

Units: money 100 million yuan (quarterly flows carry ``_q``; the annual frame sums quarters into
statistical years), people 10k persons, firms real establishments (the cohorts' n_est), wages yuan/year.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from model import kernels
from model.identity import N_CITIES, PLACES, SECTORS, SKILLS

if TYPE_CHECKING:
    from model.czt_model import CZTModel

SKILL_NAMES = SKILLS
STOCKS = ("population_10k", "talent_10k", "employment_10k", "jobs_talent_10k", "firms", "branches", "unemployment_rate",
          "commuters_out_10k", "commuters_in_10k", "housing_cost_yuan", "public_service_index", "infrastructure_index",
          "productivity_index", "wage_ordinary_yuan", "wage_talent_yuan", "avg_wage_yuan", "park_occupancy",
          # the government's choices in force (model.governance): incentive intensity (1 = 10% of value added),
          # talent subsidy (yuan per talent per year), extra park-land release (share of its park land per year)
          "incentive_intensity", "talent_subsidy_yuan", "land_release_share")


# quarterly money flows of record_state's rows (summed into statistical years by annual_frame), besides the
# per-sector value added SECTOR_FLOW; DERIVED are computed by annual_frame
CITY_FLOWS = ("gdp_q_100m_yuan", "gdp_credited_q_100m_yuan", "tax_collected_q_100m_yuan",
              "tax_after_sharing_q_100m_yuan", "tax_shared_out_q_100m_yuan", "tax_shared_in_q_100m_yuan",
              "provincial_investment_q_100m_yuan", "subsidies_q_100m_yuan",
              # supply chains (model.supply): gdp = gross output - intermediate inputs; inputs bought in the buyer's own
              # city, in the other two cities and outside add up to the intermediates; sales_to_cluster are the city's
              # sales of intermediates to the three cities' firms
              "gross_output_q_100m_yuan", "intermediates_q_100m_yuan", "inputs_local_q_100m_yuan",
              "inputs_from_cluster_q_100m_yuan", "inputs_from_outside_q_100m_yuan", "sales_to_cluster_q_100m_yuan",
              "sales_to_other_cities_q_100m_yuan",
              # knowledge (model.knowledge): firms' R&D spending; training programmes' cost (model.training)
              "rd_q_100m_yuan", "training_cost_q_100m_yuan",
              # the governments' outlays and the integration fund (model.governance): incentives to firms, land
              # development, contributions to and payouts from the fund
              "incentives_q_100m_yuan", "land_cost_q_100m_yuan", "fund_in_q_100m_yuan", "fund_out_q_100m_yuan",
              # establishments leaving the city for another of the three: whole relocations plus branch openings
              # (model.location; the relocation moment of model/record_fit.py)
              "firm_moves_out_q_establishments")
SECTOR_FLOW = "gdp_{sector}_q_100m_yuan"
DERIVED = ("gdp_share", "gdp_per_capita_yuan")


def annual_columns(sectors: tuple[str, ...] | None = None) -> list[str]:
    """The columns of ``annual_frame()``, in order, without running a model (sweep files name them as outputs).

    Built from the names record_state writes; tests/test_bad_input_table.py checks it against a real run.
    """
    if sectors is None:
        from model.calibration import sector_table

        sectors = tuple(sector_table().index)
    flows = list(CITY_FLOWS) + [SECTOR_FLOW.format(sector=s) for s in sectors]
    return ["year", "city"] + [c.replace("_q_", "_") for c in flows] + list(STOCKS) + list(DERIVED)


class Recorder:
    def __init__(self, model: CZTModel) -> None:
        self.m = model
        self.rows: list[dict] = []
        self.flows: list[tuple] = []
        self._pending: dict[tuple[int, int, str], float] = defaultdict(float)

    def reset_flows(self) -> None:
        self._pending.clear()

    # ---- flows, accumulated during a step
    def flow_people(self, kind: str, origin: np.ndarray, dest: np.ndarray, skill: np.ndarray) -> None:
        if len(origin) == 0:
            return
        n = len(PLACES)
        key = (np.asarray(origin, dtype=np.int64) * n + np.asarray(dest, dtype=np.int64)) * 2 + np.asarray(skill, dtype=np.int64)
        counts = np.bincount(key, minlength=n * n * 2)
        for k in np.flatnonzero(counts):
            o, rest = divmod(int(k), 2 * n)
            d, s = divmod(rest, 2)
            self._pending[(o, d, f"{kind}_{SKILL_NAMES[s]}")] += counts[k] * self.m.scale

    def flow_firms(self, kind: str, origin: int, dest: int, establishments: int) -> None:
        self._pending[(int(origin), int(dest), kind)] += establishments

    def flow_firms_many(self, kind: str, origin: np.ndarray, dest: np.ndarray, establishments: np.ndarray) -> None:
        n = len(PLACES)
        key = np.asarray(origin, dtype=np.int64) * n + np.asarray(dest, dtype=np.int64)
        total = np.bincount(key, weights=np.asarray(establishments, dtype=float), minlength=n * n)  # whole numbers
        for k in np.flatnonzero(total):
            self.flow_firms(kind, int(k) // n, int(k) % n, total[k])

    # ---- the state at the end of a step
    def record_state(self) -> None:
        """One row per city (real units) and the step's flows."""
        m = self.m
        step = m.steps
        year = m.start_year + max(step - 1, 0) // 4
        quarter = 0 if step == 0 else (step - 1) % 4 + 1
        people = self._people()
        firms, occ = self._firms(), self._park_occupancy()
        moves_out = np.zeros(N_CITIES)
        for (o, d, kind), count in self._pending.items():
            if kind in ("firm_relocation", "branch_opening") and o != d and o < N_CITIES:
                moves_out[o] += count
        for c in range(N_CITIES):
            row = {"step": step, "year": year, "quarter": quarter, "city": m.cities[c]}
            row.update(self._row(c, people, firms, occ))
            row["firm_moves_out_q_establishments"] = float(moves_out[c])
            for k, s in enumerate(SECTORS):
                row[f"gdp_{s}_q_100m_yuan"] = float(m.production.value_added_by_sector[k, c])
                row[f"firms_{s}"] = int(firms["n_sec"][k, c])
            self.rows.append(row)
        inputs = m.supply.purchases[:, :, :N_CITIES].sum(axis=0)  # [buyer city, supplier city]
        for b, o in zip(*np.nonzero(inputs)):
            if b != o:
                self._pending[(int(o), int(b), "intermediate_inputs")] += float(inputs[b, o])
        for (o, d, kind), count in sorted(self._pending.items()):
            unit = "firms" if kind.startswith(("firm", "branch")) else \
                "100m yuan" if kind == "intermediate_inputs" else "persons"
            self.flows.append((step, year, quarter, PLACES[o], PLACES[d], kind, float(count), unit))
        self._pending.clear()

    def _row(self, c: int, people: dict, firms: dict, occ: dict) -> dict:
        m, L, G, X = self.m, self.m.land, self.m.fiscal, self.m.governance
        scale10k = m.scale / 1e4
        lf10k = m.persons_per_agent / 1e4
        res, jobs, paid, com, w = people["res"], people["jobs"], people["paid"], people["commute"], people["market"]
        pop = res[c, 0]
        return {
            "gdp_q_100m_yuan": float(m.production.gdp_produced[c]), "gdp_credited_q_100m_yuan": float(G.gdp_credited[c]),
            "population_10k": pop * scale10k, "talent_10k": res[c, 1] * scale10k,
            "employment_10k": jobs[c].sum() * lf10k, "jobs_talent_10k": jobs[c, 1] * lf10k,
            "unemployment_rate": res[c, 2] / max(pop, 1),
            "firms": int(firms["n"][c]), "branches": int(firms["branches"][c]),
            "commuters_out_10k": com[c].sum() * lf10k, "commuters_in_10k": com[:, c].sum() * lf10k,
            "wage_ordinary_yuan": float(paid[c, 0] / jobs[c, 0]) if jobs[c, 0] else float(w[c, 0]),
            "wage_talent_yuan": float(paid[c, 1] / jobs[c, 1]) if jobs[c, 1] else float(w[c, 1]),
            "avg_wage_yuan": float(paid[c].sum() / max(jobs[c].sum(), 1)),
            "housing_cost_yuan": float(L.housing_cost[c]), "public_service_index": float(G.public_service_index[c]),
            "infrastructure_index": float(G.infrastructure[c]),
            "productivity_index": float(m.production.productivity_index[c]),
            "park_occupancy": float(occ[c]),
            "tax_collected_q_100m_yuan": float(G.tax_collected[c]),
            "tax_after_sharing_q_100m_yuan": float(G.tax_after_sharing[c]),
            "tax_shared_out_q_100m_yuan": float(G.tax_shared_out[c]),
            "tax_shared_in_q_100m_yuan": float(G.tax_shared_in[c]),
            "provincial_investment_q_100m_yuan": float(G.provincial_investment[c]),
            "subsidies_q_100m_yuan": float(G.subsidies_paid[c]),
            **self._supply(c),
            "rd_q_100m_yuan": float(m.knowledge.rd[c]), "training_cost_q_100m_yuan": float(G.training_cost[c]),
            "incentives_q_100m_yuan": float(firms["incentives"][c]), "land_cost_q_100m_yuan": float(X.land_cost[c]),
            "fund_in_q_100m_yuan": float(X.fund_in[c]), "fund_out_q_100m_yuan": float(X.fund_out[c]),
            "incentive_intensity": float(X.incentive[c]), "talent_subsidy_yuan": float(X.talent_subsidy[c]),
            "land_release_share": float(X.land_release[c]),
        }

    def _supply(self, c: int) -> dict[str, float]:
        """City c's supply-chain accounts this quarter (100m yuan)."""
        S = self.m.supply
        bought = S.purchases[:, c, :].sum(axis=0)  # by source place: the three cities, then outside
        return {"gross_output_q_100m_yuan": float(S.gross_output[:, c].sum()),
                "intermediates_q_100m_yuan": float(bought.sum()),
                "inputs_local_q_100m_yuan": float(bought[c]),
                "inputs_from_cluster_q_100m_yuan": float(bought[:N_CITIES].sum() - bought[c]),
                "inputs_from_outside_q_100m_yuan": float(bought[N_CITIES]),
                "sales_to_cluster_q_100m_yuan": float(S.sales[:, c].sum()),
                "sales_to_other_cities_q_100m_yuan": float(S.sales[:, c].sum() - bought[c])}

    def _people(self) -> dict[str, np.ndarray]:
        """Residents, talent, unemployed, jobs, wages paid and commuters by city (one pass over the workers); the
        commuter stocks also as flows rows (persons)."""
        m, W = self.m, self.m.workers
        res, jobs, paid, commute = kernels.city_stats(W.alive, W.residence, W.skill, W.employer,
                                                      m.firms.city.astype(np.int64), m.firms.wage_premium,
                                                      m.labour.wages, N_CITIES)
        for o, d, s in zip(*np.nonzero(commute)):
            self._pending[(int(o), int(d), f"commuters_{SKILL_NAMES[s]}")] += float(commute[o, d, s]) * m.persons_per_agent
        return {"res": res, "jobs": jobs, "paid": paid, "commute": commute, "market": m.labour.wages}

    def _firms(self) -> dict[str, np.ndarray]:
        """Establishments, branches, and establishments by (sector, city) (value added by sector is the production
        stage's, where it was produced)."""
        F, C = self.m.firms, N_CITIES
        live = F.living
        fcity = F.city[live].astype(np.int64)
        n_est = F.n_est[live]
        sec_key = F.sector[live].astype(np.int64) * C + fcity
        return {"n": np.bincount(fcity, weights=n_est, minlength=C),
                "branches": np.bincount(fcity, weights=n_est * F.is_branch[live], minlength=C),
                "n_sec": np.bincount(sec_key, weights=n_est, minlength=len(SECTORS) * C).reshape(-1, C),
                "incentives": np.bincount(fcity, weights=F.incentive[live], minlength=C)}

    def _park_occupancy(self) -> dict[int, float]:
        """Mean occupancy of each city's open industrial parks."""
        L = self.m.land
        return {c: np.mean([L.occupancy(i) for i in range(L.n) if L.city[i] == c and not L.is_urban[i] and L.open[i]])
                for c in range(N_CITIES)}

    # ---- frames
    def cities_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def flows_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.flows, columns=["step", "year", "quarter", "origin", "destination", "kind", "count",
                                                 "unit"])

    def last_year_gdp(self) -> float:
        """CZT GDP over the last four recorded quarters, 100m yuan."""
        q = [r["gdp_q_100m_yuan"] for r in self.rows[-12:]]
        return float(sum(q))

    def annual_frame(self) -> pd.DataFrame:
        """City by statistical year: flows summed over the year's quarters, stocks at the year's end."""
        df = self.cities_frame()
        df = df[df.step > 0]
        if df.empty:
            return df
        flows = [c for c in df.columns if "_q_" in c]
        g = df.groupby(["year", "city"], sort=False)
        out = g[flows].sum()
        out.columns = [c.replace("_q_", "_") for c in flows]
        last = g[list(STOCKS) + ["quarter"]].last()
        out = out.join(last).reset_index()
        out = out[out.quarter == 4].drop(columns="quarter")  # complete statistical years only
        tot = out.groupby("year").gdp_100m_yuan.transform("sum")
        out["gdp_share"] = out.gdp_100m_yuan / tot
        out["gdp_per_capita_yuan"] = out.gdp_100m_yuan * 1e8 / (out.population_10k * 1e4)
        order = {c: i for i, c in enumerate(self.m.cities)}
        return out.sort_values(["year", "city"], key=lambda s: s.map(order) if s.name == "city" else s).reset_index(drop=True)
