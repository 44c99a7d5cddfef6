"""The rate limits' counts in the database cache: counted in each process's memory and added to the
shared row in batches far from a limit, at once near it (``registry.api.shared_cache``)."""

from __future__ import annotations

from django.core.cache import cache

from registry.api import shared_cache
from registry.api.shared_cache import count_request


def test_far_from_its_limit_a_request_writes_nothing_and_the_count_reaches_the_shared_row_within_a_second(db, django_assert_num_queries):
    window, now = 1000, 60_000.0
    assert count_request("far", window, 60, 10_000, now) == (1, 0)  # the first look adds the row
    assert cache.get("far-1000") == 1
    with django_assert_num_queries(0):
        counts = [count_request("far", window, 60, 10_000, now + 0.1)[0] for _ in range(10)]
    assert counts == list(range(2, 12)) and cache.get("far-1000") == 1
    cache.incr("far-1000", 100)  # another process's requests, added to the shared row
    assert count_request("far", window, 60, 10_000, now + 1.5) == (112, 0)  # a second later: a look
    assert cache.get("far-1000") == 112


def test_near_its_limit_every_request_is_counted_in_the_shared_row_at_once(db):
    window, now = 1000, 60_000.0
    for n in range(1, 21):
        count, _previous = count_request("near", window, 60, 8, now)
        assert count == n and cache.get("near-1000") == n
    # Another process's requests show at the next one: the limit is one for all.
    cache.incr("near-1000", 5)
    assert count_request("near", window, 60, 8, now)[0] == 26


def test_what_a_process_counted_in_a_window_reaches_its_row_when_the_next_begins(db):
    now = 60_000.0
    count_request("roll", 1000, 60, 10_000, now)
    for _ in range(5):
        count_request("roll", 1000, 60, 10_000, now + 0.1)  # counted here only
    assert cache.get("roll-1000") == 1
    assert count_request("roll", 1001, 60, 10_000, now + 60) == (1, 6)  # the previous window's 6, all shared
    assert cache.get("roll-1000") == 6 and cache.get("roll-1001") == 1


def test_what_a_process_has_not_yet_shared_stays_below_an_eighth_of_what_the_limit_left(db):
    window, now = 1000, 60_000.0
    seen = []
    for _ in range(300):
        count = count_request("share", window, 60, 200, now)[0]
        seen.append((count, cache.get("share-1000")))
    assert [count for count, _shared in seen] == list(range(1, 301))
    for count, shared in seen:
        assert count - shared < (200 - shared) / shared_cache.LOOK_SHARE or count == shared, (count, shared)
        if count > 200 - shared_cache.LOOK_SHARE:
            assert count == shared  # near the limit and past it: every request in the shared row
    assert sum(count != shared for count, shared in seen) > 50  # far from it, most were not written
