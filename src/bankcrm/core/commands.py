"""Shared by the `bankcrm` management commands."""

from __future__ import annotations

import os


def command_language(option: str) -> str:
    """The language of a command's messages: --lang, else the locale of the shell."""
    raw = option or os.environ.get("LC_ALL") or os.environ.get("LANG") or "en"
    return "zh-hans" if raw.lower().startswith("zh") else "en"
