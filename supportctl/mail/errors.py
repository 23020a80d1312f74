"""The mail layer's errors: both are SupportctlErrors, so the CLI prints them without a traceback."""

from __future__ import annotations

from supportctl.errors import SupportctlError


class MailParseError(SupportctlError):
    """Bytes that are not an RFC 5322 message at all (empty, no header fields)."""


class OutgoingMailError(SupportctlError):
    """An outgoing message cannot be built from the values given (bad address, naive date, ...)."""
