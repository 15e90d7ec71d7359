"""The one family of errors the core raises; the CLI turns each into one line on stderr."""

from __future__ import annotations

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_NEEDS_PERMISSION = 3


class WegingsError(Exception):
    """A problem the user can act on: refused, invalid or unknown input, or a store fault."""

    exit_code = EXIT_REFUSED

    def __init__(self, message: str, *, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = details  # one problem each, shown indented under the Error: line


class Refused(WegingsError):
    """The request is understood but a rule forbids it (exit 1)."""


class NeedsPermission(Refused):
    """The rules allow it only with a recorded higher permission, which is missing (exit 3)."""

    exit_code = EXIT_NEEDS_PERMISSION


class StoreError(WegingsError):
    """The database cannot be opened, read or written as asked (exit 1)."""


class InvalidInput(WegingsError):
    """A value given on the command line or in a file is malformed (exit 2)."""

    exit_code = EXIT_USAGE


class NotFound(InvalidInput):
    """A name or handle that does not exist (exit 2)."""


class Problem:
    """One validation problem with the field path it belongs to."""

    __slots__ = ("message", "path")

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message

    def __repr__(self) -> str:
        return f"Problem({self.path!r}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Problem) and other.path == self.path and other.message == self.message
        )

    def __hash__(self) -> int:
        return hash((self.path, self.message))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ValidationFailed(InvalidInput):
    """Several problems found at once, each with its field path (exit 2)."""

    def __init__(self, what: str, problems: list[Problem]) -> None:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        details = "; ".join(str(p) for p in problems)
        super().__init__(f"{what}: {count} {noun}: {details}")
        self.problems = problems
