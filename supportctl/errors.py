"""The one user-facing error type: a message, an optional hint and where it happened."""

from __future__ import annotations


class SupportctlError(Exception):
    """An error the user can fix; the CLI prints it without a traceback."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None, *, path: str | None = None,
                 line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.path = path
        self.line = line

    def where(self) -> str:
        """`path:line: ` prefix, or '' when the error is not about a file."""
        if not self.path:
            return ""
        return f"{self.path}:{self.line}: " if self.line else f"{self.path}: "

    def __str__(self) -> str:
        return self.where() + self.message


class UsageError(SupportctlError):
    """Wrong arguments: exit code 2, like a bad option."""

    exit_code = 2


class NotFound(SupportctlError):
    """A ticket, article or desk that does not exist."""


class ConfigError(SupportctlError):
    """supportctl.yml is invalid."""


class TicketFormatError(SupportctlError):
    """A ticket file cannot be parsed."""
