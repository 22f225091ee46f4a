"""The policy levers' units in Chinese, for the app's 中文 mode.

``model.params`` states each parameter's unit in English (``Param.unit``: what scenario files, ``--set`` and the
ODD table say). The app's lever controls show the allowed range with its unit; in Chinese they show
``unit_text("zh", p.unit)``. ``UNIT_ZH`` has an entry for every lever's unit, exactly as the registry spells it: a lever
with a unit missing here is an error (KeyError, and tests/test_texts_zh.py fails), never English on the Chinese page.
"""

from __future__ import annotations

UNIT_ZH: dict[str, str] = {
    # no parentheses inside: the app shows a unit in （…）
    # enclave parks 飞地园区
    "share of local taxes": "地方税收的比例",
    "share of value added": "增加值的比例",
    "years": "年",
    "x pre-move annual local tax": "迁出前年地方税额的倍数",
    "probability per park-quarter": "每个园区每季度的概率",
    "hectares": "公顷",
    # talent 人才互认
    "share of talent benefits portable": "可跨市互通的人才待遇比例",
    "yuan per talent per year, first 2 years": "元/人/年，前2年",
    # commuting 通勤
    "minutes door to door, one way": "分钟，门到门单程",
    "yuan per one-way trip": "元/单程",
    # hukou and public services 户籍与公共服务
    "share of public services open to non-hukou residents": "向非户籍常住人口开放的公共服务比例",
    "probability per quarter after 2 years' residence": "居住满2年后每季度的概率",
    # division of labour, strong capital, green heart, protectionism
    "strength (1 = 5% of value added as incentive)": "强度，1 = 相当于增加值5%的激励",
    "share of provincial investment to Changsha": "投向长沙的省级投资比例",
    "extra growth of Changsha park land per year": "长沙园区用地每年的额外增长率",
    "share of CZT GDP per year": "每年占长株潭GDP的比例",
    "share of green-heart land closed to industry": "生态绿心禁止工业开发的用地比例",
    "intensity (1 = 10% of value added)": "强度，1 = 增加值的10%",
    # market, supply chains, knowledge, investment
    "on/off": "开启/关闭",
    "regime": "机制",
    "share of the inter-city sourcing barrier removed": "消除的跨市采购壁垒比例",
    "share of the inter-city knowledge barrier removed": "消除的跨市知识壁垒比例",
    "share of the other cities' knowledge stock, regardless of distance": "另两市知识存量的比例，不论距离",
    "extra establishments per year, share of the manufacturing sectors'": "每年新增企业单位数占制造业企业单位数的比例",
    "share of investment attraction run by one cluster agency": "由城市群统一机构开展的招商比例",
    # governments, integration fund
    "rule": "规则",
    "share of local revenue after sharing": "分成后地方财政收入的比例",
    # training, housing, jobs
    "share of ordinary residents upgraded per year": "每年培训提升为人才的普通常住人口比例",
    "share of the crowding-driven rise held back": "被抑制的拥挤导致的房价上涨比例",
    "share of the wage per year": "每年工资的比例",
}


def unit_text(lang: str, unit: str) -> str:
    """A parameter's unit in ``lang``: unchanged in English, ``UNIT_ZH[unit]`` in Chinese. KeyError for a unit without
    a translation or an unknown language (no English fallback on the Chinese page)."""
    if lang == "en":
        return unit
    if lang == "zh":
        return UNIT_ZH[unit]
    raise KeyError(lang)


def allowed_text(p, lang: str) -> str:
    """A lever's allowed values in ``lang``. English: as ui/app.py's ``allowed_text`` (the registry's words and the
    choices' values, which scenario files take). Chinese: every word translated, the range with its unit from
    ``UNIT_ZH`` and the choices by their display names (ui.texts ``choice_<param>_<value>``)."""
    from ui.texts import choice_label, t

    if p.kind is bool:
        return t(lang, "allowed_bool")
    if p.kind is str:
        if lang == "en":
            return t(lang, "allowed_choices", choices=", ".join(p.choices))
        return t(lang, "allowed_choices", choices=" / ".join(choice_label(lang, p.name, c) for c in p.choices))
    if lang == "en":
        return p.allowed()
    kind = "整数" if p.kind is int else "数值"
    return f"{p.lo:g} 至 {p.hi:g} 的{kind}（{unit_text(lang, p.unit)}）"
