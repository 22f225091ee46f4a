"""The agents' behavioural rules (行为规则), each defined once: pure functions of arrays and parameters.

The firms' and the workers' stages call these functions, the governments' predictions apply the same functions to
their hypothetical profiles (``model.governance``: the governments forecast with the agents' own rules), and the
numba kernels (``model.kernels``) compile the same functions for scalars. Change a rule here and every caller
follows; there is no second copy to drift.

Conventions
- Shapes: every function broadcasts over any leading shape; a choice set is the last axis (cities, or the options of
  a relocation review). A government's prediction adds leading axes (profiles, sectors, origins or workers) to the
  agents' shapes, and gets, row by row, exactly the agents' numbers.
- Kernel rules (marked so in their docstrings) are written for numpy arrays *and* for scalars inside a numba kernel:
  only arithmetic, comparisons, ``np.maximum``/``np.minimum`` and :func:`select` (not one another: the kernels
  compose them, as the numpy callers do). They take logarithms as inputs and
  never call ``log`` or ``exp``: numba uses the C library's, numpy its own SIMD functions, which may differ in the last
  bit, so each caller applies the one it always used. ``model.kernels`` lists them (``KERNEL_RULES``) and checks a
  digest of their source, because numba's cache does not see changes made in another file.
- Units: money in yuan per year for workers; firms' profits in 100 million yuan per year (only ratios enter the
  firms' values, which are unit-free shares of current profit); time in quarters or years as named.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numba import types
from numba.extending import overload

Value = float | np.ndarray  # a scalar inside a kernel, an array of any shape in numpy (kernel rules take either)
Flag = bool | np.ndarray

PRESENCE_FLOOR = 1e-3  # a sector's share of its establishments in a city, before the log of the entry logit
NEGATIVE_LIST_STEP = {"separate": 0.0, "aligned": 0.5, "unified": 1.0}  # share of negative_list_cost_cut applied
CONSUMPTION_FLOOR_SHARE = 0.1  # consumption never falls below this share of the local wage (transfers, family)
PROFIT_FLOOR = 1e-12  # |profit| below which a relative gain is taken against this instead (no division by zero)


# ---------------------------------------------------------------------------------------------- general
def select(condition: Flag, if_true: Value, if_false: Value) -> Value:
    """``np.where(condition, if_true, if_false)``; inside a numba kernel, on scalars, a plain branch (kernel rule)."""
    return np.where(condition, if_true, if_false)


@overload(select)
def select_overload(condition, if_true, if_false):
    """numba's version of :func:`select`: a branch for scalars (no 0-d array), ``np.where`` otherwise."""
    if isinstance(condition, (types.Boolean, types.Integer)):
        def branch(condition, if_true, if_false):
            return if_true if condition else if_false
        return branch

    def where(condition, if_true, if_false):
        return np.where(condition, if_true, if_false)
    return where


def softmax(u: np.ndarray) -> np.ndarray:
    """Logit probabilities over the last axis: exp(u) / sum exp(u), computed from the row's largest finite utility.

    ``-inf`` utilities get probability 0; a row with no finite utility gets all zeros (nobody chooses)."""
    # the arithmetic of exp(u - top) / sum, in place and (for a short last axis) column by column: the same
    # numbers, without numpy's per-row cost of broadcasting along a short axis
    top = last_axis_max(u)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.empty(np.shape(u))
    short = 1 <= e.shape[-1] <= SHORT_AXIS
    if short:
        for j in range(e.shape[-1]):
            np.subtract(u[..., j], top, out=e[..., j])
    else:
        np.subtract(u, top[..., None], out=e)
    np.exp(e, out=e)
    e[~np.isfinite(u)] = 0.0
    tot = last_axis_sum(e)
    tot = np.where(tot > 0, tot, 1.0)  # a row without a finite utility is all zeros: 0 / 1
    if short:
        for j in range(e.shape[-1]):
            e[..., j] /= tot
    else:
        e /= tot[..., None]
    return e


SHORT_AXIS = 7  # numpy adds fewer than 8 numbers one after another, left to right (its pairwise sum's base case)


def last_axis_max(u: np.ndarray) -> np.ndarray:
    """``u.max(axis=-1)``, for a short last axis (the cities, the options) column by column: numpy's reduction over
    a short axis pays per row, which dominated the logit's time; the maximum is exact either way."""
    if not 1 <= u.shape[-1] <= SHORT_AXIS:
        return np.max(u, axis=-1)
    out = u[..., 0].copy()
    for j in range(1, u.shape[-1]):
        np.maximum(out, u[..., j], out=out)
    return out


