"""The "Contact support" page: the request form's fields (categories, intake template), where it sends a
request (mail or a GitHub issue form), the starter's issue form. The form in a browser: test_browser.py."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from supportctl.config.model import Config
from supportctl.errors import SupportctlError
from supportctl.kb.load import load_kb
from supportctl.site.build import build
from supportctl.site.contact import parse_intake
from supportctl.site.stage import stage
from tests.site.test_build import DESK, NOW, make_desk
from tests.site.test_escaping import Page

STARTER_FORM = Path(__file__).parents[2] / "supportctl/starter/files/dot-github/ISSUE_TEMPLATE/support.yml"

INTAKE = """\
fields:
  - id: order
    label: Order number
    help: On your receipt, e.g. LG-1234
  - id: plan
    label: Plan <b>&</b>
    type: select
    options: [Starter, "Pro <script>alert(1)</script>"]
    required: true
  - id: steps
    label: Steps to reproduce
    type: textarea
"""


def staged_contact(root: Path) -> dict:
    text = (root / "site_docs/contact/index.md").read_text()
    return yaml.safe_load(text.split("---\n")[1])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root, cfg = make_desk(tmp_path_factory.mktemp("contact") / "desk")
    (root / "templates/intake").mkdir(parents=True)
    (root / "templates/intake/request.yml").write_text(INTAKE)
    report = build(root, cfg, now=NOW, out=root / "out")
    return root, cfg, report


def test_the_contact_page_has_a_labelled_field_for_each_part_of_a_request(built):
    root, cfg, report = built
    page = (report.out / "contact/index.html").read_text()
    parsed = Page(page)
    labels = {a["for"] for t, a in parsed.tags if t == "label"}
    controls = {a["id"]: (t, a) for t, a in parsed.tags if t in ("input", "select", "textarea")
                and (a.get("id") or "").startswith("sc-f-")}
    for name in ("name", "email", "category", "subject", "description", "order", "plan", "steps"):
        assert f"sc-f-{name}" in controls and f"sc-f-{name}" in labels, name
        assert controls[f"sc-f-{name}"][1]["name"] == name
    assert controls["sc-f-email"][1]["type"] == "email" and "required" in controls["sc-f-email"][1]
    assert controls["sc-f-description"][0] == "textarea" and controls["sc-f-steps"][0] == "textarea"
    assert "required" in controls["sc-f-plan"][1] and "required" not in controls["sc-f-order"][1]
    assert controls["sc-f-order"][1]["aria-describedby"] == "sc-h-order"
    # Category: the public KB categories in their order, then Other.
    kb = load_kb(root, cfg)
    public = [c.title for c in kb.ordered_categories() if any(a.category == c.name for a in kb.public())]
    options = re.findall(r'<option value="([^"]*)">', page[page.index('id="sc-f-category"'):])
    assert options[:len(public) + 2] == ["", *public, "Other"]
    # The template's text is escaped: no markup, no script of the desk's.
    assert "Plan &lt;b&gt;&amp;&lt;/b&gt;" in page and "<b>&</b>" not in page
    assert 'value="Pro &lt;script&gt;alert(1)&lt;/script&gt;"' in page
    assert all("alert(" not in s for s in parsed.scripts)
    # Without script the form stays hidden and the address is a plain link.
    assert re.search(r'<form class="sc-request"[^>]*\bhidden\b', page)
    assert '<a href="mailto:support@ledgerly.example">support@ledgerly.example</a>' in page
    assert not any(k.startswith("on") for _, a in parsed.tags for k in a)


def test_home_and_navigation_lead_to_the_form_and_the_feedback_link_still_mails(built):
    root, cfg, report = built
    home = (report.out / "index.html").read_text()
    assert 'sc-contact__button" href="contact/">Contact support</a>' in home
    desk = yaml.safe_load((root / "site_docs/.desk.yml").read_text())
    assert {"Contact support": "contact/index.md"} in desk["nav"]
    assert desk["extra"]["supportctl"]["contact_url"].startswith("mailto:support@ledgerly.example?subject=Feedback")
    fm = staged_contact(root)
    assert fm["generated"] is True and fm["template"] == "contact.html"
    assert fm["contact"]["mode"] == "mail" and fm["contact"]["action"] == "support@ledgerly.example"


def test_github_mode_sends_requests_to_the_repositorys_issue_form(tmp_path):
    root, _ = make_desk(tmp_path / "desk")
    cfg = Config.model_validate({**DESK, "site": {"requests": "github"}})
    stage(root, cfg)
    c = staged_contact(root)["contact"]
    assert c["mode"] == "github" and c["action"] == "https://github.com/ledgerly/helpdesk/issues/new"
    assert c["template"] == "support.yml" and c["email_required"] is False
    # site.feedback: github alone sends requests there too; site.requests: mail keeps them in mail.
    stage(root, Config.model_validate({**DESK, "site": {"feedback": "github"}}))
    assert staged_contact(root)["contact"]["mode"] == "github"
    stage(root, Config.model_validate({**DESK, "site": {"feedback": "github", "requests": "mail"}}))
    assert staged_contact(root)["contact"]["mode"] == "mail"


def test_requests_on_github_need_a_github_repository():
    for repo in (None, "https://gitlab.com/ledgerly/helpdesk"):
        desk = {**DESK["desk"], "repo_url": repo}
        with pytest.raises(ValidationError, match="site.requests: github needs desk.repo_url to be a GitHub"):
            Config.model_validate({**DESK, "desk": desk, "site": {"requests": "github"}})
    with pytest.raises(ValidationError):
        Config.model_validate({**DESK, "site": {"requests": "web"}})


def test_without_contact_html_home_keeps_the_mail_link_and_says_why(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    (root / "overrides/contact.html").unlink()
    st = stage(root, cfg)
    assert any("contact.html is missing" in w for w in st.warnings)
    assert not (root / "site_docs/contact").exists()
    home = yaml.safe_load((root / "site_docs/index.md").read_text().split("---\n")[1])
    assert home["helpcenter"]["contact"] == "mailto:support@ledgerly.example"


def test_offline_home_links_the_contact_page_as_a_file(tmp_path):
    root, _ = make_desk(tmp_path / "desk")
    stage(root, Config.model_validate({**DESK, "site": {"offline": True}}))
    home = yaml.safe_load((root / "site_docs/index.md").read_text().split("---\n")[1])
    assert home["helpcenter"]["contact"] == "contact/index.html"


def test_intake_template_fields_are_parsed_and_bad_ones_named():
    fields = parse_intake(INTAKE)
    assert [f["id"] for f in fields] == ["order", "plan", "steps"]
    assert fields[1] == {"id": "plan", "label": "Plan <b>&</b>", "type": "select", "required": True,
                         "options": ["Starter", "Pro <script>alert(1)</script>"], "help": ""}
    assert parse_intake("") == [] and parse_intake("fields: []") == []
    bad = {
        "- id: x": "a mapping with a `fields:` list",
        "fields:\n  - {id: email, label: Mail}": "id 'email' is taken by the form",
        "fields:\n  - {id: Order, label: O}": "id 'Order' must be lower-case",
        "fields:\n  - {id: a, label: A}\n  - {id: a, label: B}": "id 'a' is used twice",
        "fields:\n  - {id: a, label: A, type: date}": "type 'date' is not one of",
        "fields:\n  - {id: a, label: A, type: select}": "a select needs `options:`",
        "fields:\n  - {id: a, label: A, options: [x]}": "only a select has options",
        "fields:\n  - {id: a, label: A, required: yes please}": "required must be true or false",
        "fields:\n  - {id: a}": "label must be one line",
        "fields:\n  - {id: a, label: A, colour: red}": "unknown key 'colour'",
        "fields: [": "not valid YAML",
    }
    for text, message in bad.items():
        with pytest.raises(SupportctlError, match=re.escape(message)) as e:
            parse_intake(text)
        assert e.value.path == "templates/intake/request.yml"


def test_a_bad_intake_template_stops_the_build_naming_the_file(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    (root / "templates/intake").mkdir(parents=True)
    (root / "templates/intake/request.yml").write_text("fields:\n  - {id: subject, label: S}\n")
    with pytest.raises(SupportctlError, match="templates/intake/request.yml: fields\\[0\\]: id 'subject'"):
        stage(root, cfg)


def test_an_intake_template_that_is_a_symbolic_link_is_refused(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    (tmp_path / "outside.yml").write_text(INTAKE)
    (root / "templates/intake").mkdir(parents=True)
    (root / "templates/intake/request.yml").symlink_to(tmp_path / "outside.yml")
    with pytest.raises(SupportctlError, match="templates/intake/request.yml is a symbolic link"):
        stage(root, cfg)


def test_the_starter_issue_form_is_a_valid_github_issue_form_with_the_pages_fields():
    form = yaml.safe_load(STARTER_FORM.read_text())
    ids = [item.get("id") for item in form["body"] if item["type"] != "markdown"]
    assert ids == ["name", "email", "category", "description"]       # what the page sends, by field id
    category = next(item for item in form["body"] if item.get("id") == "category")
    assert category["type"] == "dropdown" and category["attributes"]["options"][-1] == "Other"
    checker = shutil.which("check-jsonschema") or str(Path(sys.executable).parent / "check-jsonschema")
    if not Path(checker).exists():
        pytest.skip("check-jsonschema is not installed")
    proc = subprocess.run([checker, "--builtin-schema", "vendor.github-issue-forms", str(STARTER_FORM)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_init_writes_the_issue_form(template_desk):
    written = template_desk / ".github/ISSUE_TEMPLATE/support.yml"
    assert written.read_bytes() == STARTER_FORM.read_bytes()


def test_check_reports_a_bad_intake_template(desk, cli):
    (desk / "templates/intake").mkdir(parents=True)
    (desk / "templates/intake/request.yml").write_text("fields:\n  - {id: plan, label: Plan, type: select}\n")
    r = cli("check", ok=False)
    assert r.exit_code == 1
    assert "templates/intake/request.yml: fields[0] (plan): a select needs `options:`" in r.stderr
    (desk / "templates/intake/request.yml").write_text("fields:\n  - {id: plan, label: Plan}\n")
    assert cli("check").exit_code == 0
