"""Figure and table labels in English and Chinese (one dictionary, so both languages say the same thing)."""

from __future__ import annotations

from model.identity import CITIES, CITY_ZH, CORE_CITY, PERIPHERY_CITIES

# city names: the data's key capitalised in English, the data's Chinese name (model/data/cities_2019.csv)
CITY = {"en": {c: c.capitalize() for c in CITIES}, "zh": dict(CITY_ZH)}
CORE_EN = CITY["en"][CORE_CITY]
PERIPHERY_EN = tuple(CITY["en"][c] for c in PERIPHERY_CITIES)
VERDICT = {"en": {"siphon": "siphon", "neutral": "neutral", "spillover": "spillover"},
           "zh": {"siphon": "虹吸", "neutral": "中性", "spillover": "溢出"}}
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
    },
}


def city(name: str, lang: str) -> str:
    return CITY[lang].get(name, name)


def verdict(name: str, lang: str) -> str:
    return VERDICT[lang].get(name, name)


def text(key: str, lang: str) -> str:
    return TEXT[lang][key]
