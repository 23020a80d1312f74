"""Customer and organisation files: matching a requester, and what `check` finds wrong (with file and line)."""

from __future__ import annotations

from pathlib import Path

from supportctl.customers.load import load_directory


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


DESK = {
    "customers/orgs/acme.yml": "name: Acme\ndomains: [acme.example]\nplan: enterprise\n",
    "customers/orgs/tiny.yml": "name: Tiny\ndomains: [tiny.example]\nplan: free\n",
    "customers/dana.yml": "name: Dana\nemail: [dana@acme.example, dana@home.example]\ngithub: DanaCodes\n",
    "customers/judy.yml": 'name: Judy\nsocial: "@judy_tweets"\nplan: pro\n',
    "customers/sean.yml": 'name: Sean\nphone: "+442079460958"\norganization: tiny\nplan: enterprise\n',
}


def test_a_requester_is_found_by_any_handle_and_an_email_domain_names_the_organisation(tmp_path):
    directory, problems = load_directory(write(tmp_path, DESK))
    assert problems == []
    resolve = directory.resolve
    assert resolve({"requester": {"name": "D", "email": "dana@home.example"}}) == ("dana", None, None)
    assert resolve({"requester": {"name": "D", "email": "dana@acme.example"}}) == ("dana", "acme", "enterprise")
    assert resolve({"requester": {"name": "D", "github": "danacodes"}}) == ("dana", None, None)
    assert resolve({"requester": {"name": "X", "email": "x@acme.example"}}) == (None, "acme", "enterprise")
    # The customer's own plan wins over the organisation's.
    assert resolve({"requester": {"name": "S", "phone": "+442079460958"}}) == ("sean", "tiny", "enterprise")
    assert resolve({"requester": {"name": "J", "social": "@judy_tweets"}}) == ("judy", None, "pro")
    # The ticket's own keys come first.
    assert resolve({"requester": {"name": "X", "email": "x@else.example"}, "organization": "tiny"}) == \
        (None, "tiny", "free")


def test_check_names_the_file_line_and_fix_of_each_problem(tmp_path):
    root = write(tmp_path, {
        **DESK,
        "customers/bad.yml": "name: Bad\nemail: bad@x.example\nphone: 087 123 4567\norganisation: acme\n",
        "customers/lost.yml": "name: Lost\nemail: lost@x.example\norganization: nowhere\n",
        "customers/twin.yml": "name: Twin\nemail: DANA@acme.example\n",
        "customers/none.yml": "name: Nobody\n",
    })
    _, problems = load_directory(root)
    found = {(p.path, p.line, p.message) for p in problems}
    assert ("customers/bad.yml", 3, "customer phone '087 123 4567' is not in E.164 form") in found
    assert ("customers/bad.yml", 4, "unknown key 'organisation'") in found
    assert ("customers/lost.yml", 3, "unknown organisation 'nowhere'") in found
    assert ("customers/twin.yml", 2, "email dana@acme.example is also on customer dana") in found
    assert any(p.path == "customers/none.yml" and "no email, phone, github or social" in p.message for p in problems)
    assert all(p.hint for p in problems)
    twin = next(p for p in problems if p.path == "customers/twin.yml")
    assert "supportctl customer merge dana twin" in twin.hint


def test_a_file_that_is_not_yaml_is_a_problem_not_a_crash(tmp_path):
    _, problems = load_directory(write(tmp_path, {"customers/x.yml": "name: [unclosed\n"}))
    assert [p.path for p in problems] == ["customers/x.yml"] and problems[0].line


def test_a_symbolic_link_in_customers_is_reported_and_never_read(tmp_path):
    outside = tmp_path / "outside.yml"
    outside.write_text("name: Secret\nemail: secret@outside.example\n")
    root = write(tmp_path / "desk", DESK)
    (root / "customers" / "evil.yml").symlink_to(outside)
    (root / "customers" / "orgs" / "evil.yml").symlink_to(outside)
    directory, problems = load_directory(root)
    assert "evil" not in directory.customers and "evil" not in directory.orgs
    assert sorted(p.path for p in problems) == ["customers/evil.yml", "customers/orgs/evil.yml"]
    assert all("symbolic link" in p.message and "Secret" not in p.message for p in problems)


def _age(root: Path) -> None:
    """Put every customer file past the racy window (a file written this second is never cached)."""
    import os
    import time

    old = time.time() - 3600
    for path in root.rglob("*.yml"):
        os.utime(path, (old, old))


def test_the_cached_directory_is_the_directory_and_follows_every_edit(tmp_path):
    from supportctl.customers.load import cached_directory

    root, cache = write(tmp_path / "desk", DESK), tmp_path / "cache" / "customers.marshal"
    _age(root)
    first = cached_directory(root, cache)
    assert cache.exists()
    again = cached_directory(root, cache)
    expected = load_directory(root)[0]
    for directory in (first, again):
        assert directory.customers == expected.customers and directory.orgs == expected.orgs
        assert directory.resolve({"requester": {"name": "X", "email": "x@acme.example"}}) == (None, "acme", "enterprise")
    (root / "customers/orgs/acme.yml").write_text("name: Acme\ndomains: [acme.example]\nplan: pro\n")
    assert cached_directory(root, cache).orgs["acme"].plan == "pro"   # racy: read again, not cached
    _age(root)
    (root / "customers/judy.yml").unlink()
    assert "judy" not in cached_directory(root, cache).customers
    assert "judy" not in cached_directory(root, cache).customers


def test_a_directory_marshal_cannot_hold_is_read_each_time(tmp_path):
    from supportctl.customers.load import cached_directory

    root = write(tmp_path / "desk", {"customers/dana.yml": "name: Dana\nemail: dana@x.example\n"
                                                           "fields: {since: 2024-03-01}\n"})
    _age(root)
    cache = tmp_path / "cache" / "customers.marshal"
    directory = cached_directory(root, cache)
    assert str(directory.customers["dana"].fields["since"]) == "2024-03-01" and not cache.exists()
