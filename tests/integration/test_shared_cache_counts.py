"""The rate limits' counts in the database cache (``registry.api.shared_cache``): each process
reserves runs of counts (leases) in the shared row and hands them out in memory; every request has
its own place in the one count all processes share, so a limit is never exceeded."""

from __future__ import annotations

from django.core.cache import cache

from registry.api import shared_cache
from registry.api.shared_cache import count_request

WINDOW, NOW = 1000, 60_000.0


def test_far_from_its_limit_a_request_writes_nothing_and_other_processes_counts_show_at_the_next_lease(db, django_assert_num_queries):
    assert count_request("far", WINDOW, 60, 10_000, NOW) == (1, 0)  # the window's first: a lease of one
    assert count_request("far", WINDOW, 60, 10_000, NOW) == (2, 0)  # a lease of (10,000 - 1) / 16
    assert cache.get("far-1000") == 625  # reserved in the shared row
    with django_assert_num_queries(0):
        counts = [count_request("far", WINDOW, 60, 10_000, NOW)[0] for _ in range(623)]
    assert counts == list(range(3, 626))
    cache.incr("far-1000", 100)  # another process's lease
    assert count_request("far", WINDOW, 60, 10_000, NOW)[0] == 726


def test_near_its_limit_every_request_is_counted_in_the_shared_row_at_once(db):
    for n in range(1, 41):
        count, _previous = count_request("near", WINDOW, 60, 32, NOW)
        assert count == n and cache.get("near-1000") == n
    cache.incr("near-1000", 5)  # another process's requests show at the next one
    assert count_request("near", WINDOW, 60, 32, NOW)[0] == 46


def test_what_a_lease_left_unused_is_given_back_when_the_next_window_begins(db):
    for _ in range(7):
        count_request("roll", WINDOW, 60, 10_000, NOW)
    assert cache.get("roll-1000") == 625  # 1, then a lease of 624
    assert count_request("roll", WINDOW + 1, 60, 10_000, NOW + 60) == (1, 7)  # the 7 really counted
    assert cache.get("roll-1000") == 7 and cache.get("roll-1001") == 1


def test_two_processes_counting_one_key_never_take_the_same_count_nor_pass_the_limit(db, monkeypatch):
    processes: list[dict[str, object]] = [{}, {}]
    counts = []
    for n in range(400):
        monkeypatch.setattr(shared_cache, "_tallies", processes[n % 2])  # each its own memory
        counts.append(count_request("two", WINDOW, 60, 200, NOW)[0])
    assert len(set(counts)) == 400  # one count for both: every request its own place in it
    admitted = sum(count <= 200 for count in counts)
    assert 190 <= admitted <= 200  # never more than the limit; a lease held by one may refuse a few early
    assert cache.get("two-1000") >= max(counts)
