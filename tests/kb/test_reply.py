"""`ticket reply --kb` as data: the reply text with public links, and the articles recording the ticket."""

from __future__ import annotations

import pytest

from supportctl.config.model import Config
from supportctl.errors import SupportctlError
from supportctl.kb.load import load_kb
from supportctl.kb.model import parse_article
from supportctl.kb.reply import reply_links
from tests.kb.kbkit import article, write


def cfg(url: str | None = "https://help.acme.example") -> Config:
    return Config.model_validate({"desk": {"name": "Acme Help", "url": url}, "agents": ["alice"]})


@pytest.fixture
def kb(tmp_path):
    write(tmp_path, {"kb/billing/refunds.md": article("Refunds"), "kb/billing/plans.md": article("Plans"),
                     "kb/billing/runbook.md": article("Runbook", visibility="internal")})
    return load_kb(tmp_path)


def test_links_go_into_the_reply_and_each_article_records_the_ticket(kb):
    out = reply_links(kb, cfg(), "7QH2KD", ["refunds", "plans", "refunds"], "Hi Dana.\n")
    assert out.text == ("Hi Dana.\n\nRefunds: https://help.acme.example/billing/refunds/\n"
                        "Plans: https://help.acme.example/billing/plans/")
    assert out.slugs == ["refunds", "plans"] and sorted(out.files) == ["kb/billing/plans.md", "kb/billing/refunds.md"]
    assert parse_article(out.files["kb/billing/refunds.md"], "kb/billing/refunds.md").tickets == ["7QH2KD"]
    assert out.new_links(["plans"]) == ["refunds"]


def test_no_text_gets_a_sentence_and_a_link_already_written_is_not_repeated(kb):
    assert reply_links(kb, cfg(), "T1", ["refunds"], None).text.startswith("This article explains it step by step:")
    text = "See https://help.acme.example/billing/refunds/ for the steps."
    assert reply_links(kb, cfg(), "T1", ["refunds"], text).text == text


def test_internal_articles_and_desks_without_an_address_are_refused(kb):
    with pytest.raises(SupportctlError, match="no public link"):
        reply_links(kb, cfg(), "T1", ["runbook"], "x")
    with pytest.raises(SupportctlError, match="no public address"):
        reply_links(kb, cfg(url=None), "T1", ["refunds"], "x")
