"""Article suggestions: FTS5 with porter stemming, bm25 with the title weighted, a stat-keyed cache."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from supportctl.kb.load import load_kb
from supportctl.kb.search import KbIndex, open_index, query_terms, suggest, ticket_text

REPO = Path(__file__).resolve().parent.parent.parent


def art(title: str, body: str, *, status: str = "published", visibility: str = "public", tags: str = "[]") -> str:
    return (f"---\ntitle: {json.dumps(title)}\ndescription: {json.dumps('About ' + title.lower())}\n"
            f"status: {status}\nvisibility: {visibility}\ntags: {tags}\nupdated: 2026-10-01\n---\n\n{body}\n")


@pytest.fixture
def kbroot(tmp_path) -> Path:
    files = {
        "kb/data/export-to-csv.md": art("Export your data to CSV", "A quick export stops at 1,000 rows. Use the "
                                        "full export for large files."),
        "kb/data/import.md": art("Import from QuickBooks", "Connect QuickBooks Online and import customers. You can "
                                 "export reports from QuickBooks Desktop first."),
        "kb/account/password.md": art("Reset your password", "Click Forgot password. The reset link expires.",
                                      tags="[login]"),
        "kb/account/refunds.md": art("Agents: refund procedure", "Refund the subscription in billing admin.",
                                     visibility="internal"),
        "kb/account/offline.md": art("Offline exporting", "Exporting offline is coming soon.", status="draft"),
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    return tmp_path


def test_query_terms_drop_stopwords_and_greetings():
    assert query_terms("Hi team, thanks! Our CSV export stops at 1,000 rows, please help ASAP") == [
        "csv", "export", "stops", "rows"]
    assert "the" not in query_terms("the export of the invoices")
    assert query_terms("") == []


def test_porter_stemming_matches_other_word_forms(kbroot):
    hits = suggest(kbroot, "exporting my exported files", cache_dir=kbroot / "cache")
    assert hits[0].slug == "export-to-csv"


def test_title_is_weighted_above_the_body(kbroot):
    # "QuickBooks" is in the import article's title and body; "export" is in
    # the CSV article's title and in the import article's body.
    hits = suggest(kbroot, "export", cache_dir=kbroot / "cache")
    assert [h.slug for h in hits][:2] == ["export-to-csv", "import"]
    assert hits[0].score > hits[1].score > 0


def test_snippet_marks_the_matches(kbroot):
    (hit,) = suggest(kbroot, "forgot password link", limit=1, cache_dir=kbroot / "cache", mark=("<", ">"))
    assert hit.slug == "password" and "<Forgot>" in hit.snippet and "<link>" in hit.snippet


def test_drafts_excluded_unless_asked_internal_included(kbroot):
    assert "offline" not in [h.slug for h in suggest(kbroot, "exporting offline", cache_dir=kbroot / "c")]
    assert suggest(kbroot, "exporting offline", include_drafts=True, cache_dir=kbroot / "c")[0].slug == "offline"
    (hit,) = suggest(kbroot, "refund subscription", limit=1, cache_dir=kbroot / "c")
    assert (hit.slug, hit.visibility) == ("refunds", "internal")


def test_the_cache_rereads_only_changed_files(kbroot):
    cache = kbroot / "cache"
    old = time.time() - 60          # files older than the racy window are trusted
    for path in (kbroot / "kb").rglob("*.md"):
        os.utime(path, (old, old))
    index = open_index(kbroot, cache)
    index.close()
    index = KbIndex(kbroot, cache / "kb-search.sqlite")
    assert index.sync() == 0
    target = kbroot / "kb/account/password.md"
    target.write_text(art("Reset your password", "Passkeys replace passwords soon."))
    os.utime(target, (old + 1, old + 1))
    (kbroot / "kb/data/import.md").unlink()
    assert index.sync() == 2
    assert index.sync() == 0
    assert [h.slug for h in index.search("passkeys")] == ["password"]
    assert index.search("quickbooks") == []
    index.close()


def test_a_corrupt_cache_is_rebuilt(kbroot):
    cache = kbroot / "cache"
    cache.mkdir()
    (cache / "kb-search.sqlite").write_bytes(b"this is not a database" * 100)
    assert suggest(kbroot, "password", cache_dir=cache)[0].slug == "password"


# ------------------------------------------------------------- sample desk

# Customer phrasings for the sample desk's ticket topics, and the article
# an agent would send. The sample tickets' own `kb:` links are checked below.
TOPICS = [
    ("CSV export stops at 1,000 rows", "Our invoice export only gives us the first 1000 lines in the CSV file",
     "export-to-csv"),
    ("Invoice PDF shows our old logo", "The invoice PDF still has the old address and the logo looks blurry",
     "customize-invoice-pdf"),
    ("Where is my Stripe payout?", "Customers paid by card last week but the payout never reached our bank",
     "stripe-payouts"),
    ("Bank feed disconnected again", "The bank connection says action needed and no transactions since Monday",
     "fix-a-disconnected-bank-feed"),
    ("Password reset email never arrives", "I clicked forgot password three times, no email", "reset-your-password"),
    ("Lost phone, cannot log in", "New phone, my authenticator app codes are gone and I need two-factor access",
     "two-factor-authentication"),
    ("SAML SSO with Okta", "We are setting up single sign-on with Okta and get invalid audience",
     "set-up-sso-saml"),
    ("Recurring invoice not sent", "The monthly recurring invoice for a client was not created this month",
     "recurring-invoices"),
    ("Wrong exchange rate on USD invoice", "Which exchange rate do you use for invoices in another currency?",
     "multi-currency-invoicing"),
    ("Give our bookkeeper access", "What permissions does the accountant role have compared to admin?",
     "user-roles-and-permissions"),
    ("API returns 429", "Our integration hits the rate limit, too many requests responses", "api-rate-limits"),
    ("API token expired", "How do I create a new API token and revoke the old one?", "api-tokens"),
    ("Migrating from QuickBooks Online", "We want to import our customers and open invoices from QuickBooks",
     "import-from-quickbooks"),
    ("Mobile app not syncing", "The iPhone app shows old data and my changes do not sync", "mobile-app-sync"),
    ("Reverse charge VAT for EU customer", "How do I invoice a business in Germany without VAT, reverse charge?",
     "vat-and-sales-tax"),
    ("Refund for annual plan", "We cancelled our annual subscription last week, can we get a refund?",
     "your-ledgerly-subscription"),
    ("Delete all our data (GDPR)", "Please close our company and delete our personal data under GDPR",
     "delete-your-account"),
]


def _public_only(root: Path, title: str, text: str, cache: Path):
    return [h for h in suggest(root, text, title=title, limit=10, cache_dir=cache) if h.visibility == "public"]


@pytest.mark.parametrize("title,message,expected", TOPICS, ids=[t[2] for t in TOPICS])
def test_top_public_suggestion_for_each_sample_topic(title, message, expected, tmp_path):
    hits = _public_only(REPO, title, message, tmp_path)
    assert hits and hits[0].slug == expected, [(h.slug, round(h.score, 2)) for h in hits[:3]]


def test_every_topic_has_its_article_in_the_sample_kb():
    slugs = {a.slug for a in load_kb(REPO).public()}
    assert {t[2] for t in TOPICS} <= slugs


def test_sample_tickets_get_their_linked_article_first(tmp_path):
    """Each sample ticket that links a KB article gets that article as the top suggestion."""
    from supportctl.desk.store import Desk
    from supportctl.tickets.store import TicketStore

    if not (REPO / "supportctl.yml").exists() or not (REPO / "tickets").is_dir():
        pytest.skip("the sample desk has no tickets yet")
    desk = TicketStore(Desk(REPO))
    kb = load_kb(REPO)
    checked = 0
    for rel in sorted(desk.files()):
        ticket = desk.read(rel)
        linked = [s for s in (ticket.meta.get("kb") or []) if s in kb.by_slug]
        if not linked:
            continue
        title, text = ticket_text(ticket)
        hits = suggest(REPO, text, title=title, limit=3, cache_dir=tmp_path)
        assert hits and hits[0].slug in linked, (rel, ticket.title, linked, [h.slug for h in hits])
        checked += 1
    if not checked:
        pytest.skip("no sample ticket links a KB article yet")
