"""Every piece of UI text in both languages, in one place.

``t(lang, key, **fmt)`` returns the text and ``field_label(lang, key)`` a data field's label; a key or a language
missing is an error (KeyError), never a raw key on the page: tests walk every key the app can ask for in both
languages. Parameter names and lever-group titles come from ``model.params`` (``Param.en`` / ``Param.zh``,
``GROUPS``), city and sector names from ``model.identity`` (the data files' ``name_en`` / ``name_zh``), not from here.
"""

from __future__ import annotations

from model.identity import CITIES, CITY_EN, CITY_ZH, CORE_CITY, REGION_EN, REGION_ZH, SECTOR_EN, SECTOR_ZH

LANGS = ("en", "zh")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "CZT-Sim: {cities} city cluster",
        "subtitle": "Siphon or spillover? One step is one quarter, starting in {year}.",
        "language": "中文",
        "run": "Run",
        "scenario": "Scenario",
        "seed": "Seed",
        "scale": "Scale (residents per agent)",
        "scale_hint": "Larger is faster and coarser; the app accepts {lo} to {hi}.",
        "play": "Play",
        "pause": "Pause",
        "step": "Step",
        "step_year": "+1 year",
        "reset": "Reset",
        "now": "Next quarter: {year} Q{quarter} · simulated {steps} quarters (through {last})",
        "levers": "Policy levers",
        "levers_hint": "Changing a lever re-runs the model from {year} to the current quarter with the same seed.",
        "levers_timeline_hint": "This scenario's policy timeline switches some levers during the run (their sliders then move).",
        "lever_default": "scenario value",
        "restore": "Restore scenario values",
        "allowed": "allowed",
        "allowed_bool": "on or off (true / false)",
        "allowed_choices": "one of {choices}",
        "lever_on": "on",
        "lever_off": "off",
        "changed": "changed",
        "choice_market_access_list_separate": "separate: each city approves",
        "choice_market_access_list_aligned": "aligned: harmonised approvals",
        "choice_market_access_list_unified": "unified: one list, one approval",
        "choice_government_regime_fixed": "fixed rules (earlier versions)",
        "choice_government_regime_compete": "each city decides for itself",
        "choice_government_regime_provincial": "the province coordinates",
        "choice_fund_payer_cities": "the three cities, by revenue",
        "choice_fund_payer_province": "the province",
        "choice_fund_payer_changsha": "Changsha alone",
        "choice_fund_rewards_cluster_total": "the cluster's total (fixed key)",
        "choice_fund_rewards_own_gdp": "each city's own GDP",
        "choice_fund_rewards_cooperation": "taxes shared through enclaves",
        "map": "Map of the cluster",
        "size_by": "City size by",
        "size_gdp": "GDP",
        "size_pop": "Population",
        "flows_shown": "Arrows: last quarter's flows",
        "legend_move_ordinary": "ordinary workers moving home",
        "legend_move_talent": "talent moving home",
        "legend_commuters": "commuters (stock)",
        "legend_firms": "firms relocating / opening branches",
        "legend_outside": "migration from / to outside the cluster (dashed: out)",
        "legend_park": "industrial park",
        "legend_enclave": "enclave park (dashed line to sponsor)",
        "legend_closed": "hypothetical park, not open",
        "green_heart": "Green heart 生态绿心",
        "charts": "Charts",
        "chart_gdp_share": "Share of cluster GDP",
        "chart_pop_share": "Share of cluster population",
        "chart_talent_share": "Share of cluster talent",
        "chart_wages": "Wages (yuan/year, {py} prices): solid = talent, dashed = ordinary",
        "chart_firms": "Firms by sector (cluster)",
        "chart_tax": "Taxes after sharing (100m yuan/quarter, {py} prices)",
        "chart_commuters": "Out-commuters (10k persons)",
        "chart_rd": "R&D spending, share of GDP",
        "chart_gov_talent": "Governments' choice: talent subsidy (yuan per talent per year)",
        "chart_gov_incentive": "Governments' choice: solid = incentive offer to arriving firms (share of value added at mean fiscal strength), "
                               "dashed = extra park land (share a year)",
        "chart_supply": "Inputs traded with the other two cities (100m yuan/quarter, {py} prices): solid = "
                        "bought, dashed = sold",
        "diff_suffix": " — difference from baseline",
        "compare": "Compare with baseline (same seed and scale)",
        "compare_note": "Charts show this run minus the baseline run; the verdict panel shows both.",
        "compare_off": "Not available: this run starts in {year}, the baseline in {base}.",
        "timeline": "Policy timeline",
        "timeline_hint": "Switches applied during the run; ✓ = in force now.",
        "money_note": "Money values at {year} prices.",
        "verdict": "Verdict: siphon or spillover",
        "verdict_wait": "The verdict needs one complete year: step to {year} Q1 or later.",
        "verdict_rule": "Rule",
        "updating": "updating…",
        "verdict_rule_text": "(the model's rule text is shown in English)",
        "siphon": "siphon 虹吸",
        "spillover": "spillover 溢出",
        "neutral": "neutral 中性",
        "gdp_share_change": "GDP share change (pp)",
        "gdp_share": "GDP share first → last",
        "net_talent": "Net talent from {core} (persons)",
        "net_ordinary": "Net ordinary workers from {core} (persons)",
        "net_firms": "Net firms and branches from {core}",
        "people_sources": "Where {core} gains residents (net, 10k a year)",
        "people_sources_note": "residence moves from the other cities, migration from outside the cluster",
        "baseline_verdict": "baseline",
        "years_covered": "Years {first}–{last}",
        "inspect": "Inspect",
        "inspect_city": "City",
        "inspect_park": "Park",
        "inspect_firm": "Firm",
        "inspect_worker": "Worker",
        "firm_slot": "Firm slot",
        "random_firm": "Random firm",
        "building": "Building the run from its start year… (a fine scale takes a few seconds)",
        "firm_exited": "Firm {slot} has exited; showing the first living firm.",
        "sample_worker": "Sample a worker",
        "worker_moves": "Moves",
        "government": "City government",
        "no_moves": "No moves recorded yet.",
        "export": "Export data",
        "export_hint": "Everything simulated so far, one row per city per quarter (cities), per flow (flows) or per city per year (annual); settings.json (and the Parquet files' metadata) records the scenario, seed, scale and lever values.",
        "error": "Error",
        "loading": "Building the model…",
        "field": "Field",
        "value": "Value",
        "step_time": "Last step: {ms:.0f} ms",
        "year_axis": "year",
        "scale_too_small": "invalid value for 'scale': {value}; allowed in the app: an integer from {lo} to {hi} (smaller is too slow for a browser)",
    },
    "zh": {
        "title": "CZT-Sim：长株潭城市群",
        "subtitle": "虹吸还是溢出？每一步为一个季度，自{year}年起。",
        "language": "English",
        "run": "运行",
        "scenario": "情景",
        "seed": "随机种子",
        "scale": "比例（每个主体代表人口）",
        "scale_hint": "数值越大越快、越粗略；本应用接受 {lo} 至 {hi}。",
        "play": "播放",
        "pause": "暂停",
        "step": "单步",
        "step_year": "+1 年",
        "reset": "重置",
        "now": "下一季度：{year}年第{quarter}季度 · 已模拟 {steps} 个季度（至 {last}）",
        "levers": "政策杠杆",
        "levers_hint": "改变杠杆后，模型以相同随机种子从{year}年重新运行到当前季度。",
        "levers_timeline_hint": "本情景的政策时间线会在运行中切换部分杠杆（滑块随之变化）。",
        "lever_default": "情景取值",
        "restore": "恢复情景取值",
        "allowed": "允许范围",
        "allowed_bool": "开启或关闭（true / false）",
        "allowed_choices": "{choices} 之一",
        "lever_on": "开启",
        "lever_off": "关闭",
        "changed": "已修改",
        "choice_market_access_list_separate": "各市分别审批（separate）",
        "choice_market_access_list_aligned": "审批标准协同（aligned）",
        "choice_market_access_list_unified": "统一清单、一次审批（unified）",
        "choice_government_regime_fixed": "固定规则（旧版本）",
        "choice_government_regime_compete": "三市各自决策",
        "choice_government_regime_provincial": "省级统筹",
        "choice_fund_payer_cities": "三市按财政收入出资",
        "choice_fund_payer_province": "省级出资",
        "choice_fund_payer_changsha": "长沙单独出资",
        "choice_fund_rewards_cluster_total": "城市群总量（固定比例分配）",
        "choice_fund_rewards_own_gdp": "各市自身GDP",
        "choice_fund_rewards_cooperation": "飞地园区分成税收",
        "map": "城市群地图",
        "size_by": "城市符号大小",
        "size_gdp": "GDP",
        "size_pop": "人口",
        "flows_shown": "箭头：上一季度的流动",
        "legend_move_ordinary": "普通劳动者迁居",
        "legend_move_talent": "人才迁居",
        "legend_commuters": "跨市通勤者（存量）",
        "legend_firms": "企业迁移 / 设立分支",
        "legend_outside": "与城市群外的迁入 / 迁出（虚线：迁出）",
        "legend_park": "产业园区",
        "legend_enclave": "飞地园区（虚线连向派出地）",
        "legend_closed": "假设园区，尚未设立",
        "green_heart": "生态绿心",
        "charts": "图表",
        "chart_gdp_share": "占城市群GDP比重",
        "chart_pop_share": "占城市群人口比重",
        "chart_talent_share": "占城市群人才比重",
        "chart_wages": "工资（元/年，{py}年价格）：实线 = 人才，虚线 = 普通劳动者",
        "chart_firms": "分行业企业数（城市群）",
        "chart_tax": "分成后税收（亿元/季度，{py}年价格）",
        "chart_commuters": "跨市外出通勤者（万人）",
        "chart_rd": "研发经费投入强度（占GDP比重）",
        "chart_gov_talent": "政府决策：人才补贴（元/人/年）",
        "chart_gov_incentive": "政府决策：实线 = 对新落户企业的招商优惠（占增加值比重，按平均财力），虚线 = 新增园区用地（年增长比例）",
        "chart_supply": "与另两市的中间品往来（亿元/季度，{py}年价格）：实线 = 采购，虚线 = 销售",
        "diff_suffix": " — 与基准之差",
        "compare": "与基准情景比较（相同种子与比例）",
        "compare_note": "图表显示本次运行减去基准运行；结论面板同时显示两者。",
        "compare_off": "不可用：本次运行始于{year}年，基准情景始于{base}年。",
        "timeline": "政策时间线",
        "timeline_hint": "运行期间生效的政策切换；✓ = 已生效。",
        "money_note": "货币值按{year}年价格计。",
        "verdict": "结论：虹吸还是溢出",
        "verdict_wait": "结论需要至少一个完整年份：请运行到{year}年第1季度或之后。",
        "verdict_rule": "判定规则",
        "updating": "更新中…",
        "verdict_rule_text": "GDP占比下降至少{thr:g}个百分点，且人才或企业/分支净流向{core} → 虹吸；GDP占比上升至少{thr:g}个百分点，且人才或企业/分支净流出{core} → 溢出；否则为中性。",
        "siphon": "虹吸 siphon",
        "spillover": "溢出 spillover",
        "neutral": "中性 neutral",
        "gdp_share_change": "GDP占比变化（百分点）",
        "gdp_share": "GDP占比 起 → 止",
        "net_talent": "来自{core}的人才净流入（人）",
        "net_ordinary": "来自{core}的普通劳动者净流入（人）",
        "net_firms": "来自{core}的企业与分支净流入",
        "people_sources": "{core}常住人口净增来源（万人/年）",
        "people_sources_note": "来自另两市的迁居，来自城市群外的迁移",
        "baseline_verdict": "基准",
        "years_covered": "{first}–{last}年",
        "inspect": "查看",
        "inspect_city": "城市",
        "inspect_park": "园区",
        "inspect_firm": "企业",
        "inspect_worker": "劳动者",
        "firm_slot": "企业编号",
        "random_firm": "随机企业",
        "building": "正在从起始年份重新构建模拟……（比例越细耗时越长，约数秒）",
        "firm_exited": "企业 {slot} 已退出；显示第一家存续企业。",
        "sample_worker": "随机抽取一名劳动者",
        "worker_moves": "迁移记录",
        "government": "市政府",
        "no_moves": "尚无迁移记录。",
        "export": "导出数据",
        "export_hint": "已模拟的全部数据：每城市每季度一行（cities）、每项流动一行（flows）或每城市每年一行（annual）；settings.json（及 Parquet 文件的元数据）记录情景、随机种子、比例与各杠杆取值。",
        "error": "错误",
        "loading": "正在构建模型…",
        "field": "字段",
        "value": "数值",
        "step_time": "上一步运行：{ms:.0f} 毫秒",
        "year_axis": "年份",
        "scale_too_small": "'scale' 取值无效：{value}；本应用允许 {lo} 至 {hi} 的整数（更小的值在浏览器中过慢）",
    },
}


