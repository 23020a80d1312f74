"""Paths to the mail fixtures: real test emails (tests/data/mail) so CI needs nothing outside the repo."""

from __future__ import annotations

from pathlib import Path

import pytest

# Real mail servers started by the tests (Dovecot, aiosmtpd), for every test in this folder.
from tests.mail.servers import (imap_server, imaps_server, smtp_server, smtp_tls_server,  # noqa: F401
                                tls_certificates)

DATA = Path(__file__).resolve().parent.parent / "data" / "mail"
MESSAGES = DATA / "messages"
DESK = "support@ledgerly.example"


@pytest.fixture
def load():
    """Parse a fixture message by file name."""
    from supportctl.mail.message import parse_message

    return lambda name: parse_message((MESSAGES / name).read_bytes())
