"""Helpers for the KB tests: a config, article text, and files written into a temporary desk."""

from __future__ import annotations

import textwrap
from datetime import datetime, timezone
from pathlib import Path

from supportctl.config.model import Config
from supportctl.kb.checks import check_articles
from supportctl.kb.load import load_kb

REPO = Path(__file__).resolve().parent.parent.parent
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def config(**kb) -> Config:
    return Config.model_validate({"desk": {"name": "Acme Help", "support_email": "help@acme.io"},
                                  "agents": ["alice", "bob"], "kb": kb})


def article(title: str, *, status: str = "published", visibility: str = "public", body: str = "Text.\n",
            description: str | None = "What it is about.", updated: str = "2026-10-01", tags: str = "[billing]",
            related: str = "[]", extra: str = "") -> str:
    desc = f"description: {description}\n" if description is not None else ""
    return (f"---\ntitle: {title}\n{desc}status: {status}\nvisibility: {visibility}\ntags: {tags}\n"
            f"owner: alice\nupdated: {updated}\nrelated: {related}\n{extra}---\n\n{body}")


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if rel.endswith(".yml") else text, encoding="utf-8")
    return root


def problems(root: Path, cfg: Config | None = None, now: datetime = NOW):
    return check_articles(load_kb(root, cfg or config()), cfg or config(), now)


def codes(found) -> list[tuple[str, str, int | None]]:
    return [(p.code, p.path, p.line) for p in found]
