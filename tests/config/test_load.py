"""Issue 9: every bad supportctl.yml is a ConfigError (path, line, hint), quickly; nothing later can overflow."""

from __future__ import annotations

import time

import pytest

from supportctl.config.model import MAX_DURATION, load_config
from supportctl.errors import ConfigError
from tests.conftest import TEST_CONFIG


def write(tmp_path, text: str | bytes):
    path = tmp_path / "supportctl.yml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def error_for(tmp_path, text: str | bytes) -> ConfigError:
    start = time.monotonic()
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert time.monotonic() - start < 2, "rejecting a config must be quick"
    err = info.value
    assert err.path == "supportctl.yml" and err.hint, err
    assert len(err.message) < 400, "a message never repeats a huge value in full"
    return err


def line_of(text: str, needle: str) -> int:
    return text[:text.index(needle)].count("\n") + 1


def changed(old: str, new: str) -> str:
    assert old in TEST_CONFIG
    return TEST_CONFIG.replace(old, new, 1)


def test_a_latin1_byte_names_its_line(tmp_path):
    err = error_for(tmp_path, changed("name: Test Desk", "name: Test D\xe9sk").encode("latin-1"))
    assert "not UTF-8" in err.message and err.line == 2 and "UTF-8" in err.hint


@pytest.mark.parametrize("holiday, message", [
    ('"2026-13-01"', "not a date"), ('"2026-02-30"', "not a date"), ('"02-30"', "not a date"),
    ('"13-01"', "not a date"), ('"0000-01-01"', "between 1900 and 2200"), ('"9999-12-31"', "between 1900"),
    ("2026-13-01", "cannot be read"), ("2026-02-30", "cannot be read"),   # unquoted: YAML's date constructor
])
def test_impossible_holidays_are_rejected(tmp_path, holiday, message):
    err = error_for(tmp_path, changed('holidays: ["12-25", "12-26"]', f"holidays: [{holiday}]"))
    assert message in err.message, err.message


@pytest.mark.parametrize("holiday", ["2026-02-30", "2026-13-01"])
def test_an_unquoted_impossible_date_names_its_line_and_key_and_says_to_quote_it(tmp_path, holiday):
    text = changed('holidays: ["12-25", "12-26"]', f'holidays: ["12-25", {holiday}]')
    err = error_for(tmp_path, text)
    assert err.line == line_of(text, holiday)
    assert err.message.startswith(f"calendars.office.holidays.1: {holiday} cannot be read")
    assert err.hint.startswith(f'quote it ("{holiday}")')


def test_real_holidays_quoted_or_not_are_accepted(tmp_path):
    config = load_config(write(tmp_path, changed('holidays: ["12-25", "12-26"]',
                                                 'holidays: ["02-29", 2026-12-31, "1900-01-01", "2200-12-31"]')))
    assert config.calendars["office"].holidays == ["02-29", "2026-12-31", "1900-01-01", "2200-12-31"]


@pytest.mark.parametrize("value", ["999999999999", "9" * 300, "99999999d", "731d", ".inf", "-.inf", ".nan",
                                   "1e400s", "9" * 80 + "h", "0", "-5"])
def test_durations_are_bounded(tmp_path, value):
    text = changed("first_response: 1h", f"first_response: {value}")
    err = error_for(tmp_path, text)
    assert "first_response" in err.message and err.line == line_of(text, "first_response")


def test_a_300_digit_after_is_rejected(tmp_path):
    text = changed("solved: {category: solved, pauses_sla: true}",
                   "solved: {category: solved, pauses_sla: true, next_state: closed, after: " + "9" * 300 + "}")
    err = error_for(tmp_path, text)
    assert "after" in err.message and "longest duration" in err.message


def test_a_5000_digit_number_is_a_config_error(tmp_path):
    err = error_for(tmp_path, changed("first_response: 1h", "first_response: " + "9" * 5000))
    assert "cannot be read" in err.message


def test_the_longest_allowed_duration_loads(tmp_path):
    config = load_config(write(tmp_path, changed("resolution: 8h", f"resolution: {MAX_DURATION // 86400}d")))
    assert config.sla.policies[0].resolution == MAX_DURATION


