"""Rate limiting (pure Python, no ORM).

:func:`gcra_reserve` is the algorithm: a token bucket in its GCRA form, whose
whole state is one number, the theoretical arrival time (TAT) of the next
token. :class:`RateLimiter` keeps that state in the process (adapters used on
their own); the Odoo dispatcher keeps it in a PostgreSQL row per gateway, so
the limit holds across slices, worker processes and servers.
"""

import threading
import time


def gcra_reserve(tat, now, tokens, rate, tolerance=0.0):
    """Book ``tokens`` at ``rate`` per second on a bucket whose state is ``tat``.

    ``tat`` and ``now`` are seconds on one clock (``tat`` 0 for a new bucket),
    ``tolerance`` the seconds of burst allowed after an idle period. Returns
    ``(new_tat, start)``: the caller may send at ``start`` (never before
    ``now``), and stores ``new_tat``. Over any period T at most
    ``rate * (T + tolerance) + tokens`` tokens are granted.
    """
    interval = 1.0 / float(rate)
    start = max(now, tat - tolerance)
    return max(tat, start) + tokens * interval, start


class RateLimiter:
    """Thread-safe token bucket (GCRA form): ``rate`` tokens per second.

    ``acquire(n)`` waits until the bucket allows a request, then takes ``n``
    tokens, possibly going into debt: a batch of n messages delays the next
    request by n / rate seconds, so the long-run rate never exceeds ``rate``.
    """

    def __init__(self, rate, burst=1):
        self.rate = float(rate)
        self.interval = 1.0 / self.rate
        self.tolerance = max(0.0, (burst - 1) * self.interval)
        self._next = 0.0  # theoretical arrival time of the next token
        self._lock = threading.Lock()

    def reserve(self, tokens=1):
        """Book ``tokens``; return how many seconds the caller must wait."""
        with self._lock:
            now = time.monotonic()
            self._next, start = gcra_reserve(
                self._next, now, tokens, self.rate, self.tolerance
            )
        return start - now

    def acquire(self, tokens=1):
        wait = self.reserve(tokens)
        if wait > 0:
            time.sleep(wait)