def t(lang: str, key: str, **fmt) -> str:
    """The text of ``key`` in ``lang`` with ``fmt`` filled in; KeyError for an unknown language, key or placeholder."""
    return TEXT[lang][key].format(**fmt)


def choice_label(lang: str, param: str, value: str) -> str:
    """Display name of a categorical lever's choice (key ``choice_<param>_<value>``; the registry keeps the values)."""
    return t(lang, f"choice_{param}_{value}")


def city_name(lang: str, city: str) -> str:
    """A city's display name (model.identity); KeyError for a name that is not a city."""
    return {"en": CITY_EN, "zh": CITY_ZH}[lang][city]


def place_name(lang: str, place: str) -> str:
    """A city's or an outside region's display name (model.identity); KeyError for anything else."""
    return {"en": {**CITY_EN, **REGION_EN}, "zh": {**CITY_ZH, **REGION_ZH}}[lang][place]


def sector_name(lang: str, sector: str) -> str:
    """A sector's display name (model.identity); KeyError for a name that is not a sector."""
    return {"en": SECTOR_EN, "zh": SECTOR_ZH}[lang][sector]


def core_name(lang: str) -> str:
    """The core city's display name, for texts with a ``{core}`` placeholder."""
    return city_name(lang, CORE_CITY)


def cities_title(lang: str) -> str:
    """The cities' names joined by dashes (Changsha–Zhuzhou–Xiangtan), for the ``{cities}`` placeholder."""
    return "–".join(city_name(lang, c) for c in CITIES)


