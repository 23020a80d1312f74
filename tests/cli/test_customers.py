"""Customers and organisations end to end: files in customers/, linking new tickets, merge, SLA and rules."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import TEST_CONFIG, git, new_ticket


def js(cli, *args: str):
    return json.loads(cli(*args, "--json").stdout)


def setup_acme(cli) -> None:
    cli("org", "new", "Acme Ltd", "--domain", "acme.example", "--plan", "enterprise", "--as", "alice")
    cli("customer", "new", "Dana Smith", "--email", "dana@acme.example", "--as", "alice")
    cli("customer", "new", "Dana on GitHub", "--github", "danacodes", "--as", "alice")


def test_new_customers_and_organisations_are_files_and_commits(desk, cli):
    setup_acme(cli)
    assert yaml.safe_load((desk / "customers/orgs/acme-ltd.yml").read_text()) == \
        {"name": "Acme Ltd", "domains": ["acme.example"], "plan": "enterprise"}
    assert yaml.safe_load((desk / "customers/dana-acme-example.yml").read_text()) == \
        {"name": "Dana Smith", "email": "dana@acme.example"}
    assert "customer danacodes: new" in git(desk, "log", "-1", "--format=%s")
    assert [c["slug"] for c in js(cli, "customer", "list")] == ["dana-acme-example", "danacodes"]
    [dana] = js(cli, "customer", "list", "--org", "acme-ltd")
    assert dana["organization"] == "acme-ltd" and dana["plan"] == "enterprise"
    assert [(o["slug"], o["customers"]) for o in js(cli, "org", "list")] == [("acme-ltd", 1)]
    cli("customer", "set", "dana-acme", "plan=pro", "fields.seats=12", "--phone", "+353 87 123 4567", "--as", "bob")
    data = yaml.safe_load((desk / "customers/dana-acme-example.yml").read_text())
    assert data["plan"] == "pro" and data["phone"] == "+353871234567" and data["fields"] == {"seats": "12"}
    cli("org", "set", "acme", "--domain", "acme.example.org", "notes=Key account", "--as", "bob")
    assert yaml.safe_load((desk / "customers/orgs/acme-ltd.yml").read_text())["domains"] == \
        ["acme.example", "acme.example.org"]


def test_a_new_ticket_is_linked_to_its_customer_and_organisation(desk, cli):
    setup_acme(cli)
    known = new_ticket(cli, requester="Dana <dana@acme.example>")
    colleague = new_ticket(cli, requester="Eve <eve@acme.example>")
    stranger = new_ticket(cli, requester="Zed <zed@else.example>")
    text = (desk / "tickets" / f"{known}.md").read_text()
    assert "customer: dana-acme-example\norganization: acme-ltd\n" in text
    assert "organization: acme-ltd" in (desk / "tickets" / f"{colleague}.md").read_text()
    assert "organization:" not in (desk / "tickets" / f"{stranger}.md").read_text()
    assert not (desk / "customers" / "zed-else-example.yml").exists()   # auto-create is off by default
    listed = json.loads(cli("ticket", "list", "--org", "acme-ltd", "--json").stdout)
    assert {t["id"] for t in listed} == {known, colleague}
    cli("ticket", "status", known, "solved", "--as", "alice")
    cli("ticket", "rate", known, "good")
    cli("customer", "rate", "dana@acme.example", "9")
    shown = js(cli, "customer", "show", "dana@acme.example")
    assert [t["id"] for t in shown["tickets"]] == [known]
    assert shown["csat"] == {"ratings": 1, "satisfied": 1, "percent": 100}
    assert [a["score"] for a in shown["nps"]] == [9]
    org = js(cli, "org", "show", "acme-ltd")
    assert [t["id"] for t in org["tickets"]] == [colleague, known]     # open first
    assert org["customers"] == ["dana-acme-example"]
    human = cli("customer", "show", "dana-acme-example")
    assert "CSAT: 100% satisfied of 1 rating" in human.stdout and "NPS: latest 9" in human.stdout


def test_an_unknown_requester_becomes_a_customer_when_the_desk_says_so(desk, cli):
    with open(desk / "supportctl.yml", "a") as fh:
        fh.write("customers_auto_create: true\n")
    git(desk, "commit", "-qam", "auto-create customers")
    setup_acme(cli)
    tid = new_ticket(cli, requester="Eve <eve@acme.example>")
    assert yaml.safe_load((desk / "customers/eve-acme-example.yml").read_text()) == \
        {"name": "Eve", "email": "eve@acme.example", "organization": "acme-ltd"}
    assert "customers/eve-acme-example.yml" in git(desk, "show", "--name-only", "--format=", "HEAD")
    assert "customer: eve-acme-example" in (desk / "tickets" / f"{tid}.md").read_text()
    phone = new_ticket(cli, "--channel", "phone", requester="+353 87 123 4567")
    assert "customer: phone-353871234567" in (desk / "tickets" / f"{phone}.md").read_text()
    assert cli("check").exit_code == 0


def test_merging_two_records_of_one_person_keeps_every_ticket(desk, cli):
    setup_acme(cli)
    by_mail = new_ticket(cli, requester="Dana <dana@acme.example>")
    by_github = new_ticket(cli, "--channel", "github", requester="Dana <github:danacodes>")
    before = int(git(desk, "rev-list", "--count", "HEAD"))
    result = js(cli, "customer", "merge", "dana-acme-example", "danacodes", "--as", "alice")
    assert result["tickets"] == [by_github]
    assert int(git(desk, "rev-list", "--count", "HEAD")) == before + 1
    assert not (desk / "customers/danacodes.yml").exists()
    data = yaml.safe_load((desk / "customers/dana-acme-example.yml").read_text())
    assert data["email"] == "dana@acme.example" and data["github"] == "danacodes"
    assert {t["id"] for t in js(cli, "customer", "show", "dana-acme-example")["tickets"]} == {by_mail, by_github}
    assert git(desk, "status", "--porcelain") == ""


def test_bad_customer_files_are_reported_by_check_and_refused_by_commands(desk, cli):
    setup_acme(cli)
    (desk / "customers" / "twin.yml").write_text("name: Twin\nemail: dana@acme.example\norganization: nope\n")
    result = cli("check", ok=False)
    out = result.stdout + result.stderr
    assert result.exit_code == 1
    assert "customers/twin.yml:2" in out and "also on customer dana-acme-example" in out
    assert "customers/twin.yml:3" in out and "unknown organisation 'nope'" in out
    (desk / "customers" / "twin.yml").unlink()
    r = cli("customer", "new", "Again", "--email", "dana@acme.example", "--as", "alice", ok=False)
    assert r.exit_code == 2 and "also on customer" in r.stderr
    r = cli("customer", "set", "dana-acme", "organization=nope", "--as", "alice", ok=False)
    assert "no organisation 'nope'" in r.stderr
    r = cli("customer", "show", "nobody", ok=False)
    assert r.exit_code == 1 and "no customer 'nobody'" in r.stderr


def test_sla_policies_and_automations_match_on_organisation_and_plan(desk, cli):
    config = yaml.safe_load(TEST_CONFIG)
    config["sla"]["policies"].insert(0, {"name": "enterprise", "match": {"plan": "enterprise"},
                                         "calendar": "always", "first_response": "30m"})
    config["sla"]["policies"].insert(0, {"name": "acme", "match": {"organization": "tiny"},
                                         "calendar": "always", "first_response": "15m"})
    config["automations"] = [{"name": "vip", "when": "created", "if": {"plan": "enterprise"},
                              "do": {"tags": {"add": ["vip"]}}}]
    (desk / "supportctl.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    git(desk, "commit", "-qam", "plans")
    setup_acme(cli)
    cli("org", "new", "Tiny", "--domain", "tiny.example", "--as", "alice")
    vip = new_ticket(cli, requester="Eve <eve@acme.example>")
    tiny = new_ticket(cli, requester="Tim <tim@tiny.example>")
    plain = new_ticket(cli)
    policies = {d["id"]: d["policy"] for d in js(cli, "sla", "status")}
    assert policies == {vip: "enterprise", tiny: "acme", plain: "standard"}
    assert js(cli, "ticket", "show", vip)["tags"] == ["vip"]
    assert js(cli, "ticket", "show", plain)["tags"] == []
    assert cli("check").exit_code == 0
    config["sla"]["policies"][0]["match"] = {"organization": "tiny-typo"}
    (desk / "supportctl.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = cli("check", ok=False)
    assert "unknown organisation 'tiny-typo'" in result.stdout + result.stderr


def test_the_sample_desk_premium_customers_are_enterprise_organisations(cli, monkeypatch):
    root = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(root)
    assert "customers:premium" not in (root / "supportctl.yml").read_text()
    orgs = {o["slug"]: o for o in js(cli, "org", "list")}
    assert {s for s, o in orgs.items() if o["plan"] == "enterprise"} == \
        {"brennan-architects", "kilkenny-brewing", "northwind-trading"}
    fiona = js(cli, "customer", "show", "fiona.walsh@walshdental.example")
    assert fiona["plan"] == "enterprise" and fiona["organization"] == "walsh-dental"
    # Two mails and a phone call (found by her number), the open one first.
    assert [t["channel"] for t in fiona["tickets"]] == ["phone", "email", "email"]
    judy = js(cli, "customer", "show", "@judy_tweets")
    assert [t["channel"] for t in judy["tickets"]] == ["social"]
    # The sample channels are already imported: importing them again changes nothing.
    for kind, files in (("chat", ["chat.jsonl"]), ("calls", ["calls.csv"]),
                        ("github", ["github-issues.json", "github-comments.json"])):
        found = js(cli, "import", kind, "--dry-run", *(f"samples/channels/{f}" for f in files))
        assert {r["action"] for r in found} == {"unchanged"}, kind


def test_mail_intake_links_new_tickets_and_creates_one_customer_per_unknown_sender(desk, cli, tmp_path):
    from tests.mail.test_channel import mail

    with open(desk / "supportctl.yml", "a") as fh:
        fh.write("customers_auto_create: true\nmail:\n  address: support@desk.example\n  subject_tag: Test\n")
    git(desk, "commit", "-qam", "mail and auto-create")
    setup_acme(cli)
    paths = []
    for n, (sender, subject) in enumerate([("Dana <dana@acme.example>", "Export"), ("Eve <eve@acme.example>", "Login"),
                                           ("Eve <eve@acme.example>", "Another")]):
        path = tmp_path / f"{n}.eml"
        path.write_bytes(mail(subject, "Help please.", sender=sender))
        paths.append(path)
    results = json.loads(cli("mail", "import", *paths, "--json").stdout)
    texts = [(desk / "tickets" / f"{r['ticket']}.md").read_text() for r in results]
    assert "customer: dana-acme-example\norganization: acme-ltd" in texts[0]
    assert all("customer: eve-acme-example\norganization: acme-ltd" in t for t in texts[1:])
    assert sorted(p.name for p in (desk / "customers").glob("*.yml")) == \
        ["dana-acme-example.yml", "danacodes.yml", "eve-acme-example.yml"]
    assert git(desk, "status", "--porcelain") == ""
