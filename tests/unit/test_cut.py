"""Cutting several ranges out of one block never loses, duplicates or overlaps a serial."""

from hypothesis import given
from hypothesis import strategies as st

from registry.core.serials import SerialRange, cut


@st.composite
def block_and_disjoint_parts(draw):
    start = draw(st.integers(1, 1000))
    end = draw(st.integers(start + 1, start + 200))
    points = sorted(draw(st.sets(st.integers(start, end), min_size=2, max_size=10)))
    pairs = [SerialRange(a, b) for a, b in zip(points[::2], points[1::2], strict=False)]
    return SerialRange(start, end), draw(st.permutations(pairs))


@given(block_and_disjoint_parts())
def test_cut_covers_the_block_exactly_and_flags_exactly_the_taken_parts(case):
    block, taken = case
    segments = cut(block, taken)
    serials = [s for segment, _ in segments for s in range(segment.start, segment.end + 1)]
    assert serials == list(range(block.start, block.end + 1))
    assert sorted(segment for segment, is_taken in segments if is_taken) == sorted(taken)


def test_cut_refuses_overlapping_parts():
    import pytest

    with pytest.raises(ValueError):
        cut(SerialRange(1, 10), [SerialRange(2, 5), SerialRange(4, 6)])
