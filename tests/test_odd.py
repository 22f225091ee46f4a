"""The ODD+D document, its parameter table, CITATION.cff and LICENSE stay true to the code.

- docs/ODD.md has every ODD+D section heading, in the protocol's order (Müller et al. 2013);
- its parameter table has one up-to-date row per parameter of ``model.params.PARAMS`` and no row for a
  parameter that no longer exists (fix: ``python scripts/odd_params.py``);
- the checker is shown to fail: a registry with an extra, a changed or a removed parameter (monkeypatched,
  never the real registry) is reported by name and field;
- CITATION.cff is valid CFF 1.2.0 YAML whose licence matches LICENSE.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import model.params
from model.params import Param

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
SCRIPT = ROOT / "scripts" / "odd_params.py"
FIX = "python scripts/odd_params.py"

# ODD+D elements in the protocol's order (Müller et al. 2013, Table 1; "patterns" from Grimm et al. 2020)
ODD_D_SECTIONS = (
    "Overview", "Purpose and patterns", "Entities, state variables and scales", "Process overview and scheduling",
    "Design concepts", "Theoretical and empirical background", "Individual decision making", "Learning",
    "Individual sensing", "Individual prediction", "Interaction", "Collectives", "Heterogeneity", "Stochasticity",
    "Observation",
    "Details", "Implementation details", "Initialization", "Input data", "Submodels",
)


def _load_script():
    spec = importlib.util.spec_from_file_location("odd_params", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def odd_params():
    return _load_script()


@pytest.fixture(scope="module")
def odd_text() -> str:
    return ODD.read_text(encoding="utf-8")


FAKE = Param("fake_lever_for_test", 0.25, 0.0, 1.0, "share of fake units", "A fake lever", "假参数",
             "test fixture, not a real source", lever="enclave")


# ---------------------------------------------------------------- the real document
def test_odd_has_every_odd_d_section_in_order(odd_text):
    # "## II.vi Interaction" -> "interaction": drop the heading marks and a leading section number
    headings = [re.sub(r"^#+\s*(?:[IVXivx\d.]+\s+)?", "", line).strip().lower()
                for line in odd_text.splitlines() if line.startswith("#")]
    pos, missing = -1, []
    for title in ODD_D_SECTIONS:
        hits = [i for i, h in enumerate(headings) if h.startswith(title.lower()) and i > pos]
        if hits:
            pos = hits[0]
        else:
            missing.append(title)
    assert not missing, f"docs/ODD.md lacks these ODD+D headings (or has them out of order): {missing}"


def test_every_parameter_has_an_up_to_date_row(odd_params, odd_text):
    problems = odd_params.check(odd_text)
    assert not problems, "docs/ODD.md parameter table is out of date:\n" + "\n".join(problems)


def test_table_rows_show_registry_values(odd_params, odd_text):
    """Independent of the checker: each parameter's unit, default and source text appear in its own row."""
    block = odd_text[odd_text.index(odd_params.BEGIN):odd_text.index(odd_params.END)]
    rows = {m.group(1): line for line in block.splitlines() if (m := re.match(r"^\| `([^`]+)` \|", line))}
    for p in model.params.PARAMS:
        assert p.name in rows, f"{p.name}: no row in docs/ODD.md; run `{FIX}`"
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", rows[p.name])[1:-1]]
        assert cells[3] == odd_params.row_cells(p)["unit"] and p.unit.split()[0] in cells[3], p.name
        kind = type(p.default)
        shown = {"true": True, "false": False}.get(cells[4], cells[4])
        assert kind(shown) == p.default and (kind is not float or "." in cells[4]), f"{p.name}: default {cells[4]}"
        assert p.source.split()[0] in cells[7], f"{p.name}: source {cells[7]!r}"
    assert not set(rows) - {p.name for p in model.params.PARAMS}, "rows for parameters not in the registry"