def last_axis_sum(e: np.ndarray) -> np.ndarray:
    """``e.sum(axis=-1)``, for a short last axis column by column, left to right as numpy adds a short axis, so the
    result is numpy's to the last bit (tests/test_kernel_reductions.py holds that on every code path)."""
    if not 1 <= e.shape[-1] <= SHORT_AXIS:
        return e.sum(axis=-1)
    out = e[..., 0].copy()
    for j in range(1, e.shape[-1]):
        out += e[..., j]
    return out


# ---------------------------------------------------------------------------------------------- firms: entry
def log_presence(presence: np.ndarray) -> np.ndarray:
    """The agglomeration term of the entry logit: log of the sector's share of its establishments in each city
    (suppliers, networks; 产业集聚), floored at ``PRESENCE_FLOOR`` so a city without the sector stays possible."""
    return np.log(np.maximum(presence, PRESENCE_FLOOR))


def entry_utilities(ln_presence: np.ndarray, V: np.ndarray, entry_logit_scale: float) -> np.ndarray:
    """Utilities of the entry logit of entrants and inward investors (进入与招商引资) over the cities (last axis).

    ``V``: annual profit at the best park with room in each city (-inf where no park has room); ``ln_presence``:
    :func:`log_presence` (broadcast against ``V``). Utility = ln presence + entry_logit_scale x (V / |best V| - 1),
    the profit relative to the best city's; -inf where no park has room (and everywhere in a row without room)."""
    ok = np.isfinite(V)
    best = np.max(np.where(ok, V, -np.inf), axis=-1, keepdims=True)
    scale = np.maximum(np.where(np.isfinite(best), np.abs(best), 1.0), PROFIT_FLOOR)
    return np.where(ok, ln_presence + entry_logit_scale * (V / scale - 1), -np.inf)


def entry_probabilities(presence: np.ndarray, V: np.ndarray, entry_logit_scale: float) -> np.ndarray:
    """Each city's probability of being chosen by an entrant or inward investor (last axis): the conditional logit
    of :func:`entry_utilities`; rows where no park has room anywhere are all zero."""
    return softmax(entry_utilities(log_presence(presence), V, entry_logit_scale))


# ---------------------------------------------------------------------------------------------- firms: relocation
def market_access_factors(p: Mapping) -> tuple[float, float]:
    """Factors on the relocation and the branch cost from unified market access (市场准入负面清单 / 资质互认): one
    cluster negative list spares re-registration and approvals (``negative_list_cost_cut`` x the list's step:
    separate 0, aligned 1/2, unified 1); recognised licences spare a branch re-qualification (``licence_cost_cut``)."""
    relocation = 1.0 - p["negative_list_cost_cut"] * NEGATIVE_LIST_STEP[p["market_access_list"]]
    branch = 1.0 - p["licence_cost_cut"] if p["licence_recognition"] else 1.0
    return relocation, branch


def leave_cost_multiplier(incentive_at_origin: Value, kept: Value, sponsor_relief: float) -> Value:
    """Factor on the cost of leaving a city (地方保护): the origin's incentive intensity raises it, unless the origin
    keeps a share ``kept`` of the mover (an enclave park it sponsors: it stops resisting, and with
    ``sponsor_relief`` even helps). (1 + intensity x (1 - kept)) x (1 - sponsor_relief x kept); unit-free."""
    return (1 + incentive_at_origin * (1 - kept)) * (1 - sponsor_relief * kept)


def relocation_values(pi_here: Value, pi_dest: np.ndarray, leave_multiplier: Value, p: Mapping, can_relocate: Flag,
                      can_branch: Flag) -> tuple[np.ndarray, np.ndarray]:
    """Values of relocating whole to a destination and of opening a production branch there (企业迁移 / 设立分支),
    as shares of the current annual profit ``pi_here`` (stay = 0).

    gain = (pi_dest - pi_here) / max(|pi_here|, PROFIT_FLOOR); relocate = gain - relocation_cost x market access x
    ``leave_multiplier`` / profit_horizon_years; branch = branch_share x (gain - branch_cost x licence access x
    ``leave_multiplier`` / profit_horizon_years): a branch moves ``branch_share`` of the output. -inf where the option
    is closed (``can_relocate`` / ``can_branch``: room in a park there, not the own city, a parent with staff)."""
    access_rel, access_br = market_access_factors(p)
    H, b = p["profit_horizon_years"], p["branch_share"]
    base = np.maximum(np.abs(pi_here), PROFIT_FLOOR)
    gain = (pi_dest - pi_here) / base
    v_rel = np.where(can_relocate, gain - p["relocation_cost"] * access_rel * leave_multiplier / H, -np.inf)
    v_br = np.where(can_branch, b * (gain - p["branch_cost"] * access_br * leave_multiplier / H), -np.inf)
    return v_rel, v_br


