"""Every model parameter in one registry: meaning, unit, default, allowed range and source.

Policy levers are ordinary parameters with a ``lever`` group, so mechanisms read them
as data and a new policy never means editing the mechanisms' call sites. The registry
also drives validation (CLI, scenario files, the app and sweeps) and the ODD+D table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from model.choices import FundPayer, FundRewards, MarketAccess, Regime
from model.errors import ConfigError

from model.identity import CITIES, travel_minutes  # noqa: E402,F401  (CITIES re-exported: its home is model.identity)

# the commuting levers by city pair; their defaults are the 2019 network of model/data/travel.csv
COMMUTE_PARAMS: dict[tuple[str, str], str] = {("changsha", "zhuzhou"): "commute_minutes_cs_zz",
                                             ("changsha", "xiangtan"): "commute_minutes_cs_xt",
                                             ("zhuzhou", "xiangtan"): "commute_minutes_zz_xt"}
_RAIL_2019 = travel_minutes("rail_2019")


def travel_params(network: str) -> dict[str, float]:
    """The commuting levers set to a travel network of model/data/travel.csv (rail_2019, pre_rail, half_hour_circle)."""
    minutes = travel_minutes(network)
    return {name: minutes[pair] for pair, name in COMMUTE_PARAMS.items()}


@dataclass(frozen=True)
class Param:
    name: str
    default: Any
    lo: float | None
    hi: float | None
    unit: str
    en: str
    zh: str
    source: str
    lever: str | None = None  # policy group, None for structural/behavioural parameters
    kind: type = float
    choices: tuple[str, ...] = field(default=())
    choice_type: type[StrEnum] | None = None  # a categorical parameter's typed values (model.choices)

    def __post_init__(self) -> None:
        if self.choice_type is not None:  # the enumeration is the one list of choices; the default one of its members
            object.__setattr__(self, "choices", tuple(c.value for c in self.choice_type))
            object.__setattr__(self, "default", self.choice_type(self.default))

    def coerce(self, value: Any) -> Any:
        """Return ``value`` as this parameter's type, or raise ConfigError naming the field."""
        allowed = self.allowed()
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
                return value.lower() in ("true", "1", "yes")
            raise ConfigError(self.name, value, allowed)
        if self.kind is str:
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                raise ConfigError(self.name, value, allowed)
            return self.choice_type(value) if self.choice_type is not None else value
        try:
            if isinstance(value, bool):
                raise ValueError
            x = float(value)  # OverflowError for integers beyond a float's range (TOML allows any size)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(self.name, value, allowed) from None
        if not math.isfinite(x):  # nan, inf, 1e400: never a parameter value (int(inf) would overflow)
            raise ConfigError(self.name, value, allowed)
        if self.kind is int:
            if x != int(x):
                raise ConfigError(self.name, value, allowed)
            num: Any = int(x)
        else:
            num = x
        if (self.lo is not None and num < self.lo) or (self.hi is not None and num > self.hi):
            raise ConfigError(self.name, value, allowed)
        return num

    def allowed(self) -> str:
        if self.kind is bool:
            return "true or false"
        if self.kind is str:
            return "one of " + ", ".join(self.choices)
        kind = "an integer" if self.kind is int else "a finite number"
        return f"{kind} from {self.lo:g} to {self.hi:g} ({self.unit})"


_A = "assumption (free parameter)"
_FIT16 = ("refitted with the deciding city governments (issue 16) to the 2010-2019 record and the 2020 census (SMM "
          "point estimate of experiments/calibrations/hindcast.toml, 360 points x 2, validated on fresh seeds; "
          "docs/calibration.md)")
_NBS = "NBS Statistical Communiqué on 2019 National Economic and Social Development"
_PLAN = "CZT Regional Integration Development Plan Outline (2020), model/data/plan_facts_2019.csv"

