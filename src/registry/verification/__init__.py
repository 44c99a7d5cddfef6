"""``registry verify``: the reader above every app that proves the database is what the journals say."""

from registry.verification.ledger import Report, verify

__all__ = ["Report", "verify"]