def test_within_days_and_other_numbers_are_bounded(tmp_path):
    assert "within_days" in error_for(tmp_path, changed("reopen: {closed: new_ticket}",
                                                        "reopen: {closed: reopen, within_days: 99999999999}")).message
    assert "stale_after_months" in error_for(tmp_path, TEST_CONFIG + "kb: {stale_after_months: 99999999999}\n").message


def test_a_target_a_calendar_cannot_reach_in_years_is_rejected(tmp_path):
    text = changed('      mon: ["08:00-13:00", "14:00-18:00"]\n      tue: ["08:00-18:00"]\n      wed: ["08:00-18:00"]\n'
                   '      thu: ["08:00-18:00"]\n      fri: ["08:00-18:00"]\n', '      mon: ["08:00-08:01"]\n')
    err = error_for(tmp_path, text.replace("resolution: 27h", "resolution: 700d"))
    assert "takes more than 5 years in calendar office" in err.message


def test_a_warn_before_that_is_not_a_percentage_is_explained(tmp_path):
    assert "not a percentage" in error_for(tmp_path, changed("warn_before: 25%", "warn_before: abc%")).message


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi"))


def test_an_alias_bomb_is_refused_before_expansion(tmp_path):
    err = error_for(tmp_path, BOMB + TEST_CONFIG)
    assert "anchors and aliases" in err.message and err.line == 1


def test_even_a_single_alias_is_refused(tmp_path):
    text = changed("calendar: always", "calendar: &cal always").replace("calendar: office", "calendar: *cal")
    err = error_for(tmp_path, text)
    assert "anchors and aliases" in err.message and err.line == line_of(text, "&cal")


@pytest.mark.parametrize("depth", [20, 3000])
def test_deep_nesting_is_refused(tmp_path, depth):
    err = error_for(tmp_path, TEST_CONFIG + "x: " + "[" * depth + "]" * depth + "\n")
    assert "nest" in err.message and err.line == TEST_CONFIG.count("\n") + 1


def test_a_duplicate_key_is_refused_at_its_second_line(tmp_path):
    err = error_for(tmp_path, TEST_CONFIG + "desk: {name: Other}\n")
    assert "duplicate key 'desk'" in err.message and err.line == TEST_CONFIG.count("\n") + 1


@pytest.mark.parametrize("note", ["../../../../etc/passwd", "/etc/passwd", "notes/../../x", "~/x", "C:/x"])
def test_an_escalation_note_must_name_a_file_inside_templates(tmp_path, note):
    text = changed("      warn_before: 25%\n", f"      warn_before: 25%\n      escalate: [{{note: \"{note}\"}}]\n")
    err = error_for(tmp_path, text)
    assert "template name" in err.message and "note" in err.message


@pytest.mark.parametrize("old, new", [
    ("  alice: {", "  \"al ice\": {"),
    ("  tier-1: {}", "  tier-1: {}\n  \"tier-3\\n### message\": {}"),
    ("    new: {category: new}", "    new: {category: new}\n    \"on hold\": {category: pending}"),
    ("name: Test Desk", "name: \"Test\\nDesk\""),
    ("name: Alice Adams", "name: \"Alice\\r(agent)\""),
])
def test_names_are_one_token_and_texts_one_line(tmp_path, old, new):
    error_for(tmp_path, changed(old, new))


def test_a_lone_surrogate_is_refused(tmp_path):
    assert "Unicode" in error_for(tmp_path, changed("name: Test Desk", 'name: "Test \\ud800"')).message


def test_a_folder_or_a_huge_file_is_a_config_error(tmp_path):
    (tmp_path / "supportctl.yml").mkdir()
    with pytest.raises(ConfigError):
        load_config(tmp_path / "supportctl.yml")
    (tmp_path / "supportctl.yml").rmdir()
    assert "KB" in error_for(tmp_path, TEST_CONFIG + "#" * 2_000_000 + "\n").message


def test_unknown_holiday_countries_are_rejected_when_malformed(tmp_path):
    text = changed("    holidays: [\"12-25\", \"12-26\"]\n", "    holidays: [\"12-25\", \"12-26\"]\n"
                   "    holidays_from: {country: \"../../x\"}\n")
    assert "country" in error_for(tmp_path, text).message


def test_the_sample_desk_config_loads():
    from pathlib import Path

    config = load_config(Path(__file__).parents[2] / "supportctl.yml")
    assert config.sla.policies[0].escalate[0].note == "notes/sla-breach"
