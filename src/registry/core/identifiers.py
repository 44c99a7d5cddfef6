"""Unique identifiers of blocks as shown to people (decision 6/CMA.4 annex I para 5).

An ITMO's identifier is built from the cooperative approach, the originating registry, the first
transferring Party, the serial numbers and the vintage. Units that are not ITMOs (J-Credits) use
their programme's scheme code in place of the approach and ``NA`` for the first transferring Party.
The format is one template, configurable per installation.
"""

from __future__ import annotations

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