PARAMS: tuple[Param, ...] = (
    # --- run settings
    Param("scale", 200, 1, 100000, "residents per worker agent", "Residents per worker agent", "每个劳动者主体代表的常住人口",
          "resolution setting", kind=int),
    Param("start_year", 2019, 2005, 2019, "year", "First simulated statistical year (2019; 2010 or 2005 for the hindcasts)",
          "起始年份", "base years with complete data: 2019 (yearbook, bulletin), 2010 (yearbook, 6th census) and 2005 "
          "(yearbook; residents between the 5th and 6th censuses)", kind=int),
    # --- 1. enclave parks 飞地园区
    Param("enclave_tax_share", 0.0, 0.0, 1.0, "share of local taxes", "Enclave tax share to the sponsor city",
          "飞地园区税收分成（派出地比例）",
          "2019 institutions: Hunan's 2015 pilot guidance names no ratio (DOMAIN.md); BTH 2015 rule is 0.5", lever="enclave"),
    Param("enclave_stat_share", 0.0, 0.0, 1.0, "share of value added", "Enclave GDP-statistics share to the sponsor",
          "飞地园区统计数据分享比例", "as enclave_tax_share", lever="enclave"),
    Param("enclave_duration_years", 3, 1, 30, "years", "Years a firm's taxes are shared after it arrives",
          "分成年限", "BTH 2015 relocation rule: 3 years (DOMAIN.md)", lever="enclave", kind=int),
    Param("enclave_cap_multiple", 1.0, 0.0, 10.0, "x pre-move annual local tax", "Cap on the sponsor's yearly receipt",
          "分成上限（迁出前年税额倍数）", "BTH 2015 rule: capped at the firm's taxes before moving (DOMAIN.md)", lever="enclave"),
    Param("enclave_payment_prob", 0.5, 0.0, 1.0, "probability per park-quarter", "Probability the agreed share is actually paid",
          "分成实际兑现概率", "fixed regime only (deciding regimes: the host decides, model/governance/); known "
          "failure: promised shares not always paid (DOMAIN.md); value: " + _A, lever="enclave"),
    Param("enclave_capacity_ha", 300.0, 0.0, 5000.0, "hectares", "Land of a hypothetical enclave park when activated",
          "新设飞地园区用地", "Jiuhua supplier park is 350.78 mu (23 ha); a co-built park of 300 ha: " + _A, lever="enclave"),
    # --- 2. talent mutual recognition 人才互认
    Param("talent_recognition", 0.0, 0.0, 1.0, "share of talent benefits portable", "Talent mutual recognition",
          "人才互认（待遇互通程度）", "2019 institutions: none; full recognition = 1 (Plan Outline 2020)", lever="talent"),
    Param("talent_subsidy_changsha", 8000.0, 0.0, 50000.0, "yuan per talent per year, first 2 years",
          "Changsha talent subsidy", "长沙人才补贴",
          "Changsha 2017 talent policy: 6,000-15,000 yuan/yr rent and living subsidy for 2 years to new graduates; blend: " + _A,
          lever="talent"),
    Param("talent_subsidy_periphery", 5000.0, 0.0, 50000.0, "yuan per talent per year, first 2 years",
          "Zhuzhou/Xiangtan talent subsidy", "株洲湘潭人才补贴", _A, lever="talent"),
    # --- 3. commuting 交通一体化
    Param("commute_minutes_cs_zz", _RAIL_2019["changsha", "zhuzhou"], 5.0, 240.0, "minutes door to door, one way", "Commute Changsha–Zhuzhou",
          "长株通勤时间", "model/data/travel.csv (post-rail 2019)", lever="commute"),
    Param("commute_minutes_cs_xt", _RAIL_2019["changsha", "xiangtan"], 5.0, 240.0, "minutes door to door, one way", "Commute Changsha–Xiangtan",
          "长潭通勤时间", "model/data/travel.csv (post-rail 2019)", lever="commute"),
    Param("commute_minutes_zz_xt", _RAIL_2019["zhuzhou", "xiangtan"], 5.0, 240.0, "minutes door to door, one way", "Commute Zhuzhou–Xiangtan",
          "株潭通勤时间", "model/data/travel.csv (post-rail 2019)", lever="commute"),
    Param("commute_fare_yuan", 20.0, 0.0, 200.0, "yuan per one-way trip", "Intercity fare", "城际通勤票价",
          "intercity rail second-class fare order of magnitude: " + _A, lever="commute"),
    Param("max_commute_minutes", 75.0, 10.0, 240.0, "minutes one way", "Longest commute anyone accepts",
          "最长可接受通勤时间", _A),
    # --- 4. hukou and public-service portability 户籍与公共服务
    Param("hukou_portability", 0.3, 0.0, 1.0, "share of public services open to non-hukou residents",
          "Public-service portability for ordinary workers", "公共服务可携带性（非户籍常住人口）", _A, lever="hukou"),
    Param("hukou_transfer_rate", 0.02, 0.0, 1.0, "probability per quarter after 2 years' residence",
          "Hukou transfer rate (ordinary workers)", "落户概率（普通劳动者）", _A, lever="hukou"),
    # --- 5. industrial division of labour 产业分工
    Param("division_guidance", 0.0, 0.0, 1.0, "strength (1 = 5% of value added as incentive)",
          "Industrial division guidance", "产业分工引导", "catalogue in model/data/division_catalogue.csv; strength: lever",
          lever="division"),
    # --- 6. strong capital 强省会
    Param("strong_capital_tilt", 0.6, 0.0, 1.0, "share of provincial investment to Changsha",
          "Strong-capital tilt", "强省会倾斜（省级投资投向长沙比例）", _A + "; near Changsha's share of CZT population",
          lever="strong_capital"),
    Param("changsha_land_bonus", 0.0, 0.0, 0.2, "extra growth of Changsha park land per year",
          "Extra industrial land quota for Changsha", "长沙新增工业用地指标倾斜", _A, lever="strong_capital"),
    Param("provincial_investment_share", 0.02, 0.0, 0.2, "share of CZT GDP per year",
          "Provincial investment pool", "省级投资规模", _A, lever="strong_capital"),
    # --- 7. green heart 生态绿心
    Param("green_heart_ban", 1.0, 0.0, 1.0, "share of green-heart land closed to industry",
          "Green-heart ban enforcement", "生态绿心禁止开发执行程度",
          "Hunan regulation on the CZT green heart (2013) in force in 2019", lever="green_heart"),
    # --- 8. protectionism 地方保护
    Param("subsidy_competition", 0.5, 0.0, 1.0, "intensity (1 = 10% of value added)",
          "Local protectionism / subsidy competition", "地方保护与招商补贴竞争强度",
          _A + "; the fixed regime's intensity, and every regime's 2019 starting point (deciding regimes then choose "
          "it each year, model/governance/)", lever="protectionism"),
    # --- 9. unified market access 市场一体化 (市场准入负面清单 / 资质互认)
    Param("licence_recognition", False, None, None, "on/off", "Mutual recognition of firms' licences and qualifications",
          "企业资质互认", "2019 institutions: each city licenses on its own; CZT Plan Outline 2020, investment-service "
          "section: joint review and mutual recognition of qualifications in investment and business registration",
          lever="market", kind=bool),
    Param("market_access_list", "separate", None, None, "regime", "Market-access negative list",
          "市场准入负面清单", "2019 institutions: approvals city by city ('separate'); CZT Plan Outline 2020, "
          "investment-service section: the three cities implement the market-access negative list jointly; 'aligned' "
          "(harmonised approvals) and 'unified' (one list and one approval for the cluster) are the steps towards it",
          lever="market", kind=str, choice_type=MarketAccess),
    # --- 10. supply chains 产业链配套 (model/supply.py)
    Param("purchasing_list", 0.0, 0.0, 1.0, "share of the inter-city sourcing barrier removed",
          "Mutual purchasing list of industrial goods", "工业品相互采购清单",
          "2019 institutions: none (0); the 2021 metropolitan-area essays propose a list of industrial goods the three "
          "cities buy from each other (工业品相互采购清单); 1 = suppliers in the other two cities weigh as if in the "
          "buyer's own city, distance aside", lever="supply_chains"),
    Param("cluster_sourcing_share", 0.4, 0.05, 0.95, "share of intermediate inputs",
          "Inputs bought inside the cluster (start year)", "中间投入本地配套率（城市群内）",
          "sets the outside suppliers' weight at the start. Bounded by model/data/supply_chains.csv: about half of "
          "Hunan's construction-machinery parts come from outside the province (Hunan government research centre, "
          "2021), so the cluster's own share is below one half; Zhuzhou's rail-car maker reports over 70 % 'local' "
          "supply (undefined); 0.4 for all sectors: " + _A),
    Param("supplier_distance_elasticity", 1.0, 0.0, 3.0, "dimensionless",
          "Distance elasticity of purchases between places", "采购距离弹性",
          "gravity distance elasticity of trade, mean about 0.9 in the meta-analysis of Disdier and Head (2008, Review "
          "of Economics and Statistics 90(1)); Head and Mayer (2014, Handbook of International Economics 4); 1.0 "
          "rounded; no estimate inside China was found (model/data/supply_chains.csv)"),
    Param("supplier_internal_km", 15.0, 1.0, 100.0, "km", "Typical buyer-supplier distance inside a city",
          "城市内部采购距离", _A + " (the distance decay is measured from it; Head and Mayer's internal distance "
          "0.67*sqrt(area/pi) of a 500-1000 km2 built-up area is 8-12 km)"),
    Param("city_border_factor", 0.5, 0.0, 1.0, "x purchases at the same distance",
          "Sourcing across a city boundary", "跨市采购壁垒（行政边界效应）",
          _A + " (home bias of administrative borders inside China: provincial borders cut trade far more, Poncet "
          "2005, Review of International Economics 13(3); 'self-protection' of the three cities, 2021 essays)"),
    Param("market_access_elasticity", 0.00062, 0.0, 0.5, "dimensionless",
          "Productivity elasticity to buyers' demand (market access)", "市场接近度弹性",
          _FIT16 + " (prior 0-0.5): the estimate sits at the lower bound and the accepted sample (mean 0.23, sd "
          "0.14) is the prior's, so the record does not identify it (issue 15's fit: 0.0022); wage equation of new economic geography, "
          "Hering and Poncet (2010, Review of Economics and Statistics 92(1)) find positive elasticities across 56 "
          "Chinese cities"),
    Param("supplier_access_elasticity", 0.05, 0.0, 0.5, "dimensionless",
          "Productivity elasticity to nearby suppliers (supplier access)", "供应商接近度弹性",
          "forward linkage of Krugman and Venables (1995); Redding and Venables (2004, Journal of International "
          "Economics 62) estimate supplier access beside market access; value: " + _A),
    # --- 11. knowledge 科技创新协同 (model/knowledge.py)
    Param("joint_innovation", 0.0, 0.0, 1.0, "share of the inter-city knowledge barrier removed",
          "Joint innovation (science and technology corridor)", "联合创新（科创走廊）",
          "2019 institutions: none (0); Plan Outline 2020 (国家自主创新示范区) and the 2021 essays (G4科创走廊: joint "
          "transformation of technology, shared benefits); 1 = another city's knowledge reaches as if at home, travel "
          "time aside", lever="knowledge"),
    Param("technology_transfer", 0.0, 0.0, 0.5, "share of the other cities' knowledge stock, regardless of distance",
          "Technology-market alliance", "技术交易市场联盟",
          "2019 institutions: none (0); Plan Outline 2020 (技术交易市场联盟); strength: lever", lever="knowledge"),
    Param("rd_depreciation", 0.15, 0.0, 0.5, "per year", "Depreciation of the R&D stock", "研发资本折旧率",
          "the conventional 15 % (Griliches; Hall 2007, NBER WP 13473, finds 0-50 % by method and industry)"),
    Param("knowledge_elasticity", 0.05, 0.0, 0.3, "dimensionless",
          "Productivity elasticity to accessible knowledge", "知识存量产出弹性",
          "output elasticity of R&D capital 0.01-0.25 in the survey of Hall, Mairesse and Mohnen (2010, Handbook of "
          "the Economics of Innovation 2), about 0.08 typical; 0.05 because human_capital_elasticity already carries "
          "part of it: " + _A),
    Param("knowledge_half_minutes", 45.0, 5.0, 600.0, "minutes door to door",
          "Travel time that halves knowledge diffusion", "知识溢出半衰通勤时间",
          _A + " (spillovers are localised within metropolitan areas: Jaffe, Trajtenberg and Henderson 1993, QJE 108; "
          "between countries they halve over about 1,200 km, Keller 2002, AER 92)"),
    Param("knowledge_border_factor", 0.5, 0.0, 1.0, "x diffusion at the same travel time",
          "Knowledge flows across a city boundary", "跨市知识流动壁垒", _A),
    # --- 12. inward investment 招商引资 (model/investment.py)
    Param("inward_investment_rate", 0.008, 0.0, 0.1, "establishments arriving per year, share of the mobile sectors'",
          "Firms arriving from outside the cluster", "外来投资企业进入率",
          "derived (model/data/inward_investment.csv): about 11,000 projects of investors from outside Hunan a year "
          "(5,537 with funds arrived in 2019 H1, Hunan Department of Commerce) and 230 new foreign-invested "
          "enterprises; CZT's share about 40 % (assumption; CZT and three southern cities took 56 % of domestic "
          "inflows in 2017) is ~4,400 a year, 1.7 % of the cluster's establishments; about half taken as new "
          "establishments (assumption)"),
    Param("industrial_transfer_rate", 0.0, 0.0, 0.1, "extra establishments per year, share of the manufacturing sectors'",
          "Industrial transfer from the Greater Bay Area", "承接粤港澳大湾区产业转移",
          "scenario input: 0 = inflows as in the 2010s; Guangdong supplies about 40 % of Hunan's domestic inflows "
          "and the Bay Area over 70 % of its foreign capital (model/data/inward_investment.csv); the 2021 essays "
          "name the transfer as a goal", lever="investment"),
    Param("joint_attraction", 0.0, 0.0, 1.0, "share of investment attraction run by one cluster agency",
          "Joint investment attraction", "三市联合招商",
          "2019 institutions: each city attracts on its own (0); Plan Outline 2020: joint investment attraction by "
          "the three cities; 1 = one agency, one offer, no bidding among the three", lever="investment"),
    Param("bidding_premium_share", 0.5, 0.0, 1.0, "share of a competitive offer",
          "Part of an incentive offer due to bidding among the cities", "竞价招商溢价比例",
          _A + " (offers to an investor courted by the three cities exceed what one agency would offer)"),
    # --- 14. governments that decide 地方政府决策与协调 (model/governance/)
    Param("government_regime", "compete", None, None, "regime", "How the city governments decide",
          "地方政府决策机制",
          "'fixed': the fixed rules of earlier versions (subsidy_competition, enclave_payment_prob, the talent-subsidy "
          "levers); 'compete': each city's best response to the other two (各自为政); 'provincial': the province "
          "chooses for the cluster and enforces enclave agreements (省级统筹; the 2008 blue book's two-tier "
          "coordination, the Plan Outline's 'three cities' responsibilities and goals not fully aligned')",
          lever="governance", kind=str, choice_type=Regime),
    Param("subsidy_cap", 1.0, 0.0, 1.0, "intensity (1 = 10% of value added)", "Cap on incentive offers",
          "招商优惠政策上限", "2019 institutions: no binding cap (1); the State Council's 2015 clean-up of local tax "
          "and fee preferences (国发〔2014〕62号, suspended by 国发〔2015〕25号) shows a cap is a real instrument",
          lever="governance"),
    Param("talent_subsidy_cap", 30000.0, 0.0, 50000.0, "yuan per talent per year, first 2 years",
          "Highest talent subsidy a city may choose", "人才补贴上限",
          _A + " (twice Changsha's 2017 top rate of 15,000 yuan a year for new graduates)", lever="governance"),
    Param("integration_fund_share", 0.0, 0.0, 0.2, "share of local revenue after sharing",
          "Integration fund", "区域一体化发展专项支持基金规模",
          "2019 institutions: none (0); planned in the 2021 metropolitan-area essays (区域一体化发展专项支持基金, "
          "利益共享和补偿机制); size: lever", lever="governance"),
    Param("fund_payer", "cities", None, None, "rule", "Who pays into the integration fund", "基金出资方",
          "'cities': each city in proportion to its revenue; 'province': out of the provincial investment pool; "
          "'changsha': the capital alone (长沙反哺); lever", lever="governance", kind=str, choice_type=FundPayer),
    Param("fund_rewards", "cluster_total", None, None, "rule", "What the integration fund rewards", "基金奖励依据",
          "'cluster_total': paid out by a fixed key (start-year residents), so a city's payout follows the cluster's "
          "revenue, not its own; 'own_gdp': by credited GDP; 'cooperation': by taxes shared through enclave "
          "agreements, paid and received; lever", lever="governance", kind=str, choice_type=FundRewards),
    Param("gdp_weight", 0.46, 0.0, 1.0, "share of the objective",
          "Weight of GDP growth against revenue growth in a city government's objective", "干部考核中GDP权重",
          "cadre evaluation weighs GDP growth first: Li and Zhou (2005, Journal of Public Economics 89) find "
          "provincial leaders' promotion rises with relative GDP growth; fiscal revenue matters to local "
          "governments (Jin, Qian and Weingast 2005, Journal of Public Economics 89); the 2013 Organization "
          "Department notice (不简单以GDP论英雄) widened the criteria; " + _FIT16 + " (prior 0.3-0.9): accepted-sample "
          "mean 0.57 (sd 0.18), the prior's, so the record does not identify it; the SMM point 0.46"),
    Param("government_horizon_years", 5.0, 1.0, 20.0, "years", "Horizon of a government's decisions",
          "地方政府决策视野", "a term of office of five years (任期); " + _A),
    Param("outlay_budget_share", 0.3, 0.0, 1.0, "share of local revenue after sharing",
          "Most of its revenue a government spends on incentives, talent subsidies and land", "招商与人才支出预算上限",
          _A),
    Param("policy_adjustment", 0.5, 0.05, 1.0, "share of the gap per year",
          "How far a government moves towards its best response in a year", "政策调整速度",
          _A + " (policy inertia: budgets and schemes change by steps; 1 = myopic best response, with which the "
          "talent subsidies of the three cities cycle from year to year)"),
    Param("land_development_cost_yuan_per_ha", 3.0e6, 0.0, 5.0e7, "yuan per hectare",
          "Public cost of readying park land", "园区土地一级开发成本",
          _A + " (of order 200,000 yuan a mu for site levelling and utilities, 七通一平; 15 mu = 1 ha)"),
    Param("land_release_max", 0.05, 0.0, 0.5, "extra growth of park land per year", "Largest extra land release a year",
          "年度新增园区用地上限", _A + " (beyond park_land_growth's quota)"),
    # --- 13. training 职业技能培训 (model/training.py)
    Param("training_changsha", 0.0, 0.0, 0.05, "share of ordinary residents upgraded per year",
          "Training programme, Changsha", "长沙职业技能培训", "2019 institutions: 0 beyond the trend; lever",
          lever="training"),
    Param("training_zhuzhou", 0.0, 0.0, 0.05, "share of ordinary residents upgraded per year",
          "Training programme, Zhuzhou", "株洲职业技能培训", "2019 institutions: 0 beyond the trend; lever",
          lever="training"),
    Param("training_xiangtan", 0.0, 0.0, 0.05, "share of ordinary residents upgraded per year",
          "Training programme, Xiangtan", "湘潭职业技能培训", "2019 institutions: 0 beyond the trend; lever",
          lever="training"),
    Param("training_cost_yuan", 30000.0, 0.0, 500000.0, "yuan per worker upgraded to talent",
          "Public cost of upgrading a worker", "培养一名技能人才的财政成本",
          _A + " (about two years of higher vocational schooling; the national skill-certificate subsidies of "
          "1,000-2,000 yuan per certificate, and about 840-1,250 yuan of fund spending per training in the 2019-21 "
          "skills campaign, are lower bounds for a shorter course: model/data/training.csv)"),
    # --- production and agglomeration (behavioural)
    Param("labour_elasticity", 0.6, 0.3, 0.9, "dimensionless", "Output elasticity of labour (alpha)", "劳动产出弹性",
          "the registry's 0.6 is an " + _A + "; the record prices it lower: alpha is the firm's wage bill over value "
          "added, and Hunan's income-approach accounts give labour 0.42 of non-farm value added in 2011 (industry 0.34, "
          "services 0.51; 0.464 of GRP with farm income in 2007, NBS China Statistical Yearbook 2009 table 2-16), 0.44-0.46 "
          "with the three cities' sector mixes (docs/data-hunt/i25-labour-share/REPORT.md); the 2005 fit's round 5 "
          "estimates 0.47 (sd 0.05) on that prior (docs/record.md)"),
    Param("talent_efficiency", 2.0, 1.0, 5.0, "ordinary-worker equivalents", "Efficiency of a talent worker",
          "人才相对效率", _A),
    Param("talent_wage_premium", 1.8, 1.0, 5.0, "x ordinary wage", "Talent wage premium", "人才工资溢价", _A),
    Param("marshall_elasticity", 0.03, 0.0, 0.3, "dimensionless", "Same-sector agglomeration elasticity",
          "同业集聚弹性", "Rosenthal & Strange (2004) survey range 0.03-0.08"),
    Param("jacobs_elasticity", 0.00032, 0.0, 0.3, "dimensionless", "City-size agglomeration elasticity", "城市规模集聚弹性",
          _FIT16 + "; accepted-sample mean 0.059 (sd 0.038), weakly identified; issue 15's fit 0.0084, issue 14's "
          "without the channels 0.113; Rosenthal & Strange (2004) survey range 0.03-0.08"),
    Param("human_capital_elasticity", 0.1, 0.0, 1.0, "dimensionless", "Productivity elasticity to the city's talent share",
          "人力资本外部性弹性", "Moretti (2004) human-capital spillovers; value: " + _A),
    Param("national_growth_gap", 0.0, -0.2, 0.2, "per year",
          "National real growth minus its 2011-2019 mean (7.3%), added to tfp_growth", "全国经济增速偏离（较2011-2019年均值）",
          "NBS real GDP growth (model/data/national_gdp.csv); 0 in every scenario but the as-happened one, whose "
          "timeline sets each year's gap (2020: 2.2% - 7.3%)"),
    Param("core_productivity_shock", 0.0, -0.5, 1.0, "share of productivity",
          "Experimental shock: Changsha's productivity raised by this share from the start", "长沙生产率冲击（实验）",
          "not a behaviour: the treatment of the causal siphon/spillover measure (model/spillover.py, python -m "
          "experiments spillover), which compares runs with and without it under common random numbers; 0 in every "
          "scenario"),
    Param("productivity_catch_up", 0.00021, 0.0, 0.3, "per year", "Convergence of sector productivity towards Changsha's",
          "技术追赶速度", _FIT16 + "; accepted-sample mean 0.014 (sd 0.010); issue 15's fit 0.0011, issue 14's 0.0129, "
          "before inward investment held the periphery's shares; Barro & Sala-i-Martin (1992) about 2% a year"),
    Param("infrastructure_elasticity", 0.08, 0.0, 0.5, "dimensionless", "Productivity elasticity to public capital",
          "基础设施产出弹性", "Bom & Ligthart (2014) meta-analysis, about 0.08"),
    Param("tfp_growth", 0.045, -0.05, 0.15, "per year", "Exogenous productivity growth", "外生全要素生产率增长",
          _A + "; gives 2019-2025 growth near the plan's 6-8%"),
    Param("wage_adjustment", 0.15, 0.0, 2.0, "per quarter per unit of unemployment above its 2019 rate",
          "Wage response to labour-market tightness", "工资对劳动力市场松紧的反应", _A),
    Param("hire_adjustment", 0.25, 0.01, 1.0, "share of the employment gap closed per quarter",
          "Speed of hiring and firing", "雇佣调整速度", _A),
    # --- land and housing
    Param("rent_congestion", 1.0, 0.0, 10.0, "dimensionless", "Rent rise as a park fills", "园区拥挤租金系数", _A),
    Param("rent_adjustment", 0.25, 0.01, 1.0, "share of the gap closed per quarter",
          "Speed at which park rents follow occupancy", "园区租金调整速度",
          _A + "; industrial land leases reprice about once a year"),
    Param("park_land_growth", 0.03, 0.0, 0.2, "per year", "Growth of industrial park land",
          "园区用地年增长", _A + " (annual construction-land quotas)"),
    Param("congestion_cost_share", 0.0996, 0.0, 0.5, "share of value added per unit of housing-cost index above 2019",
          "Firms' property costs rising with crowding", "企业拥挤成本",
          _FIT16 + " within 0-0.1, an order of magnitude of firms' property (rent and land) costs in value added; the "
          "estimate sits at the upper bound (as issue 14's and 15's, 0.0992), accepted-sample mean 0.049 "
          "(sd 0.030): not identified by the record"),
    Param("housing_elasticity", 0.77, 0.0, 5.0, "elasticity to population", "Housing cost elasticity to population",
          "住房成本对人口弹性",
          "derived: Changsha 2010-2019, real new-home price (NBS 70-city index: Dec 2015 = 113.3 on 2010, Dec 2019 = 146.3 "
          "on the 2015 average; deflated by the national GDP deflator, x1.31) rose 27% while residents (census path) rose "
          "36%: ln 1.266 / ln 1.361 = 0.77; model/data/housing.csv"),
    Param("changsha_housing_regulation", 0.5, 0.0, 1.0, "share of the crowding-driven rise held back",
          "Changsha housing-price regulation (purchase limits, price caps)", "长沙房地产调控（限购限价）",
          "Changsha's purchase limits of 18 March 2017 and price caps (June 2017, new homes not above the October 2016 "
          "level): year-on-year new-home price growth fell from 19.6% (March 2017) to 6.1% (December 2017), NBS 70-city "
          "index; the share held back: " + _A, lever="housing"),
    Param("housing_cost_changsha", 12000.0, 0.0, 100000.0, "yuan per resident worker per year", "Housing cost Changsha 2019",
          "长沙住房成本", _A + " (order of magnitude of rents)"),
    Param("housing_cost_periphery", 7000.0, 0.0, 100000.0, "yuan per resident worker per year",
          "Housing cost Zhuzhou/Xiangtan 2019", "株洲湘潭住房成本", _A),
    Param("public_service_value", 12000.0, 0.0, 100000.0, "yuan-equivalent per resident worker per year",
          "Value of full access to local public services", "公共服务价值", _A),
    # --- location choice of people
    Param("residence_review_rate_local", 0.025, 0.0, 1.0, "per quarter",
          "Hazard of reconsidering where to live: residents with local hukou", "本地户籍居民再选择居住地概率",
          "moving house about 10% a year (no Chinese annual rate found: US CPS 11.6% a year adjusted down for China's "
          "home ownership, an assumption); model/data/mobility_rates.csv"),
    Param("residence_review_rate_migrant", 0.05, 0.0, 1.0, "per quarter",
          "Hazard of reconsidering where to live: residents without local hukou", "非本地户籍居民再选择居住地概率",
          "NHFPC Migrant Population Development Report 2015: 55% of the floating population had stayed over 3 years "
          "where they lived, about 5% a quarter leaving; model/data/mobility_rates.csv"),
    Param("migration_logit_scale", 22.95, 0.1, 100.0, "per log-point of consumption", "Sensitivity of residence choice",
          "居住选择敏感度", _FIT16 + " (prior 2-50; accepted-sample mean 24, sd 13; issue 15's fit 42.7, issue 14's "
          "49.4: with the governments' talent subsidies in the hindcast from 2017 the census share of Changsha asks "
          "for a softer response); Tombe & Zhu (2019) elasticities of that order"),
    Param("moving_cost", 0.25, 0.0, 5.0, "log-points of consumption", "Cost of moving between cities", "迁移成本",
          _A + "; internal migration costs in China are large (Tombe & Zhu 2019)"),
    Param("talent_benefit_loss", 0.25, 0.0, 5.0, "log-points of consumption",
          "Talent benefits lost when crossing a city line (without recognition)", "跨市人才待遇损失", _A),
    Param("cross_city_job_friction", 0.15, 0.0, 1.0, "share of the wage per year",
          "Benefits lost by working in another city", "跨市就业福利损失", _A, lever="hukou"),
    Param("reservation_wage_share", 0.8, 0.0, 1.5, "x local market wage", "Reservation wage of the unemployed",
          "失业者保留工资", _A),
    Param("job_search_rate_ordinary", 0.10, 0.0, 1.0, "per quarter", "Hazard of an employed ordinary worker looking "
          "for another job", "普通劳动者在职求职概率", "migrant workers changed jobs at 9-12% a quarter (Tsinghua "
          "Sociology 2012); vocational graduates 11.5% (MyCOS 2019); model/data/mobility_rates.csv"),
    Param("job_search_rate_talent", 0.06, 0.0, 1.0, "per quarter", "Hazard of an employed talent worker looking for "
          "another job", "人才在职求职概率", "bachelor's graduates about 7% a quarter in their first 3 years (MyCOS "
          "2019), an upper bound for all talent; model/data/mobility_rates.csv"),
    Param("job_offers_sampled", 4, 1, 20, "vacancies per searcher per quarter", "Vacancies a searcher compares",
          "求职者比较的岗位数", _A, kind=int),
    Param("separation_rate", 0.005, 0.0, 0.5, "per quarter", "Exogenous job separation rate", "外生离职率",
          "set so that the start-year unemployment after the labour-market burn-in is near the 2019 surveyed rate "
          "(5.2%, " + _NBS + ") with the observed job-search hazards; layoffs add to it"),
    Param("value_of_time_share", 0.5, 0.0, 2.0, "x hourly wage", "Value of commuting time", "通勤时间价值",
          "transport appraisal convention: half the wage rate"),
    # --- demography and outside flows
    Param("employed_share", 0.553, 0.3, 0.8, "employed persons per resident", "Employed share of residents",
          "就业人口占常住人口比例", _NBS + ": 774.71 million employed / 1,400.05 million residents"),
    Param("unemployment_rate_0", 0.052, 0.0, 0.3, "share of labour force", "Initial unemployment rate", "初始失业率",
          _NBS + ": urban surveyed unemployment 5.2% at end-2019"),
    Param("net_in_migration_10k", 20.5, 0.0, 200.0, "10k persons per year", "Net in-migration to CZT in 2019",
          "净迁入人口", _PLAN + ": resident growth 26.25 minus natural growth 5.71 (the cities' 2019 rates, "
          "model/data/natural_growth.csv, times their 2019 residents 839.45, 402.08 and 286.5)"),
    Param("in_migration_elasticity", 1.0, 0.0, 5.0, "elasticity to the CZT real wage", "In-migration response to wages",
          "迁入对工资弹性", _A),
    Param("leave_rate_unemployed", 0.04, 0.0, 1.0, "per quarter", "Unemployed leaving the cluster", "失业者离开城市群概率", _A),
    Param("talent_share_of_entrants", 0.35, 0.0, 1.0, "share", "Talent share of new labour-market entrants",
          "新进入劳动者中人才比例", _A + "; higher-education enrolment in Hunan near half of the cohort"),
    # --- firms
    Param("firm_size_mean", 30.0, 2.0, 1000.0, "employees per firm", "Mean firm employment", "企业平均就业人数",
          _A + " (establishment size order of magnitude)"),
    Param("firm_size_sigma", 1.0, 0.0, 3.0, "log-points", "Dispersion of firm size", "企业规模离散度", _A),
    Param("location_review_rate", 0.0025, 0.0, 1.0, "share of establishments per quarter",
          "Establishments reviewing their location", "企业区位再评估比例",
          "bounded by published rates of enterprise relocation: at most 1% a year of establishments can move (every "
          "reviewer moving). Qichacha (May 2023): about 257,000 registered relocations across regions since 2018 "
          "(~51,000 a year, of order 0.1% of enterprises; 84,000 across provinces); Tang, Li, Ni & Yuan (2020, China "
          "Economic Review 64) report a 3.2% firm migration rate at a finer spatial unit; model/data/firm_dynamics.csv"),
    Param("location_logit_scale", 45.0, 0.1, 100.0, "per unit of relative annual profit",
          "Sensitivity of relocation and branching decisions", "企业迁移与设分支决策敏感度",
          "fitted to the 2010-2019 hindcast in an earlier calibration (commit 1099b81, 90% interval 22-57; not refitted "
          "since firms' relocation was bounded by location_review_rate)"),
    Param("entry_logit_scale", 0.243, 0.1, 100.0, "per unit of relative annual profit",
          "Sensitivity of new firms' city choice", "新企业选址敏感度",
          _FIT16 + " (prior 0.2-10, near its lower bound; issue 15's fit 0.243); accepted-sample mean 4.0 (sd 2.5)"),
    Param("relocation_cost", 3.0, 0.0, 10.0, "x annual profit", "Cost of relocating a firm", "企业整体迁移成本", _A),
    Param("branch_cost", 2.5, 0.0, 10.0, "x annual profit of the branch", "Cost of opening a production branch",
          "设立生产分支成本", _A),
    Param("licence_cost_cut", 0.3, 0.0, 1.0, "share of the branch cost", "Branch cost saved by licence recognition",
          "资质互认节省的设分支成本", _A + " (licensing and re-qualification in another city as a share of setting up)"),
    Param("negative_list_cost_cut", 0.2, 0.0, 1.0, "share of the relocation cost",
          "Relocation cost saved by one cluster negative list ('aligned' saves half)", "统一负面清单节省的迁移成本",
          _A + " (approvals and re-registration as a share of moving)"),
    Param("branch_share", 0.5, 0.05, 0.95, "share of the firm's production", "Production share moved to a branch",
          "分支转移的生产比例", _A),
    Param("firm_exit_rate", 0.015, 0.0, 0.5, "per quarter", "Base firm exit hazard", "企业基础退出率", _A),
    Param("profit_horizon_years", 5.0, 1.0, 30.0, "years", "Horizon of location decisions", "区位决策视野", _A),
    Param("local_tax_rate", 0.0752, 0.0, 0.5, "share of value added", "Local taxes on value added",
          "地方税收占增加值比例", _PLAN + ": local general budget revenue 1,266.61 / GDP 16,835 (100 million yuan)"),
    # --- behavioural constants of the mechanisms (one home: no literal in the code)
    Param("burn_in_quarters", 12, 0, 40, "quarters", "Labour-market warm-up before the start year",
          "起始年前劳动力市场预热期", "calibration setting: commuting flows reach their steady state within it", kind=int),
    Param("death_rate", 0.00714, 0.0, 0.05, "per year", "Crude death rate", "粗死亡率", _NBS + ": 7.14 per mille"),
    Param("outside_hukou_share", 0.1, 0.0, 0.9, "share of residents", "Residents with hukou outside the cluster at start",
          "起始时户籍在城市群外的常住人口比例", _A + " (migrants from the rest of Hunan)"),
    Param("talent_subsidy_quarters", 8, 1, 40, "quarters", "Quarters a talent subsidy is paid after arrival",
          "人才补贴发放季度数", "Changsha 2017 talent policy: rent and living subsidies for 2 years to new graduates",
          kind=int),
    Param("subsidy_horizon_quarters", 20.0, 1.0, 80.0, "quarters",
          "Horizon over which a worker spreads a time-limited subsidy's value", "补贴价值摊销期", _A),
    Param("talent_hukou_transfer_multiple", 5.0, 1.0, 20.0, "x ordinary workers' rate",
          "Talent's hukou transfer rate relative to ordinary workers'", "人才落户概率倍数",
          _A + " (talent settlement schemes ease hukou transfer)"),
    Param("unemployed_income_share", 0.4, 0.0, 1.0, "x local wage", "Income of an unemployed resident",
          "失业者收入（占当地工资）", _A + " (benefits, informal work)"),
    Param("job_taste_sd", 0.05, 0.0, 1.0, "log-points", "Idiosyncratic job taste", "岗位偏好离散度", _A),
    Param("job_information_minutes", 4.04, 1.0, 240.0, "minutes", "Distance decay of job information",
          "岗位信息距离衰减", _FIT16 + ": a vacancy an extra 4 minutes away is seen e-fold less (prior 4-20, near its "
          "lower bound; issue 15's fit 4.27); accepted-sample mean 12.4 (sd 4.8); cross-city commuting in CZT is small (rail carries at most 0.1% of residents as commuters, "
          "model/data/mobility_rates.csv)"),
    Param("job_switch_premium", 0.05, 0.0, 1.0, "share of the current job's value",
          "Gain an employed searcher needs to switch jobs", "在职换工作所需收益", _A),
    Param("talent_share_cap", 0.9, 0.1, 1.0, "share of a firm's workforce", "Highest talent share a firm targets",
          "企业目标人才比例上限", _A),
    Param("wage_offer_step", 0.005, 0.0, 0.1, "share per quarter", "Wage-offer change of a firm short of or above staff",
          "企业工资报价调整步长", _A),
    Param("wage_offer_min", 0.8, 0.1, 1.0, "x city market wage", "Lowest wage offer", "企业工资报价下限", _A),
    Param("wage_offer_max", 1.25, 1.0, 5.0, "x city market wage", "Highest wage offer", "企业工资报价上限", _A),
    Param("wage_change_cap", 0.05, 0.0, 1.0, "log-points per quarter", "Largest quarterly move of the wage curve",
          "季度工资变动上限", _A),
    Param("min_stay_quarters", 8, 0, 40, "quarters", "Quarters before an establishment reviews its location",
          "企业区位再评估前最短停留期", _A, kind=int),
    Param("park_focus_bonus", 0.03, 0.0, 0.5, "share of unit cost", "Cost advantage of a park focused on the sector",
          "园区主导产业成本优势", _A),
    Param("park_sponsor_bonus", 0.05, 0.0, 0.5, "share of unit cost",
          "Cost advantage of an enclave park one's own city sponsors", "本市派出飞地园区成本优势", _A),
    Param("sponsor_relief", 0.5, 0.0, 1.0, "share of the cost of leaving per unit of kept tax share",
          "Help a sponsor that keeps a tax share gives its leaving firms", "派出地对迁出企业的支持", _A),
    Param("loss_exit_multiple", 2.0, 1.0, 10.0, "x base exit hazard", "Exit hazard of loss-making establishments",
          "亏损企业退出概率倍数", _A),
    Param("entrant_productivity_sd", 0.1, 0.0, 1.0, "log-points", "Productivity noise of an entrant over its model",
          "新进入企业生产率离散度", _A),
    Param("division_incentive_scale", 0.05, 0.0, 0.5, "share of value added at guidance 1",
          "Incentive of full division guidance", "产业分工引导激励规模", _A + " (the lever's unit: 1 = 5% of value added)"),
    Param("competition_incentive_scale", 0.10, 0.0, 0.5, "share of value added at competition 1",
          "Incentive of full subsidy competition", "招商补贴竞争激励规模",
          "the registry's 0.10 is an " + _A + " (the lever's unit: 1 = 10% of value added); Zhuzhou's and Xiangtan's "
          "investment-promotion rules refund a new project's city-level local taxes for 3 years (half for 2 more), about "
          "3-8 % of value added a year with local revenue at 7.5 % of GDP (docs/data-hunt/i25-labour-share/REPORT.md); "
          "the 2005 fit's round 5 estimates 0.066 (sd 0.018) on 0.03-0.10 (docs/record.md)"),
    Param("new_arrival_quarters", 12, 1, 40, "quarters", "Quarters an arrival receives competition incentives",
          "新落户企业享受招商补贴季度数", _A + " (three-year preferential terms)", kind=int),
    Param("public_capital_share", 0.3, 0.0, 1.0, "share of public spending", "Public spending on public capital",
          "公共支出中基础设施投资比例", _A + "; the rest goes to services"),
    Param("capital_depreciation", 0.05, 0.0, 0.3, "per year", "Depreciation of public capital", "公共资本折旧率", _A),
    Param("fiscal_strength_min", 0.5, 0.0, 1.0, "x cluster mean", "Floor of fiscal strength in incentives",
          "财力系数下限", _A),
    Param("fiscal_strength_max", 1.5, 1.0, 10.0, "x cluster mean", "Ceiling of fiscal strength in incentives",
          "财力系数上限", _A),
    Param("office_rent_multiple", 15.0, 1.0, 100.0, "x industrial land rent per m2", "Office rent for services",
          "写字楼租金倍数", _A),
    Param("park_expansion_min_ha", 20.0, 0.0, 500.0, "hectares", "Expansion land of a park beyond its 2019 use",
          "园区2019年可扩展用地下限", _A),
)