def test_every_lever_group_has_its_section(odd_params, odd_text):
    for group in model.params.LEVER_GROUPS:
        title = model.params.GROUPS[group].odd
        assert f"**{title}**" in odd_text, f"no section for lever group {group!r}; run `{FIX}`"


def test_a_lever_group_without_titles_is_refused():
    """A new group must bring its titles (app and ODD); nothing falls back to the raw key."""
    with pytest.raises(ImportError, match="no_such_group"):
        model.params.check_groups(model.params.PARAMS + (Param("x", 0.0, 0.0, 1.0, "u", "e", "z", "s",
                                                               lever="no_such_group"),))
    model.params.check_groups(model.params.PARAMS)  # the real registry passes


def test_sections_follow_the_source_wording(odd_params):
    """Run settings first, then lever groups; non-levers grouped as sourced, fitted or assumed by their source text."""
    base = {"lo": 0.0, "hi": 1.0, "unit": "u", "en": "e", "zh": "z"}
    ps = (Param("run_a", 1.0, source="resolution setting", **base),
          Param("lev_a", 0.0, source="assumption (free parameter)", lever="enclave", **base),
          Param("beh_fit", 0.5, source="fitted to the 2010-2019 hindcast; 90% interval", **base),
          Param("beh_free", 0.5, source="assumption (free parameter)", **base),
          Param("beh_lit", 0.5, source="Rosenthal & Strange (2004)", **base))
    got = {title: [p.name for p in group] for title, group in odd_params.sections(ps)}
    assert list(got) == [odd_params.RUN_TITLE, model.params.GROUPS["enclave"].odd, odd_params.SOURCED_TITLE,
                         odd_params.FITTED_TITLE, odd_params.FREE_TITLE]
    assert list(got.values()) == [["run_a"], ["lev_a"], ["beh_lit"], ["beh_fit"], ["beh_free"]]


# ---------------------------------------------------------------- the checker can fail
def test_checker_reports_a_parameter_without_a_row(odd_params, odd_text, monkeypatch):
    monkeypatch.setattr(model.params, "PARAMS", model.params.PARAMS + (FAKE,))
    problems = odd_params.check(odd_text)
    assert any(line.startswith("fake_lever_for_test: no row") and FIX in line for line in problems), problems
    # and the generator fixes it: the new row carries the fake's unit, default and source
    block = odd_params.build_block()
    assert not odd_params.check_params(block)
    row = odd_params.parse_rows(block)[0]["fake_lever_for_test"]
    assert (row["unit"], row["default"], row["source"]) == ("share of fake units", "0.25", "test fixture, not a real source")


def test_checker_names_each_changed_field(odd_params, odd_text, monkeypatch):
    target = model.params.BY_NAME["enclave_tax_share"]
    changed = dataclasses.replace(target, unit="per cent", default=0.3, source="a different source")
    monkeypatch.setattr(model.params, "PARAMS", tuple(changed if p is target else p for p in model.params.PARAMS))
    problems = [line for line in odd_params.check(odd_text) if line.startswith("enclave_tax_share:")]
    fields = {line.split(":")[1].split(" is ")[0].strip() for line in problems}
    assert fields == {"Unit", "Default", "Source"}, problems
    assert all(FIX in line for line in problems)


def test_checker_reports_a_row_for_a_removed_parameter(odd_params, odd_text, monkeypatch):
    monkeypatch.setattr(model.params, "PARAMS", tuple(p for p in model.params.PARAMS if p.name != "moving_cost"))
    problems = odd_params.check(odd_text)
    assert any(line.startswith("moving_cost:") and "not in model.params.PARAMS" in line for line in problems), problems


