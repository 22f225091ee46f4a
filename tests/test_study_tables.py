"""scripts/study_tables.py: the worked study's tables come from the command outputs shipped beside it, and the
study (docs/study-integration.md) holds them as the script prints them now (a rerun that changes a number and is
not pasted back fails here)."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import ROOT, script_module


@pytest.fixture(scope="module")
def printed():
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert script_module("study_tables").main([]) == 0
    return buf.getvalue()


@pytest.mark.smoke
def test_the_verdict_rows_are_the_spillover_outputs(printed):
    rows = [r for r in printed.splitlines() if r.startswith("| ") and r.count("|") == 8]
    for sub in sorted((ROOT / "docs/spillover/posterior").iterdir()):
        v = pd.read_csv(sub / "verdict.csv")
        for r in v.itertuples():
            mine = [x for x in rows if x.startswith(f"| {sub.name} | {r.city} |")]
            assert len(mine) == 1, (sub.name, r.city)
            cells = [c.strip() for c in mine[0].strip("|").split("|")]
            assert cells[3] == f"{r.p_siphon:.2f}" and cells[5] == r.call, mine[0]


@pytest.mark.smoke
def test_the_study_holds_the_tables_as_printed_now(printed):
    study = (ROOT / "docs/study-integration.md").read_text(encoding="utf-8").splitlines()
    table_rows = [r for r in printed.splitlines() if r.startswith("| ") and not r.startswith("|---")]
    missing = [r for r in table_rows if r not in study]
    assert not missing, f"{len(missing)} rows differ from the script's output, first: {missing[0]}"


@pytest.mark.smoke
def test_a_folder_that_is_not_an_output_is_one_line(tmp_path, capsys):
    assert script_module("study_tables").main(["--posterior", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--posterior" in err
