"""A unique identifier, as the holdings show it, names its originating registry and serials again."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registry.core.identifiers import DEFAULT_FORMAT, BlockIdentity, block_identifier, parse_block_identifier

identities = st.builds(
    BlockIdentity,
    approach=st.one_of(st.none(), st.from_regex(r"CA[0-9]{4}", fullmatch=True)),
    scheme=st.sampled_from(["JC", "JCM", "JCL"]),
    originating_registry=st.from_regex(r"[A-Z]{3}[0-9]{2}", fullmatch=True),
    first_transferring_party=st.one_of(st.none(), st.from_regex(r"[A-Z]{3}", fullmatch=True)),
    first=st.integers(1, 10**12),
    last=st.integers(1, 10**12),
    vintage=st.integers(2000, 2100),
)


@given(
    identities, st.sampled_from([DEFAULT_FORMAT, "{originating_registry}/{approach}/{first}-{last}/{vintage}/{first_transferring_party}"])
)
def test_an_identifier_names_its_registry_and_serials_in_any_format(identity, template):
    shown = block_identifier(identity, template)
    assert parse_block_identifier(shown, template) == (identity.originating_registry, identity.first, identity.last)


def test_serial_ranges_and_other_text_are_not_identifiers():
    assert parse_block_identifier("CA0001-MNG01-MNG-281-380-2023") == ("MNG01", 281, 380)
    assert parse_block_identifier("JC-JPN01-NA-1501-3500-2022") == ("JPN01", 1501, 3500)
    for text in ("281-300", "MNG01:281-300", "CA0001-MNG01-MNG-281-380", "CA0001-MNG01-MNG-281-380-2023-x"):
        assert parse_block_identifier(text) is None, text
