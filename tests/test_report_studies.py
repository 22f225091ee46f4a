"""`python -m experiments report` of a posterior-study folder and of a spillover folder: the tables hold what the
command's files say, in English and in Chinese (no English words in the Chinese heads but GDP), with figures and the
report.md index; a folder of another kind still gets one line. No simulation: the shipped docs/posterior-study and
docs/spillover/baseline folders, and a small synthetic spillover folder over the posterior."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.cli import main
from experiments.report.build import build
from experiments.report.style import find_cjk
from model.identity import PERIPHERY_CITIES

pytestmark = pytest.mark.smoke

ROOT = Path(__file__).resolve().parent.parent
POSTERIOR = ROOT / "docs" / "posterior-study" / "round3"  # 4 scenarios: the same folder layout, a quicker report
SPILLOVER = ROOT / "docs" / "spillover" / "baseline"
CJK = find_cjk() is not None
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
ALLOWED_LATIN = {"GDP"}  # as tests/test_texts_zh.py: an abbreviation the Chinese texts keep
MEASURES = ("gdp_share_pp", "gdp_100m_yuan", "residents_10k")


def english_words(text: str) -> set[str]:
    return set(LATIN_WORD.findall(text)) - ALLOWED_LATIN


def tex_head(path: Path) -> str:
    """The column heads of a booktabs table: the line after \\toprule."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[lines.index(r"\toprule") + 1]


def check_chinese(out: Path, stem: str, text_columns: int) -> pd.DataFrame:
    """The Chinese CSV and LaTeX of ``stem``: heads, and the first ``text_columns`` columns' cells, hold no English."""
    zh = pd.read_csv(out / f"{stem}_zh.csv", encoding="utf-8-sig")
    assert not english_words(" ".join(zh.columns)), f"{stem}_zh.csv heads: {english_words(' '.join(zh.columns))}"
    assert not english_words(tex_head(out / f"{stem}_zh.tex"))
    cells = " ".join(zh.iloc[:, :text_columns].astype(str).to_numpy().ravel())
    assert not english_words(cells), f"{stem}_zh.csv labels: {english_words(cells)}"
    assert re.search(r"[\u4e00-\u9fff]", tex_head(out / f"{stem}_zh.tex"))
    return zh