# labels of the data fields shown by the inspector (the raw column name is shown beside them, as in the exports):
# the city table's columns, the describe() fields of firms, parks and city governments, a worker's fields and the
# keys of its moves
FIELD_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "gdp_q_100m_yuan": "GDP this quarter (100m yuan)", "gdp_credited_q_100m_yuan": "GDP credited, after enclave sharing",
        "population_10k": "Residents (10k)", "talent_10k": "Talent residents (10k)", "employment_10k": "Employed (10k)",
        "unemployment_rate": "Unemployment rate", "firms": "Firms", "branches": "Production branches",
        "commuters_out_10k": "Out-commuters (10k)", "commuters_in_10k": "In-commuters (10k)",
        "wage_ordinary_yuan": "Wage, ordinary (yuan/year)", "wage_talent_yuan": "Wage, talent (yuan/year)",
        "housing_cost_yuan": "Housing cost (yuan/year)", "productivity_index": "Productivity index",
        "park_occupancy": "Park land occupancy", "tax_collected_q_100m_yuan": "Local taxes collected (100m yuan)",
        "tax_after_sharing_q_100m_yuan": "Taxes after sharing (100m yuan)",
        "tax_shared_out_q_100m_yuan": "Taxes shared out", "tax_shared_in_q_100m_yuan": "Taxes shared in",
        "park": "Park", "name": "Name", "name_zh": "Chinese name", "city": "City", "level": "Level",
        "sector_focus": "Sector focus", "capacity_ha": "Land (ha)", "used_ha": "Land used (ha)",
        "occupancy": "Occupancy", "rent_yuan_m2_year": "Rent (yuan/m²/year)", "enclave_sponsor": "Enclave sponsor",
        "slot": "Slot", "sector": "Sector", "hq_city": "Headquarters city", "branch": "Is a branch",
        "establishments": "Establishments in this cohort", "employment_persons": "Employment per establishment (persons)",
        "wage_offers_yuan": "Wage offers (yuan/year)",
        "value_added_100m_yuan": "Value added, all establishments (100m yuan/year)",
        "profit_100m_yuan": "Profit, all establishments (100m yuan/year)",
        "tax_collected_100m_yuan_q": "Local taxes collected (100m yuan/quarter)",
        "tax_after_sharing_100m_yuan_q": "Taxes after sharing (100m yuan/quarter)",
        "public_service_index": "Public-service index", "infrastructure_index": "Infrastructure index",
        "regime": "How governments decide", "incentive_offer_share": "Incentive offer (share of value added)",
        "talent_subsidy_yuan": "Talent subsidy (yuan per talent per year)",
        "land_release_share": "Extra park land (share a year)",
        "predicted_gain": "Predicted gain of this year's choices (objective)",
        "wid": "Worker id", "alive": "Alive", "skill": "Skill", "hukou": "Hukou", "residence": "Lives in",
        "employer": "Employer (firm slot)", "job_city": "Works in", "wage_yuan": "Wage (yuan/year)",
        "step": "Step", "year": "Year", "quarter": "Quarter", "kind": "Move", "from": "From", "to": "To",
    },
    "zh": {
        "gdp_q_100m_yuan": "本季度GDP（亿元）", "gdp_credited_q_100m_yuan": "分成后计入的GDP（亿元）",
        "population_10k": "常住人口（万人）", "talent_10k": "人才（万人）", "employment_10k": "就业人数（万人）",
        "unemployment_rate": "失业率", "firms": "企业数", "branches": "生产分支数",
        "commuters_out_10k": "外出通勤（万人）", "commuters_in_10k": "流入通勤（万人）",
        "wage_ordinary_yuan": "普通劳动者工资（元/年）", "wage_talent_yuan": "人才工资（元/年）",
        "housing_cost_yuan": "住房成本（元/年）", "productivity_index": "生产率指数",
        "park_occupancy": "园区用地占用率", "tax_collected_q_100m_yuan": "地方税收（亿元）",
        "tax_after_sharing_q_100m_yuan": "分成后税收（亿元）",
        "tax_shared_out_q_100m_yuan": "分出税收（亿元）", "tax_shared_in_q_100m_yuan": "分入税收（亿元）",
        "park": "园区", "name": "名称", "name_zh": "中文名称", "city": "城市", "level": "级别",
        "sector_focus": "主导产业", "capacity_ha": "用地（公顷）", "used_ha": "已用地（公顷）",
        "occupancy": "占用率", "rent_yuan_m2_year": "租金（元/平方米/年）", "enclave_sponsor": "飞地派出地",
        "slot": "编号", "sector": "行业", "hq_city": "总部所在城市", "branch": "是否分支",
        "establishments": "本组企业单位数", "employment_persons": "每个企业单位就业人数",
        "wage_offers_yuan": "工资报价（元/年）",
        "value_added_100m_yuan": "增加值，全部企业单位（亿元/年）",
        "profit_100m_yuan": "利润，全部企业单位（亿元/年）",
        "tax_collected_100m_yuan_q": "地方税收（亿元/季度）",
        "tax_after_sharing_100m_yuan_q": "分成后税收（亿元/季度）",
        "public_service_index": "公共服务指数", "infrastructure_index": "基础设施指数",
        "regime": "政府决策机制", "incentive_offer_share": "招商优惠（占增加值比重）",
        "talent_subsidy_yuan": "人才补贴（元/人/年）", "land_release_share": "新增园区用地（年增长比例）",
        "predicted_gain": "本年决策的预期收益（目标函数）",
        "wid": "劳动者编号", "alive": "在世", "skill": "技能", "hukou": "户籍", "residence": "居住地",
        "employer": "雇主（企业编号）", "job_city": "工作地", "wage_yuan": "工资（元/年）",
        "step": "步", "year": "年份", "quarter": "季度", "kind": "迁移类型", "from": "迁出地", "to": "迁入地",
    },
}


def field_label(lang: str, key: str) -> str:
    """The label of a data field in ``lang``; KeyError for a field without one."""
    return FIELD_LABELS[lang][key]
