"""Issue 16: the validated config as plain objects, and the cache that spares read commands pydantic."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pydantic
import pytest

from supportctl.config import automation, mail, model, sla, views
from supportctl.config.load import load_config
from supportctl.errors import ConfigError
from tests.conftest import TEST_CONFIG

ROOT = Path(__file__).resolve().parents[2]
RULES = """
automations:
  - name: bump-pending
    when: {status: pending, after: 3d}
    if: {priority: [high, urgent], fields: {plan: pro}}
    do: {assign: {round_robin: tier-1}, tags: {add: [chased]}, note: notes/chase}
  - name: ack
    when: created
    do: {priority: high, assign: alice}
mail:
  address: Help@Desk.example
  subject_tag: Desk
  deliver_since: 2026-12-01T00:00:00+01:00
  smtp: {host: smtp.desk.example}
"""


def models() -> list[type]:
    found = []
    for module in (model, sla, automation, mail):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, pydantic.BaseModel) and cls.__module__ == module.__name__ and cls.model_fields:
                found.append(cls)
    return found


@pytest.mark.parametrize("cls", models(), ids=lambda c: c.__name__)
def test_every_model_takes_its_methods_from_the_view_of_the_same_name(cls):
    view = getattr(views, cls.__name__)
    assert issubclass(cls, view)
    for name, member in vars(cls).items():   # a method on the model alone would be missing from the view
        assert not (inspect.isfunction(member) or isinstance(member, property)) or name.startswith(("_", "model_")), \
            f"{cls.__name__}.{name} belongs in config/views.py"


def test_a_view_has_what_the_model_has_and_survives_the_cache(tmp_path):
    path = tmp_path / "supportctl.yml"
    path.write_text(TEST_CONFIG + RULES)
    validated = model.Config.model_validate(__import__("yaml").safe_load(path.read_text()))
    config = load_config(path)
    assert isinstance(config, views.Config) and not isinstance(config, pydantic.BaseModel)
    assert config.model_dump() == validated.model_dump()
    assert config.lifecycle.allowed("solved") == validated.lifecycle.allowed("solved")
    assert config.sla.policies[0].warn_seconds("resolution") == validated.sla.policies[0].warn_seconds("resolution")
    rule = config.automations[0]
    assert isinstance(rule.when, views.TimeTrigger) and rule.when.anchor == "status" and not rule.is_event
    assert rule.do.assign.how == "round_robin" and rule.do.fields().tags.add == ["chased"]
    assert config.automations[1].do.fields().assignee == "alice"
    assert config.mail.domain == "desk.example" and config.mail.deliver_since.utcoffset().total_seconds() == 3600
    assert config.agent_map()["alice"].email == "alice@desk.example"
    with pytest.raises(AttributeError):
        config.desk.name = "Other"
    cache = tmp_path / "cache" / "config.marshal"
    first = load_config(path, cache=cache)
    assert cache.exists() and first == config
    again = load_config(path, cache=cache)
    assert again == config and again.mail.deliver_since == validated.mail.deliver_since


def test_an_agent_listed_by_name_has_the_models_defaults():
    assert views.default_agent().model_dump() == model.Agent().model_dump()


def test_the_cache_follows_the_file(tmp_path):
    path, cache = tmp_path / "supportctl.yml", tmp_path / "cache" / "config.marshal"
    path.write_text(TEST_CONFIG)
    assert load_config(path, cache=cache).desk.name == "Test Desk"
    path.write_text(TEST_CONFIG.replace("name: Test Desk", "name: Other Desk"))
    assert load_config(path, cache=cache).desk.name == "Other Desk"
    path.write_text(TEST_CONFIG.replace("agents:", "agent:"))   # the same error as without a cache
    with pytest.raises(ConfigError) as err:
        load_config(path, cache=cache)
    assert err.value.line == 5 and "unknown key 'agent'" in err.value.message
    cache.write_bytes(b"\x00garbage")
    path.write_text(TEST_CONFIG)
    assert load_config(path, cache=cache).desk.name == "Test Desk"


def test_a_read_command_on_an_unchanged_config_imports_neither_pydantic_nor_yaml_for_it(desk):
    code = ("import sys; from supportctl.desk.store import Desk; d = Desk.find(); "
            "print(d.config.lifecycle.category('open'), 'pydantic' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.run([sys.executable, "-c", code], cwd=desk, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run([sys.executable, "-c", code], cwd=desk, env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split() == ["open", "True"]
    assert second.stdout.split() == ["open", "False"]


@pytest.mark.parametrize("command", [["ticket", "list"], ["queue"], ["sla", "check"], ["report", "summary"]])
def test_a_read_command_on_an_unchanged_desk_imports_no_yaml_and_no_config_models(desk, cli, command):
    import time

    from tests.conftest import new_ticket

    new_ticket(cli)
    from supportctl.desk.store import RACY_NS

    old = time.time() - 3600
    for path in desk.rglob("*"):
        if ".git" not in path.parts and path.is_file():
            os.utime(path, (old, old))
    time.sleep(RACY_NS / 1e9 + 0.1)   # setting the mtime changed the ctime: let the caches trust it
    # The CLI's own entry (the console script leaves with os._exit, before anything could be printed).
    code = ("import sys\nsys.argv = ['supportctl', *sys.argv[1:]]\nfrom supportctl.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('yaml', 'supportctl.config.model') if m in sys.modules), file=sys.stderr)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The first runs fill the caches (the ticket index saves timelines when one first needs them).
    runs = [subprocess.run([sys.executable, "-c", code, *command], cwd=desk, env=env, capture_output=True, text=True)
            for _ in range(3)]
    assert runs[-1].stderr.strip().splitlines()[-1] == "[]", runs[-1].stderr
