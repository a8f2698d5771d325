"""What goes wrong in an import, said so that a person can fix the file."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lounge.i18n import _, ngettext


@dataclass(frozen=True, order=True)
class RowError:
    """One problem in a file; ``line`` is the 1-based line number (0: the file itself)."""

    line: int
    message: str

    def __str__(self) -> str:
        if self.line == 0:
            return self.message
        return _("line {line}: {message}").format(line=self.line, message=self.message)


class ImportRejected(Exception):
    """The whole file was refused; nothing was changed."""

    def __init__(self, filename: str, errors: list[RowError]) -> None:
        self.filename = filename
        self.errors = sorted(errors)
        super().__init__(self.summary())

    def summary(self) -> str:
        return ngettext(
            "{file}: rejected, nothing was imported ({count} problem)",
            "{file}: rejected, nothing was imported ({count} problems)",
            len(self.errors),
        ).format(file=self.filename, count=len(self.errors))

    def report(self) -> str:
        return "\n".join([self.summary(), *(str(error) for error in self.errors)])


@dataclass
class Problems:
    """Row errors gathered by vectorised checks: a mask of bad rows and a message
    (one for all of them, or one per bad row)."""

    lines: np.ndarray
    errors: list[RowError] = field(default_factory=list)

    def flag(self, mask: np.ndarray, message: str | list[str]) -> None:
        hits = np.flatnonzero(mask)
        messages = message if isinstance(message, list) else [message] * len(hits)
        self.errors.extend(
            RowError(int(self.lines[i]), text) for i, text in zip(hits, messages, strict=True)
        )
