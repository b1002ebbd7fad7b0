"""In-process rate limiter of the adapters (pure Python, no ORM)."""

import threading
import time


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
            start = max(now, self._next - self.tolerance)
            self._next = max(self._next, start) + tokens * self.interval
        return start - now

    def acquire(self, tokens=1):
        wait = self.reserve(tokens)
        if wait > 0:
            time.sleep(wait)
