"""Unique identifiers of blocks as shown to people (decision 6/CMA.4 annex I para 5).

An ITMO's identifier is built from the cooperative approach, the originating registry, the first
transferring Party, the serial numbers and the vintage. Units that are not ITMOs (J-Credits) use
their programme's scheme code in place of the approach and ``NA`` for the first transferring Party.
The format is one template, configurable per installation.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

DEFAULT_FORMAT = "{approach}-{originating_registry}-{first_transferring_party}-{first}-{last}-{vintage}"
NOT_APPLICABLE = "NA"


@dataclass(frozen=True, slots=True)
class BlockIdentity:
    approach: str | None
    scheme: str
    originating_registry: str
    first_transferring_party: str | None
    first: int
    last: int
    vintage: int


def block_identifier(identity: BlockIdentity, template: str = DEFAULT_FORMAT) -> str:
    """``CA0001-MNG01-MNG-1-130-2023`` for an ITMO, ``JC-JPN01-NA-1-50-2022`` for a J-Credit."""
    return template.format(
        approach=identity.approach or identity.scheme,
        originating_registry=identity.originating_registry,
        first_transferring_party=identity.first_transferring_party or NOT_APPLICABLE,
        first=identity.first,
        last=identity.last,
        vintage=identity.vintage,
    )


_FIELD_PATTERNS = {
    "approach": r"(?P<approach>[A-Z][A-Z0-9]*)",
    "originating_registry": r"(?P<originating_registry>[A-Z]{3}[0-9]{2})",
    "first_transferring_party": r"(?P<first_transferring_party>[A-Z]{3}|NA)",
    "first": r"(?P<first>[0-9]+)",
    "last": r"(?P<last>[0-9]+)",
    "vintage": r"(?P<vintage>[0-9]{4})",
}


def parse_block_identifier(text: str, template: str = DEFAULT_FORMAT) -> tuple[str, int, int] | None:
    """The originating registry and serials a unique identifier (as ``block_identifier`` writes it
    with ``template``) names: ``CA0001-MNG01-MNG-281-380-2023`` -> ``("MNG01", 281, 380)``;
    ``None`` if ``text`` is not one."""
    pattern = ""
    for literal, field, _spec, _conversion in string.Formatter().parse(template):
        pattern += re.escape(literal)
        if field is not None:
            pattern += _FIELD_PATTERNS[field]
    found = re.fullmatch(pattern, text.strip())
    if found is None:
        return None
    return found["originating_registry"], int(found["first"]), int(found["last"])
