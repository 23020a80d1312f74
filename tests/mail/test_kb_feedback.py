"""Help-site feedback by mail: "Was this page helpful? No" mails "Feedback: <title> [kb:<slug>]", which
mail intake files as a kb-feedback ticket linked to the article, and `kb list --used` counts."""

from __future__ import annotations

import json

from tests.mail.test_channel import intake, mail, mail_desk, show  # noqa: F401  (mail_desk is a fixture)


def test_a_feedback_mail_becomes_feedback_linked_to_the_article(mail_desk, cli, tmp_path):
    [result] = intake(cli, tmp_path, mail("Feedback: Welcome [kb:welcome]",
                                          "Page: https://help.example/getting-started/welcome/\n\nNo prices."))
    ticket = show(cli, result["ticket"])
    assert ticket["kb"] == ["welcome"] and ticket["tags"] == ["kb-feedback"]
    # An ordinary mail, and one naming an article that does not exist, are ordinary tickets.
    [plain, unknown] = intake(cli, tmp_path, mail("Export fails", "It fails."),
                              mail("Feedback: Gone [kb:no-such-article]", "Where did it go?"))
    for r in (plain, unknown):
        t = show(cli, r["ticket"])
        assert not t.get("kb") and "kb-feedback" not in (t.get("tags") or [])
    rows = {r["slug"]: r for r in json.loads(cli("kb", "list", "--used", "--json").stdout)}
    assert rows["welcome"]["feedback"] == 1
    assert rows["welcome"]["linked"] == 0 and rows["welcome"]["resolved"] == 0    # feedback is not use
    table = cli("kb", "list", "--used").stdout
    assert "FEEDBACK" in table.splitlines()[0]
