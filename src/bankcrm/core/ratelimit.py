"""Fixed-window counters in Django's cache (Redis when configured): the API's per-caller limit
and the per-user limit on identifier searches count through here."""

from __future__ import annotations

import math
import time

from django.core.cache import cache


def hit(name: str, *, limit: int, window: int) -> int | None:
    """Count one attempt under ``name``; ``None`` while within ``limit`` per ``window``
    seconds, else the seconds until the window ends (for ``Retry-After``). ``limit`` <= 0:
    no limit."""
    if limit <= 0:
        return None
    now = time.time()
    slot = int(now // window)
    key = f"rate:{name}:{slot}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((slot + 1) * window - now))