def location_options(v_relocate: np.ndarray, v_branch: np.ndarray) -> np.ndarray:
    """The options of a relocation review on the last axis: stay (value 0), then relocate(d), branch(d) per city."""
    shape = np.broadcast_shapes(v_relocate.shape, v_branch.shape)
    V = np.zeros(shape[:-1] + (1 + 2 * shape[-1],))
    V[..., 1::2] = v_relocate
    V[..., 2::2] = v_branch
    return V


def location_choice_probabilities(V: np.ndarray, entry_logit_scale: float, location_logit_scale: float) -> np.ndarray:
    """Nested logit of a reviewing establishment over {stay, relocate(d), branch(d)} (last axis, laid out as
    :func:`location_options`): a destination city first, by the softer ``entry_logit_scale`` on its better option
    (idiosyncratic knowledge of places), then stay / relocate / branch there by the sharper ``location_logit_scale``.
    Rows add to 1; with no open option anywhere the establishment stays."""
    n_city = (V.shape[-1] - 1) // 2
    p_dest = softmax(entry_logit_scale * np.maximum(V[..., 1::2], V[..., 2::2]))
    probs = np.zeros_like(V)
    for d in range(n_city):
        sub = np.stack([V[..., 0], V[..., 1 + 2 * d], V[..., 2 + 2 * d]], axis=-1)
        p_mode = softmax(location_logit_scale * sub)
        probs[..., 0] += p_dest[..., d] * p_mode[..., 0]
        probs[..., 1 + 2 * d] = p_dest[..., d] * p_mode[..., 1]
        probs[..., 2 + 2 * d] = p_dest[..., d] * p_mode[..., 2]
    probs[..., 0] += np.maximum(1.0 - p_dest.sum(axis=-1), 0.0)  # no destination open: everyone stays
    return probs / probs.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------------------------------------- firms: staff
def layoff_probability(fired: Value, headcount: Value, separation_rate: float) -> Value:
    """Probability that an employee of a (firm, skill) leaves this quarter: the firm's layoffs over its headcount,
    plus the exogenous separation rate (kernel rule)."""
    return fired / np.maximum(headcount, 1) + separation_rate


# ---------------------------------------------------------------------------------------------- workers: income
def benefit_city(hukou: Value, residence: Value, outside: int) -> Value:
    """The city whose benefits a worker holds (social insurance, hukou-linked services): its hukou city in the
    cluster, else (hukou outside, index >= ``outside``) the city it lives in (kernel rule)."""
    return select(hukou < outside, hukou, residence)


def job_income(wage: Value, premium: Value, commute: Value, penalty: Value) -> Value:
    """A job's annual income net of getting there (yuan): the city's wage for the skill x the firm's wage premium,
    minus the commute (time and fare) from the residence, minus the cross-city penalty (benefits that stop at the
    city line: ``model.labour.cross_city_penalty``). Kernel rule."""
    return wage * premium - commute - penalty


def unemployed_income(local_wage: Value, unemployment_rate: Value, unemployed_income_share: float) -> Value:
    """Expected annual income (yuan) of a worker without a job in a city: the local wage while employed
    (1 - u of the time) and ``unemployed_income_share`` of it while not. Kernel rule."""
    return local_wage * (1.0 - unemployment_rate + unemployed_income_share * unemployment_rate)


# ---------------------------------------------------------------------------------------------- workers: subsidy
def subsidy_eligibility(hukou: Value, city: Value, outside: int, recognition: float) -> Value:
    """Share of city ``city``'s talent subsidy (人才补贴) a talent worker with this hukou gets: all of it with the
    city's hukou or a hukou from outside the cluster, ``recognition`` (人才互认) with another cluster city's.
    Kernel rule."""
    return select((hukou == city) | (hukou >= outside), 1.0, recognition)


def subsidy_horizon_share(in_current_city: Flag, quarters_in_city: Value, subsidy_quarters: float,
                          horizon_quarters: float) -> Value:
    """The talent subsidy as a flow over the decision horizon: quarters of subsidy still to come over
    ``horizon_quarters``. Where the worker lives, those it has not used yet (``quarters_in_city`` since it arrived);
    anywhere else a fresh ``subsidy_quarters``. Kernel rule."""
    left = np.minimum(np.maximum(subsidy_quarters - quarters_in_city, 0.0), subsidy_quarters) / horizon_quarters
    return select(in_current_city, left, subsidy_quarters / horizon_quarters)


