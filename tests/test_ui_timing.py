"""Policy timing (ui/timing.py) in the app's session and its links: a lever set from a chosen quarter on leaves the
run unchanged before that quarter and changes it after; "back" restores the earlier value; links and exports carry
the timing; bad timing is a one-line error naming the field."""

from __future__ import annotations

import pytest

from model.errors import ConfigError
from ui.timing import TimedLever, parse_all

SCALE = 2000
LEVER = "commute_minutes_cs_xt"  # a lever whose change moves commuting at once


def test_timed_lever_text_round_trip_and_errors():
    t = TimedLever.parse(f"{LEVER}:15.0@2020Q3-2021Q2")
    assert (t.name, t.value, t.start, t.end) == (LEVER, 15.0, (2020, 3), (2021, 2))
    assert TimedLever.parse(t.text()) == t
    assert TimedLever.parse("licence_recognition:true@2026Q1").value is True
    for bad, field in ((f"{LEVER}:15@2020Q5", f"{LEVER} from"), (f"{LEVER}:15@2020Q1-20x", f"{LEVER} until"),
                       ("no_such_lever:1@2020Q1", "no_such_lever"), (f"{LEVER}:abc@2020Q1", LEVER),
                       ("licence_recognition:yes@2020Q1", "licence_recognition"), ("2020Q1", "timing")):
        with pytest.raises(ConfigError) as exc:
            TimedLever.parse(bad)
        assert field in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(ConfigError, match="one timed change per lever"):
        parse_all([f"{LEVER}:15@2020Q1", f"{LEVER}:20@2021Q1"])
    # the first quarter is the lever's value for the whole run, not a timed change; the end comes after the start
    with pytest.raises(ConfigError, match="after 2019Q1"):
        TimedLever(LEVER, 15.0, (2019, 1)).checked(2019, (2035, 4))
    with pytest.raises(ConfigError, match=f"{LEVER} until"):
        TimedLever(LEVER, 15.0, (2021, 1), (2020, 4)).checked(2019, (2035, 4))


@pytest.mark.sim
def test_lever_from_a_quarter_changes_the_run_only_from_then_and_back():
    from ui.session import Session

    plain, timed = Session(seed=5, scale=SCALE), Session(seed=5, scale=SCALE)
    try:
        plain.step(12)
        timed.step(12)
        before = timed.params()[LEVER]
        timed.set_levers_from({LEVER: 15.0}, (2020, 1), (2021, 1))
        assert timed.steps == 12 and timed.timing == (TimedLever(LEVER, 15.0, (2020, 1), (2021, 1)),)
        a, b = plain.cities(), timed.cities()
        cut = 3 * 5  # rows of the start state and 2019's four quarters (three cities each)
        assert a.iloc[:cut].equals(b.iloc[:cut])  # 2019 is untouched
        assert not a["commuters_out_10k"].iloc[cut:].equals(b["commuters_out_10k"].iloc[cut:])
        log = [(e["year"], e["quarter"], e["params"]) for e in timed.model.policy_log]
        assert (2020, 1, {LEVER: 15.0}) in log and (2021, 1, {LEVER: before}) in log
        assert timed.params()[LEVER] == before  # back under the earlier value from 2021 Q1
        assert timed.settings()["timing"] == [f"{LEVER}:15.0@2020Q1-2021Q1"]
        assert timed.export_tag() != plain.export_tag()
        timed.remove_timing(LEVER)  # without it, the very same run again
        assert timed.timing == () and timed.cities().equals(plain.cities())
    finally:
        plain.close()
        timed.close()


@pytest.mark.sim
def test_link_carries_the_timing():
    from ui import urlstate
    from ui.session import Session

    s, t = Session(seed=5, scale=SCALE), Session(scale=SCALE)
    try:
        s.step(6)
        s.set_levers_from({LEVER: 15.0}, (2019, 3))
        query = urlstate.encode(s)
        assert f"tm={LEVER}:15.0@2019Q3" in query
        urlstate.apply(t, urlstate.decode(query))
        assert t.timing == s.timing and t.cities().equals(s.cities())
        with pytest.raises(ConfigError, match=f"{LEVER} from"):
            urlstate.apply(t, urlstate.decode(f"tm={LEVER}:15.0@2040Q1"))
    finally:
        s.close()
        t.close()


def test_bundle_scenario_file_holds_the_timing(tmp_path):
    """The export bundle's scenario file, read back as a scenario, has the app's dated changes as its timeline:
    the run it describes is the app's run."""
    from model.scenarios import load
    from ui.bundle import scenario_toml
    from ui.timing import with_timing

    timing = parse_all([f"{LEVER}:15.0@2026Q1-2031Q1", "licence_recognition:true@2027Q3"])
    path = tmp_path / "app-run.toml"
    path.write_text(scenario_toml("enclave", {"talent_recognition": 0.5}, timing), encoding="utf-8")
    written, app = load(str(path)), with_timing("enclave", {"talent_recognition": 0.5}, timing)
    assert [(e.year, e.quarter, e.params) for e in written.timeline] == [
        (e.year, e.quarter, e.params) for e in app.timeline]
    assert written.params["talent_recognition"] == 0.5
    assert (2031, 1, {LEVER: load("enclave").resolved({})[LEVER]}) in [
        (e.year, e.quarter, e.params) for e in written.timeline]