BY_NAME: dict[str, Param] = {p.name: p for p in PARAMS}


@dataclass(frozen=True)
class LeverGroup:
    """A policy instrument's group of levers: its titles in the app (``en``, ``zh``) and in the ODD (``odd``)."""

    key: str
    en: str
    zh: str
    odd: str


GROUPS: dict[str, LeverGroup] = {g.key: g for g in (
    LeverGroup("enclave", "Enclave parks", "飞地园区",
               "Lever: enclave parks with tax and statistics sharing (飞地园区税收与统计分成)"),
    LeverGroup("talent", "Talent mutual recognition", "人才互认", "Lever: talent mutual recognition and subsidies (人才互认)"),
    LeverGroup("commute", "Commuting", "交通一体化", "Lever: intercity commuting (交通一体化)"),
    LeverGroup("hukou", "Hukou and public services", "户籍与公共服务",
               "Lever: hukou and public-service portability (户籍与公共服务)"),
    LeverGroup("division", "Industrial division of labour", "产业分工", "Lever: industrial division of labour (产业分工)"),
    LeverGroup("strong_capital", "Strong capital", "强省会", "Lever: strong-capital strategy (强省会)"),
    LeverGroup("green_heart", "Green heart", "生态绿心", "Lever: green heart (生态绿心)"),
    LeverGroup("protectionism", "Local protectionism", "地方保护", "Lever: local protectionism (地方保护)"),
    LeverGroup("housing", "Housing regulation", "房地产调控",
               "Lever: Changsha's housing-price regulation, purchase limits and price caps (房地产调控、限购限价)"),
    LeverGroup("market", "Unified market access", "市场一体化",
               "Lever: unified market access, negative list and licence recognition (市场准入负面清单、资质互认)"),
    LeverGroup("supply_chains", "Supply chains", "产业链配套",
               "Lever: mutual purchasing list between the three cities (工业品相互采购清单)"),
    LeverGroup("knowledge", "Innovation corridor", "科创走廊",
               "Lever: joint innovation and technology transfer (联合创新、技术交易市场联盟)"),
    LeverGroup("investment", "Investment attraction", "招商引资",
               "Lever: joint investment attraction and industrial transfer (三市联合招商、承接产业转移)"),
    LeverGroup("training", "Training", "职业技能培训",
               "Lever: training programmes per city (职业技能培训)"),
    LeverGroup("governance", "Governments and coordination", "政府决策与协调",
               "Lever: how the city governments decide, caps, and the integration fund (地方政府决策、省级统筹、一体化基金)"),
)}
LEVER_GROUPS: tuple[str, ...] = tuple(dict.fromkeys(p.lever for p in PARAMS if p.lever))


def check_groups(params: tuple[Param, ...]) -> None:
    """Every lever's group has its titles in GROUPS: no silent fallback to a raw key in the app or the ODD."""
    untitled = sorted({p.lever for p in params if p.lever and p.lever not in GROUPS})
    if untitled:
        raise ImportError(f"model/params.py: lever group(s) {untitled} have no LeverGroup entry in GROUPS")


check_groups(PARAMS)


def defaults() -> dict[str, Any]:
    return {p.name: p.default for p in PARAMS}


def resolve(overrides: dict[str, Any] | None = None, base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then ``base``, then ``overrides``, each value validated; unknown names are errors."""
    out = defaults()
    for layer in (base or {}), (overrides or {}):
        for name, value in layer.items():
            if name not in BY_NAME:
                raise ConfigError(name, value, "a known parameter (python -m experiments params lists them)",
                                  kind="unknown parameter")
            out[name] = BY_NAME[name].coerce(value)
    return out
