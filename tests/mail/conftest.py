"""Paths to the mail fixtures: real test emails (tests/data/mail) so CI needs nothing outside the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "mail"
MESSAGES = DATA / "messages"
DESK = "support@ledgerly.example"


@pytest.fixture
def load():
    """Parse a fixture message by file name."""
    from supportctl.mail.message import parse_message

    return lambda name: parse_message((MESSAGES / name).read_bytes())
