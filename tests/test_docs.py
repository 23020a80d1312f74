"""The docs cannot drift from the code: the CLI reference is generated and compared."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_cli_reference_is_up_to_date():
    from supportctl.cli.reference import render

    assert (ROOT / "docs" / "cli.md").read_text() == render(), \
        "docs/cli.md is stale: run `python -m supportctl.cli.reference > docs/cli.md`"


def test_every_command_has_a_one_line_help():
    from typer.main import get_command

    from supportctl.cli import app

    def walk(command, path):
        assert (command.help or "").strip(), f"{path} has no help"
        assert "\n" not in command.help.strip().split("\n\n")[0], f"{path}: first help line wraps"
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, f"{path} {name}")

    walk(get_command(app), "supportctl")


def test_readme_opens_with_the_two_commands_and_its_links_exist():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1)
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert commands[0].endswith("supportctl queue")
    assert commands[1] == (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    for link in re.findall(r"\]\((docs/[^)#]+)\)", readme):
        assert (ROOT / link).is_file(), link


def test_the_sample_desk_uses_the_same_site_overrides_that_init_writes():
    """The sample desk's mkdocs.yml, theme overrides and article template are init's own: they cannot drift apart."""
    from supportctl.starter.scaffold import starter_files

    shared = {rel: text for rel, text in starter_files("Ledgerly Help Center", date.today()).items()
              if rel.startswith(("overrides/", "templates/kb/", "mkdocs.yml"))}
    assert shared
    for rel, text in shared.items():
        assert (ROOT / rel).read_text() == text, f"{rel} differs from what supportctl init writes"
    # ... and the sample desk has no override of its own that a new desk would lack.
    sample = {p.relative_to(ROOT).as_posix() for p in (ROOT / "overrides").rglob("*") if p.is_file()}
    assert sample == {rel for rel in shared if rel.startswith("overrides/")}


def test_the_starter_article_template_is_the_one_kb_new_falls_back_to():
    from supportctl.kb.edits import DEFAULT_TEMPLATE
    from supportctl.starter.scaffold import starter_files

    assert starter_files("Acme", date.today())["templates/kb/article.md"] == DEFAULT_TEMPLATE


def test_the_readme_tour_runs_as_written(tmp_path):
    """Every shell block of "A tour" runs, in order, in one bash, from a checkout with `.venv`."""
    import os
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text()
    tour = readme.split("## A tour", 1)[1].split("\n## ", 1)[0]
    script = "\n".join(re.findall(r"```sh\n(.*?)```", tour, re.S))
    assert script.startswith(". .venv/bin/activate")
    # The tour asks the reader to write the article; a stand-in editor writes one.
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\ncat > \"$1\" <<'EOF'\n---\ntitle: Export more than 1,000 rows\n"
                      "description: Exports stream every row; older exports stopped at 1,000.\n"
                      "status: draft\nvisibility: public\ntags: [export]\n---\n\n"
                      "Exports now include every row. Run the export again to get all of them.\n"
                      "EOF\n")
    editor.chmod(0o755)
    (tmp_path / ".venv").symlink_to(sys.prefix)
    env = {**os.environ, "EDITOR": str(editor)}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"the tour stopped:\n{proc.stderr[-3000:]}"
    assert (tmp_path / "acme" / "site" / "index.html").is_file()