def test_rewrite_touches_only_the_block(odd_params, odd_text, tmp_path):
    stale = odd_text.replace("| `moving_cost` |", "| `moving_cost_old` |").replace("# CZT-Sim", "# CZT-Sim (edited)")
    path = tmp_path / "ODD.md"
    path.write_text(stale, encoding="utf-8")
    assert odd_params.check(stale)
    assert odd_params.rewrite(path) is True
    new = path.read_text(encoding="utf-8")
    assert "# CZT-Sim (edited)" in new and "moving_cost_old" not in new
    assert not odd_params.check(new)
    assert not list(tmp_path.glob(".ODD.md.*")), "temporary file left behind"
    assert odd_params.rewrite(path) is False


@pytest.mark.cli
def test_cli_check_exit_codes(odd_params, tmp_path, capsys):
    """--check: 0 on the real document, 1 listing the stale row; 2 with one line (no traceback) without markers."""
    assert odd_params.main(["--check"]) == 0
    stale = tmp_path / "stale.md"
    stale.write_text(ODD.read_text(encoding="utf-8").replace("| `scale` |", "| `scale_gone` |"), encoding="utf-8")
    capsys.readouterr()
    assert odd_params.main(["--check", "--file", str(stale)]) == 1
    out = capsys.readouterr().out
    assert "scale: no row" in out and "scale_gone:" in out, out
    bare = tmp_path / "bare.md"
    bare.write_text("# nothing here\n", encoding="utf-8")
    err = subprocess.run([sys.executable, str(SCRIPT), "--file", str(bare)], check=False, capture_output=True, text=True,
                         cwd=ROOT, timeout=120)
    assert err.returncode == 2 and err.stderr.count("\n") == 1 and "Traceback" not in err.stderr, err.stderr
    assert bare.read_text(encoding="utf-8") == "# nothing here\n"


# ---------------------------------------------------------------- citation and licence
def test_citation_cff_is_valid_and_matches_license():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    for key in ("cff-version", "message", "title", "authors", "version", "date-released", "license", "keywords",
                "abstract", "references"):
        assert key in cff, f"CITATION.cff lacks {key}"
    assert cff["cff-version"] == "1.2.0"
    assert cff["title"].startswith("CZT-Sim: an agent-based model of siphon and spillover")
    assert {"name": "CZT-Sim developers"} in cff["authors"]
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert str(cff["version"]) == project["version"]  # one version: the package's and the citation's
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(cff["date-released"]))
    assert "repository-code" not in cff
    for ref in cff["references"]:
        assert {"type", "title", "authors"} <= set(ref), ref.get("title")
        assert all("name" in a or "family-names" in a for a in ref["authors"]), ref["title"]
    titles = " ".join(r["title"] for r in cff["references"])
    assert "Mesa Framework" in titles and "Mesa 3" in titles and "ODD+D" in titles
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.splitlines()[0] == f"{cff['license']} License"
    assert "Copyright (c) 2026 CZT-Sim developers" in licence
    assert "model/data" in licence


def test_process_overview_follows_the_quarter(odd_params, odd_text):
    """The ODD's process overview is the stage list: reordering or renaming a stage makes the check fail."""
    from model.quarter import QUARTER

    assert not odd_params.check_stages(odd_text)
    swapped = (QUARTER[1], QUARTER[0]) + QUARTER[2:]
    assert odd_params.check_stages(odd_text, swapped), "a reordered quarter must not match the document"
    block = odd_params.build_stages_block(swapped)
    assert block.index("`rents`") < block.index("`housing`") and "land: housing_cost" in block


def test_process_overview_follows_the_year(odd_params, odd_text):
    """The year's stages are in the overview too, after the quarter's: reordering them makes the check fail."""
    from model.year import YEAR

    swapped = tuple(reversed(YEAR))
    assert odd_params.check_stages(odd_text, year=swapped), "a reordered year must not match the document"
    block = odd_params.build_stages_block(year=swapped)
    assert block.index(odd_params.QUARTER_TITLE) < block.index(odd_params.YEAR_TITLE) < \
        block.index("`government_decisions`") < block.index("`provincial_investment`")
    assert "recorder: rows" in block  # the investment reads last year's recorded GDP
