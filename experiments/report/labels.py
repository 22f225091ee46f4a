"""Figure and table labels in English and Chinese (one dictionary, so both languages say the same thing)."""

from __future__ import annotations

from model.identity import CITIES, CITY_ZH, CORE_CITY, PERIPHERY_CITIES

# city names: the data's key capitalised in English, the data's Chinese name (model/data/cities_2019.csv)
CITY = {"en": {c: c.capitalize() for c in CITIES}, "zh": dict(CITY_ZH)}
CORE_EN = CITY["en"][CORE_CITY]
PERIPHERY_EN = tuple(CITY["en"][c] for c in PERIPHERY_CITIES)
VERDICT = {"en": {"siphon": "siphon", "neutral": "neutral", "spillover": "spillover", "undetermined": "undetermined"},
           "zh": {"siphon": "虹吸", "neutral": "中性", "spillover": "溢出", "undetermined": "未定"}}
# the outcomes of the answers over the posterior (experiments/posterior.py ``outcomes``): "{city}_{measure}", the
# measure's name ending in its unit; "core" is the core city
MEASURE = {"en": {"gdp_share_pp": "GDP share", "gdp_100m_yuan": "GDP", "residents_10k": "residents"},
           "zh": {"gdp_share_pp": "GDP占比", "gdp_100m_yuan": "GDP", "residents_10k": "常住人口"}}
UNIT = {"en": {"gdp_share_pp": "pp", "gdp_100m_yuan": "100m yuan", "residents_10k": "10k persons"},
        "zh": {"gdp_share_pp": "百分点", "gdp_100m_yuan": "亿元", "residents_10k": "万人"}}
# the channels of model/spillover.py CHANNELS
CHANNEL = {"en": {"commuting": "commuting", "migration": "migration", "firm_moves": "firm moves",
                  "firm_entry": "firm entry", "supply_chains": "supply chains", "knowledge": "knowledge",
                  "incentive_race": "incentive race"},
           "zh": {"commuting": "跨市通勤", "migration": "居住迁移", "firm_moves": "企业迁移与分支",
                  "firm_entry": "新企业选址", "supply_chains": "供应链", "knowledge": "知识扩散与技术追赶",
                  "incentive_race": "招商补贴竞争"}}