def test_posterior_study_report_holds_the_study_s_numbers(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", str(POSTERIOR), "--out", str(out), "--lang", "both"]) == 0
    assert "posterior study" in capsys.readouterr().out
    for stem in ("posterior_summary", "posterior_contrasts"):
        for sfx in ("", "_zh"):
            assert (out / f"{stem}{sfx}.csv").is_file() and (out / f"{stem}{sfx}.tex").is_file()
    for fig in ("fig_f_posterior_forecast", "fig_g_posterior_contrasts"):
        for sfx in ["", "_zh"] if CJK else [""]:
            assert (out / f"{fig}{sfx}.png").stat().st_size > 0 and (out / f"{fig}{sfx}.pdf").is_file()
    assert not list(out.glob(".partial-*")) and not (POSTERIOR / "report").exists()

    # per scenario and outcome: the median, 90 % interval and both bands of summary.csv, and the bands' ends
    want = pd.read_csv(POSTERIOR / "summary.csv").set_index(["scenario", "outcome"])
    got = pd.read_csv(out / "posterior_summary.csv").set_index(["scenario", "outcome"])
    assert set(got.index) == set(want.index)
    cols = ["median", "q05", "q95", "parameter_band", "seed_band"]
    assert np.allclose(got.loc[want.index, cols].to_numpy(), want[cols].to_numpy(), rtol=1e-9)
    # the ends come from runs.csv (6 significant digits, as summary.csv): their distance is the band's width to
    # within the rounding of the outcome's level
    tol = 1e-5 * got["median"].abs()
    assert ((got.param_hi - got.param_lo - got.parameter_band).abs() <= tol).all()
    assert ((got.seed_hi - got.seed_lo - got.seed_band).abs() <= tol).all()
    assert (got.param_lo <= got.param_hi).all() and (got.seed_lo <= got.seed_hi).all()
    assert set(got.unit) == {"pp", "100m yuan", "10k persons"}

    # per lever: each periphery city's GDP share, GDP and residents, with contrasts.csv's numbers and P(raises)
    want = pd.read_csv(POSTERIOR / "contrasts.csv").set_index(["scenario", "outcome"])
    con = pd.read_csv(out / "posterior_contrasts.csv")
    got = con.set_index(["lever", "outcome"])
    levers = [s for s in json.loads((POSTERIOR / "posterior_study.json").read_text())["scenarios"] if s != "baseline"]
    for lev in levers:
        for city in PERIPHERY_CITIES:
            for m in MEASURES:
                key = (lev, f"{city}_{m}")
                assert got.loc[key, "p_raises"] == want.loc[key, "p_raises"]
                assert np.allclose(got.loc[key, ["median", "q05", "q95", "parameter_band"]].to_numpy(float),
                                   want.loc[key, ["median", "q05", "q95", "parameter_band"]].to_numpy(float))
    assert got.p_raises.between(0, 1).all() and (got.draws == 20).all()

    # the same in Chinese, with Chinese heads, scenario titles, outcomes and units
    zh = check_chinese(out, "posterior_contrasts", 3)
    assert list(zh["提高概率"]) == list(con.p_raises) and set(zh["单位"]) == {"百分点", "亿元", "万人"}
    assert "一体化政策组合" in set(zh["政策情景"]) and "株洲常住人口" in set(zh["指标"])
    zs = check_chinese(out, "posterior_summary", 3)
    assert list(zs["参数不确定性区间宽度"]) == list(pd.read_csv(out / "posterior_summary.csv").parameter_band)
    assert "随机种子区间宽度" in zs

    # report.md: every file, the two bands told apart, how to reproduce
    md = (out / "report.md").read_text()
    for p in out.iterdir():
        if p.name != "report.md":
            assert f"[`{p.name}`]" in md
    assert "**Parameter band**" in md and "**Seed band**" in md and "P(raises)" in md
    assert "python -m experiments posterior --calibration docs/record-fit" in md


def test_spillover_report_over_seed_pairs(tmp_path):
    out = tmp_path / "sp"
    res = build(SPILLOVER, out, lang="both")
    assert res["kind"] == "spillover" and (out / "report.md").is_file()
    want = pd.read_csv(SPILLOVER / "verdict.csv")
    got = pd.read_csv(out / "spillover_verdict.csv")
    assert list(got.city) == list(want.city) and list(got.call) == list(want.call)
    assert np.allclose(got[["elasticity", "low", "high"]], want[["elasticity", "low", "high"]])
    assert list(got.pairs) == list(want.pairs) and "p_siphon" not in got
    ch = pd.read_csv(out / "spillover_channels.csv")
    wc = pd.read_csv(SPILLOVER / "channels.csv")
    assert list(zip(ch.channel, ch.city)) == list(zip(wc.channel, wc.city))
    assert np.allclose(ch[["contribution", "low", "high", "elasticity_closed"]],
                       wc[["contribution", "low", "high", "elasticity_closed"]])
    zh = check_chinese(out, "spillover_verdict", 1)
    assert list(zh["判定"]) == ["虹吸" if c == "siphon" else "溢出" if c == "spillover" else "中性" for c in want.call]
    zc = check_chinese(out, "spillover_channels", 2)
    assert "跨市通勤" in set(zc["渠道"])
    assert (out / "fig_h_spillover.png").is_file() and (not CJK or (out / "fig_h_spillover_zh.png").is_file())
    md = (out / "report.md").read_text()
    assert "python -m experiments spillover --scenario baseline --seeds 6" in md and "--channels" in md


def synthetic_spillover_over_posterior(root: Path) -> Path:
    """A spillover folder over 4 posterior draws, as ``spillover --posterior 4 --channels`` writes it."""
    root.mkdir()
    pd.DataFrame({"city": ["zhuzhou", "xiangtan"], "elasticity": [-0.4, 0.01], "low": [-0.6, -0.05],
                  "high": [-0.3, 0.08], "p_siphon": [1.0, 0.25], "p_spillover": [0.0, 0.5],
                  "call": ["siphon", "undetermined"], "draws": [4, 4]}).to_csv(root / "verdict.csv", index=False)
    pd.DataFrame([{"channel": ch, "city": c, "contribution": -0.1 * i, "low": -0.2 * i, "high": 0.05,
                   "p_siphon": 0.75, "draws": 4, "elasticity_closed": -0.3}
                  for i, ch in enumerate(("commuting", "migration", "knowledge"), 1) for c in PERIPHERY_CITIES]
                 ).to_csv(root / "channels.csv", index=False)
    pd.DataFrame([{"draw": d, "city": c, "elasticity": -0.4 + 0.1 * d} for d in range(4) for c in PERIPHERY_CITIES]
                 ).to_csv(root / "elasticity_by_draw.csv", index=False)
    pd.DataFrame([{"city": c, "param": p, "spearman": r} for c in ("xiangtan", "zhuzhou")
                  for p, r in (("migration_logit_scale", 0.8), ("gdp_weight", -0.6), ("branch_cost", 0.4),
                               ("relocation_cost", 0.2))]).to_csv(root / "drivers.csv", index=False)
    (root / "spillover.json").write_text(json.dumps({
        "scenario": "baseline", "until": 2030, "shock": 0.05, "seeds": [1, 2], "scale": 2000, "overrides": {},
        "min_elasticity": 0.02, "core_gdp_response_log": 0.1, "rule": "per draw ...",
        "posterior": {"calibration": "docs/record-fit", "draws": 4, "drawn": ["migration_logit_scale"]}}))
    return root


def test_spillover_report_over_the_posterior(tmp_path):
    src = synthetic_spillover_over_posterior(tmp_path / "spill")
    build(src, lang="both")  # default output folder: DIR/report
    out = src / "report"
    got = pd.read_csv(out / "spillover_verdict.csv")
    want = pd.read_csv(src / "verdict.csv")
    assert list(got.call) == ["siphon", "undetermined"]
    assert list(got.p_siphon) == list(want.p_siphon) and list(got.p_spillover) == list(want.p_spillover)
    assert list(got.drivers) == ["migration_logit_scale +0.80; gdp_weight -0.60; branch_cost +0.40"] * 2
    zh = check_chinese(out, "spillover_verdict", 1)
    assert list(zh["判定"]) == ["虹吸", "未定"] and list(zh["虹吸概率"]) == [1.0, 0.25]
    assert zh["主要影响参数（斯皮尔曼秩相关）"].iloc[0].startswith("居住选择敏感度 +0.80")
    ch = pd.read_csv(out / "spillover_channels.csv")
    assert list(ch.p_siphon) == [0.75] * 6 and "draws" in ch
    check_chinese(out, "spillover_channels", 2)
    md = (out / "report.md").read_text()
    assert "--posterior 4 --posterior-from docs/record-fit" in md


def test_folders_of_other_kinds_get_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "sweep" in err
    (tmp_path / "post").mkdir()
    (tmp_path / "post" / "posterior_study.json").write_text("{}")
    assert main(["report", str(tmp_path / "post")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "posterior-study" in err and "summary.csv" in err
    assert not (tmp_path / "post" / "report").exists()
    spill = synthetic_spillover_over_posterior(tmp_path / "spill")
    (spill / "verdict.csv").write_text("city,elasticity\nzhuzhou,0.1\n")
    assert main(["report", str(spill)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "verdict.csv" in err and "low" in err
