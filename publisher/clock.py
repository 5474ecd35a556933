"""The one place the product reads the wall clock.

Everything that depends on time takes ``now`` (or ``time``) as an argument; only the edges — a
command run by a person, the review console, a log entry appended without a given time — ask
:func:`now` here. So a build, an approval or a status report never mixes the real clock with a
given one.

``PUBLISHER_NOW`` (ISO 8601 with a UTC offset, e.g. ``2026-11-28T12:00:00+08:00``) pins the
clock for the whole process and its children: the demo city is built as of its own date with
it, and the test suite pins it for every test, so nothing passes only while the calendar says
so. Anyone who can set a process's environment can already change its files, so the variable
grants nothing new; the audit log still refuses a build whose time is before its entries.
"""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

ENV_VAR = "PUBLISHER_NOW"


class ClockError(ValueError):
    """``PUBLISHER_NOW`` is set but is not a time with a UTC offset."""


def parse_instant(text: str, source: str = ENV_VAR) -> datetime:
    """An ISO 8601 time that carries its UTC offset, or :class:`ClockError` saying why not."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        value = None
    if value is None or value.utcoffset() is None:
        raise ClockError(f"{source} 应为带时区的 ISO 8601 时间（如 2026-11-28T12:00:00+08:00），现为 {text!r} / "
                         f"{source} must be an ISO 8601 time with a UTC offset "
                         f"(e.g. 2026-11-28T12:00:00+08:00), not {text!r}")
    return value


def now(tz: str | tzinfo) -> datetime:
    """The current time in ``tz``: ``PUBLISHER_NOW`` when it is set, else the wall clock."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    pinned = os.environ.get(ENV_VAR)
    if pinned:
        return parse_instant(pinned).astimezone(zone)
    return datetime.now(zone)

