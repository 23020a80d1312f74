"""supportctl.yml validation: strict keys, clear errors with file and line."""

from __future__ import annotations

import pytest

from supportctl.config.model import load_config
from supportctl.errors import ConfigError
from tests.conftest import TEST_CONFIG


def write(tmp_path, text):
    path = tmp_path / "supportctl.yml"
    path.write_text(text)
    return path


def error_for(tmp_path, text) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    return info.value


def test_the_test_config_and_the_init_template_are_valid(tmp_path):
    from supportctl.starter.scaffold import desk_files

    config = load_config(write(tmp_path, TEST_CONFIG))
    assert config.desk.timezone == "Europe/Berlin"
    assert list(config.agent_map()) == ["alice", "bob", "carol"]
    assert config.sla.policies[0].first_response == 3600
    assert config.sla.policies[1].resolution == 27 * 3600
    assert config.lifecycle.reopen_state() == "open"
    assert config.lifecycle.allowed("solved") == ["open", "closed"]
    text = desk_files("Acme Help", "Europe/Dublin", "alice", "Alice", "alice@example.com")["supportctl.yml"]
    assert load_config(write(tmp_path, text)).desk.name == "Acme Help"


def test_a_typo_in_a_key_names_the_key_and_line(tmp_path):
    err = error_for(tmp_path, TEST_CONFIG.replace("  timezone: Europe/Berlin\n  url", "  timezon: Europe/Berlin\n  url"))
    assert err.message == "unknown key 'desk.timezon'" and err.line == 3 and err.path == "supportctl.yml"
    assert err.hint


def test_ambiguous_yaml_11_values_are_rejected_with_a_hint(tmp_path):
    err = error_for(tmp_path, TEST_CONFIG.replace("pauses_sla: true}\n    solved", "pauses_sla: yes}\n    solved"))
    assert "ambiguous value yes" in err.message and "quote it" in err.hint
    assert err.line == 33


@pytest.mark.parametrize("change, message", [
    (("timezone: Europe/Berlin\n  url", "timezone: Mars/Olympus\n  url"), "unknown time zone"),
    (("tue: [\"08:00-18:00\"]", "tue: [\"18:00-08:00\"]"), "must start before it ends"),
    (("tue: [\"08:00-18:00\"]", "tue: [\"8-18\"]"), "is not an interval"),
    (("holidays: [\"12-25\", \"12-26\"]", "holidays: [\"25.12.\"]"), "must be YYYY-MM-DD"),
    (("calendar: office", "calendar: weekend"), "calendar 'weekend' is not defined"),
    (("resolution: 27h", "resolution: 27 hours"), "is not a duration"),
    (("warn_before: 25%", "warn_before: 125%"), "between 0% and 100%"),
    (("initial: new", "initial: fresh"), "initial state 'fresh'"),
    (("new: [open, pending, solved, closed]", "new: [open, waiting]"), "new -> 'waiting': not a state"),
    (("tier-2: {escalates_from: tier-1}", "tier-2: {escalates_from: tier-0}"), "'tier-0' is not a group"),
])
def test_invalid_values_are_explained(tmp_path, change, message):
    old, new = change
    assert old in TEST_CONFIG
    err = error_for(tmp_path, TEST_CONFIG.replace(old, new, 1))
    assert message in err.message, err.message
    assert err.path == "supportctl.yml" and err.line


def test_a_calendar_without_any_opening_time_is_an_error(tmp_path):
    text = TEST_CONFIG.replace('      mon: ["08:00-13:00", "14:00-18:00"]\n      tue: ["08:00-18:00"]\n'
                               '      wed: ["08:00-18:00"]\n      thu: ["08:00-18:00"]\n      fri: ["08:00-18:00"]\n',
                               "      mon: []\n")
    assert "no opening hours at all" in error_for(tmp_path, text).message


def test_broken_yaml_is_reported_with_its_line(tmp_path):
    err = error_for(tmp_path, "desk:\n  name: [Acme\n")
    assert "not valid YAML" in err.message and err.line == 2


def test_site_feedback_is_mail_or_github_and_github_needs_a_repository(tmp_path):
    assert load_config(write(tmp_path, TEST_CONFIG + "site: {feedback: mail}\n")).site.feedback == "mail"
    assert "'mail' or 'github'" in error_for(tmp_path, TEST_CONFIG + "site: {feedback: slack}\n").message
    err = error_for(tmp_path, TEST_CONFIG + "site: {feedback: github}\n")
    assert "site.feedback: github needs desk.repo_url" in err.message
    with_repo = TEST_CONFIG.replace("desk:\n", "desk:\n  repo_url: https://github.com/acme/help\n", 1)
    assert load_config(write(tmp_path, with_repo + "site: {feedback: github}\n")).site.feedback == "github"