# column heads of the posterior-study and spillover tables (the Chinese ones hold no English word but GDP)
HEAD = {
    "en": {"scenario": "Scenario", "lever": "Lever scenario", "outcome": "Outcome", "unit": "Unit",
           "median": "Median", "q05": "90 % interval, low", "q95": "90 % interval, high",
           "interval": "90 % interval", "parameter_band": "Parameter band (width)", "seed_band": "Seed band (width)",
           "param_lo": "Parameter band, low", "param_hi": "Parameter band, high", "seed_lo": "Seed band, low",
           "seed_hi": "Seed band, high", "contrast": "Lever minus baseline, median", "p_raises": "P(raises)",
           "draws": "Draws", "pairs": "Seed pairs", "city": "City", "elasticity": "Elasticity",
           "low": "90 % interval, low", "high": "90 % interval, high", "call": "Verdict",
           "p_siphon": "P(siphon)", "p_spillover": "P(spillover)", "drivers": "Turns most on (Spearman)",
           "channel": "Channel", "contribution": "Contribution", "elasticity_closed": "Elasticity, channel closed"},
    "zh": {"scenario": "情景", "lever": "政策情景", "outcome": "指标", "unit": "单位",
           "median": "中位数", "q05": "90%区间下限", "q95": "90%区间上限",
           "interval": "90%区间", "parameter_band": "参数不确定性区间宽度", "seed_band": "随机种子区间宽度",
           "param_lo": "参数不确定性区间下限", "param_hi": "参数不确定性区间上限", "seed_lo": "随机种子区间下限",
           "seed_hi": "随机种子区间上限", "contrast": "与基准之差中位数", "p_raises": "提高概率",
           "draws": "后验抽样数", "pairs": "种子对数", "city": "城市", "elasticity": "弹性",
           "low": "90%区间下限", "high": "90%区间上限", "call": "判定",
           "p_siphon": "虹吸概率", "p_spillover": "溢出概率", "drivers": "主要影响参数（斯皮尔曼秩相关）",
           "channel": "渠道", "contribution": "贡献", "elasticity_closed": "关闭该渠道后的弹性"},
}
TEXT = {
    "en": {
        "year": "Year",
        "gdp_share": "GDP share (%)",
        "share_change": "Change in GDP share, first to last year (pp)",
        "share_since": "Change in GDP share since the first year (pp)",
        "verdict_count": "Runs",
        "theta": "θ (periphery-on-core growth coefficient)",
        "theta_runs": "mean over replications, 95% t-interval",
        "theta_pooled": "pooled regression, 95% CI (HC1)",
        "mean_ci": "mean, 95% t-interval over replications",
        "band": "95% interval of the mean",
        "sensitivity": "Sensitivity index",
        "noise": "noise share",
        "all_runs": "all runs",
        "interval90": "90 % interval (draws × seeds)",
        "param_band": "parameter band (posterior draws)",
        "seed_band": "seed band (model noise)",
        "per_draw": "each draw: mean over seeds",
        "p_raises_note": "number: P(raises), the share of draws whose mean contrast over seeds is > 0",
        "lever_minus_base": "lever minus baseline",
        "in_year": "in {year}",
        "elasticity": "Elasticity of GDP to {core}'s",
        "contribution": "Contribution to the elasticity (open − closed)",
        "verdict_band": "grey band: ±{thr:g} (the call's threshold)",
        "over_pairs": "90 % interval over seed pairs",
        "over_draws": "90 % interval over draws; dots: each draw",
    },
    "zh": {
        "year": "年份",
        "gdp_share": "GDP占比（%）",
        "share_change": "GDP占比变化，首年至末年（百分点）",
        "share_since": "GDP占比相对首年的变化（百分点）",
        "verdict_count": "模拟次数",
        "theta": "θ（外围对核心增长系数）",
        "theta_runs": "重复模拟均值，95% t区间",
        "theta_pooled": "合并回归，95%置信区间（HC1）",
        "mean_ci": "均值，重复模拟95% t区间",
        "band": "均值的95%区间",
        "sensitivity": "敏感性指数",
        "noise": "噪声占比",
        "all_runs": "全部模拟",
        "interval90": "90%区间（抽样 × 种子）",
        "param_band": "参数不确定性区间（后验抽样）",
        "seed_band": "随机种子区间（模型随机性）",
        "per_draw": "各抽样：种子均值",
        "p_raises_note": "数字：提高概率，即种子均值之差大于0的抽样占比",
        "lever_minus_base": "政策情景减基准",
        "in_year": "{year}年",
        "elasticity": "GDP对{core}GDP的弹性",
        "contribution": "对弹性的贡献（开启 − 关闭）",
        "verdict_band": "灰带：±{thr:g}（判定阈值）",
        "over_pairs": "种子对的90%区间",
        "over_draws": "抽样间90%区间；点：各抽样",
    },
}


def outcome_parts(key: str) -> tuple[str, str]:
    """"zhuzhou_gdp_100m_yuan" -> ("zhuzhou", "gdp_100m_yuan"); "core_..." names the core city."""
    measure = next(m for m in MEASURE["en"] if key.endswith("_" + m))
    who = key[: -len(measure) - 1]
    return (CORE_CITY if who == "core" else who), measure


def outcome(key: str, lang: str, unit: bool = True) -> str:
    """An outcome over the posterior in words: "Zhuzhou GDP (100m yuan)", "株洲GDP（亿元）"."""
    c, m = outcome_parts(key)
    name = f"{city(c, lang)} {MEASURE['en'][m]}" if lang == "en" else city(c, lang) + MEASURE["zh"][m]
    if not unit:
        return name
    return f"{name} ({UNIT['en'][m]})" if lang == "en" else f"{name}（{UNIT['zh'][m]}）"


def unit_of(key: str, lang: str) -> str:
    return UNIT[lang][outcome_parts(key)[1]]


def channel(name: str, lang: str) -> str:
    return CHANNEL[lang].get(name, name)


def param(name: str, lang: str) -> str:
    """A model parameter's name: the code in English (as --set takes it), its Chinese name (model/params.py)."""
    from model.params import BY_NAME

    return BY_NAME[name].zh if lang == "zh" and name in BY_NAME else name


def head(key: str, lang: str) -> str:
    return HEAD[lang][key]


def city(name: str, lang: str) -> str:
    return CITY[lang].get(name, name)


def verdict(name: str, lang: str) -> str:
    return VERDICT[lang].get(name, name)


def text(key: str, lang: str) -> str:
    return TEXT[lang][key]
