"""Keeps identifiers out of request logs: a customer search by mobile or ID number is a GET
query string (and then the Referer of the next request), which access logs write down."""

from __future__ import annotations

import logging
import re

# A query string inside a log line: from "?" to the end of the URL.
_QUERY = re.compile(r"\?[^\s\"']*")
# Inside it, any run of 6 or more digits (an ID's X, an encoded "+86" or spaces between them
# included): a mobile, an ID number or an ID's ending.
_DIGITS = re.compile(r"(?:%2B|\+)?(?:[0-9](?:%20|\+|-)?){5,}[0-9Xx]")
SCRUBBED = "[scrubbed]"


def scrub(text: str) -> str:
    """``text`` with the digit runs of its URLs' query strings replaced."""
    return _QUERY.sub(lambda m: _DIGITS.sub(SCRUBBED, m.group(0)), text)


class ScrubQueryStrings(logging.Filter):
    """A filter for the access loggers (``django.server``, ``gunicorn.access``): the record's
    message is formatted once and scrubbed, so no handler sees the identifier."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


# Loggers that write request lines or URLs: runserver's, gunicorn's access log, Django's 4xx
# and 5xx warnings. The filter is added to the logger itself, so its handlers (gunicorn's own,
# runserver's) stay as they are configured.
ACCESS_LOGGERS = ("django.server", "gunicorn.access", "django.request")


def scrub_access_logs() -> None:
    for name in ACCESS_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ScrubQueryStrings) for f in logger.filters):
            logger.addFilter(ScrubQueryStrings())
