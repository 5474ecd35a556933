"""Throttling of key unlocks in the review console: growing waits, then a lockout.

A passphrase is the only thing between whoever can reach the console and an officer's signing
key, so guesses are counted per officer and per client address. After the k-th wrong passphrase
in a row the next attempt must wait 2**(k-1) seconds (1, 2, 4, 8); the fifth locks unlocking for
15 minutes, and every further wrong one locks it again. An attempt made while waiting is refused
without the passphrase being looked at, the right one included. Only one attempt per officer and
per client is checked at a time, so parallel requests cannot slip past a wait. A correct
passphrase clears the count; a count with no failure for a day is forgotten.

Windows are measured on a monotonic clock (injectable: tests move it by hand), not wall time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

LOCKOUT_AFTER = 5
LOCKOUT_SECONDS = 15 * 60
FORGET_AFTER = 24 * 60 * 60


@dataclass(frozen=True)
class Wait:
    """Why an attempt is refused unchecked: ``seconds`` to wait; ``locked`` for a lockout, not a
    delay; ``busy`` while another attempt is being checked."""

    seconds: int
    locked: bool = False
    busy: bool = False


@dataclass(frozen=True)
class Failure:
    """One counted wrong passphrase: the officer's failures in a row, and the lockouts it started
    as (scope, failures) pairs, scope being "user" or "client"."""

    failures: int
    lockouts: tuple[tuple[str, int], ...]


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    blocked_until: float = 0.0
    in_flight: bool = False


class UnlockThrottle:
    """Counts wrong passphrases per officer and per client; say ``begin`` before checking one and
    ``end`` after."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, *, lockout_after: int = LOCKOUT_AFTER,
                 lockout_seconds: int = LOCKOUT_SECONDS) -> None:
        self._monotonic = monotonic
        self.lockout_after = lockout_after
        self.lockout_seconds = lockout_seconds
        self._records: dict[tuple[str, str], _Record] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _keys(user: str, client: str) -> list[tuple[str, str]]:
        return [("user", user), ("client", client)]

    def begin(self, user: str, client: str) -> Wait | None:
        """Reserve one attempt for ``user`` from ``client``, or say how long to wait."""
        now = self._monotonic()
        with self._lock:
            records = []
            for key in self._keys(user, client):
                record = self._records.get(key)
                if record is not None and not record.in_flight and now - record.last_failure > FORGET_AFTER:
                    record = None
                    del self._records[key]
                records.append(record or _Record())
            if any(r.in_flight for r in records):
                return Wait(1, busy=True)
            blocked = max(records, key=lambda r: r.blocked_until)
            if blocked.blocked_until > now:
                seconds = int(blocked.blocked_until - now + 0.999)
                return Wait(seconds, locked=blocked.failures >= self.lockout_after)
            for key, record in zip(self._keys(user, client), records):
                record.in_flight = True
                self._records[key] = record
            return None

    def end(self, user: str, client: str, *, failed: bool) -> Failure | None:
        """Release the attempt. A wrong passphrase (``failed``) is counted for the officer and the
        client; anything else (the right one) clears both counts."""
        now = self._monotonic()
        with self._lock:
            lockouts = []
            failures = 0
            for scope, name in self._keys(user, client):
                record = self._records.setdefault((scope, name), _Record())
                record.in_flight = False
                if not failed:
                    del self._records[(scope, name)]
                    continue
                record.failures += 1
                record.last_failure = now
                if record.failures >= self.lockout_after:
                    record.blocked_until = now + self.lockout_seconds
                    lockouts.append((scope, record.failures))
                else:
                    record.blocked_until = now + 2 ** (record.failures - 1)
                if scope == "user":
                    failures = record.failures
            return Failure(failures, tuple(lockouts)) if failed else None

    def release(self, user: str, client: str) -> None:
        """Release the attempt without counting it (it was not a guess: e.g. no key file)."""
        with self._lock:
            for key in self._keys(user, client):
                record = self._records.get(key)
                if record is not None:
                    record.in_flight = False
                    if record.failures == 0:
                        del self._records[key]
