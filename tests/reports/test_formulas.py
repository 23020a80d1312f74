"""The summary formulas on edge cases: no values, one value, all detractors, the 5-point CSAT scale."""

from __future__ import annotations

from datetime import datetime, timezone

from supportctl.reports.formulas import csat, describe, mean, median, nps, pct, percentile
from supportctl.reports.nps import NpsAnswer, answers_of, latest_scores


def test_median_p90_and_mean():
    assert median([3, 1, 2]) == 2 and median([1, 2, 3, 4]) == 2.5
    assert percentile(list(range(1, 11)), 90) == 9 and percentile([7], 90) == 7
    assert percentile(list(range(1, 101)), 90) == 90
    assert mean([1, 2]) == 1.5 and mean([2, 2]) == 2 and isinstance(mean([2, 2]), int)


def test_no_values_give_none_never_nan_or_a_division_by_zero():
    assert describe([]) == {"count": 0, "median": None, "p90": None, "mean": None}
    assert pct(0, 0) is None
    assert csat([]) == {"ratings": 0, "satisfied": 0, "pct": None}
    assert nps([]) == {"responses": 0, "promoters": 0, "passives": 0, "detractors": 0, "score": None}


def test_csat_good_bad_and_five_point():
    assert csat(["good", "bad", "good", None]) == {"ratings": 3, "satisfied": 2, "pct": 66.7}
    assert csat(["bad", "bad"])["pct"] == 0
    assert csat([5, 4, 3, 2, 1]) == {"ratings": 5, "satisfied": 2, "pct": 40}


def test_nps():
    assert nps([0, 3, 6]) == {"responses": 3, "promoters": 0, "passives": 0, "detractors": 3, "score": -100}
    assert nps([10, 9]) ["score"] == 100
    assert nps([10, 9, 8, 7, 6]) == {"responses": 5, "promoters": 2, "passives": 2, "detractors": 1, "score": 20}
    assert nps([9, 6, 7])["score"] == 0


def test_nps_takes_each_customers_latest_answer_in_the_period():
    answers = [NpsAnswer("a@x.example", 3, 100), NpsAnswer("a@x.example", 10, 200),
               NpsAnswer("b@x.example", 6, 150), NpsAnswer("c@x.example", 9, 500)]
    assert sorted(latest_scores(answers, None, 300)) == [6, 10]
    assert sorted(latest_scores(answers, 120, 600)) == [6, 9, 10]
    assert latest_scores(answers, 600, 700) == []


def test_a_customer_file_reads_back_its_answers_and_skips_what_is_not_one():
    at = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)
    data = {"email": "Dana@Example.com", "nps": [{"score": 9, "at": at, "comment": "Great"},
                                                 {"score": 11, "at": at}, {"score": 5}, "junk"]}
    assert answers_of(data) == [NpsAnswer("dana@example.com", 9, int(at.timestamp()), "Great")]
    assert answers_of(None) == [] and answers_of({"nps": []}) == []
