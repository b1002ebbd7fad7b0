"""Memory of recently accepted signed webhooks (pure Python, no ORM)."""

import threading
import time
from collections import OrderedDict


class ReplayGuard:
    """Memory of recently accepted signed webhooks (thread-safe, bounded).

    ``remember(key, ttl)`` is True the first time a key is seen within
    ``ttl`` seconds and False for a replay. The memory lives in the process:
    with several Odoo workers a replay sent to another worker is not caught
    here, which is why the timestamp window also applies and why recording
    a report twice must stay harmless (the ORM updates are idempotent).
    """

    def __init__(self, max_entries=100_000):
        self.max_entries = max_entries
        self._seen = OrderedDict()  # key -> expiry (monotonic)
        self._lock = threading.Lock()

    def remember(self, key, ttl):
        now = time.monotonic()
        with self._lock:
            while self._seen:
                oldest, expiry = next(iter(self._seen.items()))
                if expiry > now and len(self._seen) < self.max_entries:
                    break
                del self._seen[oldest]
            expiry = self._seen.get(key)
            if expiry is not None and expiry > now:
                return False
            self._seen[key] = now + ttl
            self._seen.move_to_end(key)
            return True

    def forget(self, key):
        with self._lock:
            self._seen.pop(key, None)

    def clear(self):
        with self._lock:
            self._seen.clear()


REPLAY_GUARD = ReplayGuard()
