"""Requesters without email: phone numbers, GitHub logins and social handles (shared/spec.md §13)."""

from __future__ import annotations

import pytest

from supportctl.errors import UsageError
from supportctl.tickets.people import format_person, normalise_phone, parse_requester, person_problems


@pytest.mark.parametrize("text, person", [
    ("Dana Smith <dana@example.com>", {"name": "Dana Smith", "email": "dana@example.com"}),
    ("Dana@Example.com", {"name": "Dana", "email": "dana@example.com"}),
    ("+353 87 123 4567", {"name": "+353871234567", "phone": "+353871234567"}),
    ("Sean <0044 (20) 7946-0958>", {"name": "Sean", "phone": "+442079460958"}),
    ("Judy <@judy_tweets>", {"name": "Judy", "social": "@judy_tweets"}),
    ("@judy_tweets", {"name": "@judy_tweets", "social": "@judy_tweets"}),
    ("Octo Cat <github:OctoCat>", {"name": "Octo Cat", "github": "octocat"}),
])
def test_a_requester_is_a_name_and_one_handle(text, person):
    assert parse_requester(text) == person
    # The record author reads back as the same person.
    assert parse_requester(format_person(person)) == person


@pytest.mark.parametrize("text, message", [
    ("nobody", "has no email address, phone number or handle"),
    ("087 123 4567", "has no country code"),
    ("+1 23", "not a phone number in international form"),
    ("Judy <@judy tweets>", "not a social handle"),
    ("github:-bad-", "not a GitHub login"),
])
def test_a_requester_that_names_nobody_reachable_is_refused_with_a_hint(text, message):
    with pytest.raises(UsageError) as err:
        parse_requester(text)
    assert message in err.value.message and err.value.hint


def test_phone_numbers_are_stored_in_e164():
    assert normalise_phone("+1 (415) 555-0100") == "+14155550100"


def test_check_names_what_is_wrong_with_a_requester():
    assert person_problems({"name": "Judy", "social": "@judy_tweets"}) == []
    assert any("E.164" in m for m, _ in person_problems({"name": "x", "phone": "087 123"}))
    assert any("must have a name and an email address" in m for m, _ in person_problems({"name": "x"}))
    assert any("unknown keys: fax" in m for m, _ in person_problems({"name": "x", "email": "a@b.c", "fax": "1"}))
