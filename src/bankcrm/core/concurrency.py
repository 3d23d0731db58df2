"""Optimistic locking: an edit made from a copy of a record that has changed since is refused."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

CONFLICT_MESSAGE = _(
    "This record was changed by someone else while you were editing it. Your changes were "
    "not saved; review the current values and try again."
)


class ConcurrentEdit(Exception):
    """The version an edit was based on is no longer the record's current version.

    Not a ValidationError: the input is valid, it is only out of date, and pages and the API
    answer it with 409 Conflict rather than 400.
    """

    def __init__(self, *, obj: Any, expected: int, current: int) -> None:
        self.obj = obj
        self.expected = expected
        self.current = current
        super().__init__(
            f"{obj._meta.label_lower} {obj.pk}: edit based on version {expected}, "
            f"current version is {current}"
        )

    @property
    def message(self) -> str:
        return str(CONFLICT_MESSAGE)


def check_version(*, obj: Any, version: int | None) -> None:
    """Refuse an edit based on another version than `obj`'s (locked, current) one.

    `version` None: the caller did not start from a copy a person had open (imports,
    internal callers), so there is nothing to compare.
    """
    if version is not None and version != obj.version:
        raise ConcurrentEdit(obj=obj, expected=version, current=obj.version)
