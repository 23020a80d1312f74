"""Front-matter values as JSON-ready data, as the index keeps them and `--json` prints them."""

from __future__ import annotations

from datetime import date, datetime

from supportctl.base.yamlio import Ambiguous


def plain(value):
    """A front-matter value as JSON-ready data; True when it was an aware datetime.

    Called for every value of every ticket on a cold index build, so the
    common types are tested first and by exact type.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value, False
    if kind is datetime:
        if value.tzinfo is None:
            return value.isoformat(), False
        return value.replace(microsecond=0).isoformat(), True
    if kind is list:
        return [plain(v)[0] for v in value], False
    if kind is dict:
        return {str(k): plain(v)[0] for k, v in value.items()}, False
    if kind is date:
        return value.isoformat(), False
    if kind is Ambiguous:
        return value.text, False
    return str(value), False


def json_value(value):
    """A front-matter value as JSON-ready data (timestamps as ISO text), as the index keeps it."""
    return plain(value)[0]