def talent_subsidy_received(is_talent: Flag, subsidy: Value, eligibility: Value, horizon_share: Value) -> Value:
    """Subsidy (yuan per year) a worker counts in a city: the city's talent subsidy x its eligibility x the horizon
    share, for talent; nothing for ordinary workers. Kernel rule."""
    return select(is_talent, subsidy * eligibility, 0.0) * horizon_share


# ---------------------------------------------------------------------------------------------- workers: residence
def benefit_portability(is_talent: Flag, portability: float, recognition: float) -> Value:
    """Share of hukou-linked benefits and services a worker keeps outside its benefit city (户籍福利可携带):
    ``portability`` (hukou_portability), for talent at least ``recognition`` (人才互认). Kernel rule."""
    return select(is_talent, np.maximum(portability, recognition), portability)


def service_access(hukou: Value, city: Value, kept_outside: Value) -> Value:
    """Share of a city's public services (公共服务) open to a worker: all with the city's hukou, else the share it
    keeps outside its benefit city (``kept_outside``: :func:`benefit_portability`). Kernel rule."""
    return select(hukou == city, 1.0, kept_outside)


def service_value(value_per_index: float, service_index: Value, access: Value) -> Value:
    """Annual yuan of public services a worker gets in a city: public_service_value x the city's service index x
    its access. Kernel rule."""
    return value_per_index * service_index * access


def consumption(income: Value, subsidy: Value, services: Value, housing: Value, local_wage: Value) -> Value:
    """Annual consumption (yuan) of living in a city: income + talent subsidy + services - housing cost, never below
    ``CONSUMPTION_FLOOR_SHARE`` of the city's wage for the worker's skill. Kernel rule."""
    return np.maximum(income + subsidy + services - housing, CONSUMPTION_FLOOR_SHARE * local_wage)


def moving_penalty(moving: Flag, is_talent: Flag, moving_cost: float, benefit_loss: float, recognition: float) -> Value:
    """Log-points lost by moving to another city (``moving`` true): ``moving_cost``, and for talent the benefits left
    behind that are not recognised elsewhere, ``talent_benefit_loss`` x (1 - recognition). Kernel rule."""
    return moving * (moving_cost + select(is_talent, benefit_loss * (1 - recognition), 0.0))


def residence_utility(log_consumption: Value, amenity: Value, logit_scale: float, penalty: Value,
                      feasible: Flag) -> Value:
    """Systematic utility of living in a city (居住地选择): logit_scale x (ln consumption + amenity / logit_scale -
    ``penalty``, the :func:`moving_penalty`); -inf where the worker's job is out of commuting reach (``feasible``
    false). The amenity is in utility units (``model.residence.Residence``); add a Gumbel draw to choose. Kernel rule
    (the caller takes the log)."""
    return select(feasible, logit_scale * (log_consumption + amenity / logit_scale - penalty), -np.inf)


# ---------------------------------------------------------------------------------------------- workers: job search
def job_information_reach(commute_minutes: np.ndarray, information_minutes: float, commute_feasible: np.ndarray
                          ) -> np.ndarray:
    """Weight of a city's vacancies in the job search from a residence (how far job information travels):
    exp(-minutes / ``job_information_minutes``) within commuting reach, 0 beyond it."""
    return np.exp(-commute_minutes / information_minutes) * commute_feasible


def search_weight(vacancies: Value, reach: Value) -> Value:
    """Relative chance that a searcher's sampled offer comes from a city: its vacancies x the reach. Kernel rule."""
    return vacancies * reach


def offer_value(net_income: Value, taste_factor: Value) -> Value:
    """What a searcher makes of an offer: the job's net income (:func:`job_income`) x a taste shock
    exp(job_taste_sd x Gumbel), which the caller draws and exponentiates. Kernel rule."""
    return net_income * taste_factor


def reservation_value(employed: Flag, current_income: Value, local_wage: Value, switch_premium: float,
                      reservation_share: float) -> Value:
    """The value an offer must beat: an employed worker's net income in its job x (1 + ``switch_premium``); an
    unemployed worker's ``reservation_share`` of the local wage for its skill. Kernel rule."""
    return select(employed, (1.0 + switch_premium) * current_income, reservation_share * local_wage)
