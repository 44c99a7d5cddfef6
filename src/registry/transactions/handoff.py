"""Where a transfer to a peer registry's account goes when it is approved: the peers' outbox.

The peers app sits above the transactions (it completes them when the peer answers), so the engine
cannot call it; it sends ``peer_transfer_due`` instead, inside its database transaction, and the
outbox (``registry.peers.transfers``) answers with the proposal's message id, having stored the
signed proposal in that same transaction. The engine refuses to go on if nobody answered: no units
wait reserved for a proposal that was never stored.

Likewise ``first_transfer_abroad_due``: another Party's ITMOs first transferred by their use or
cancellation here are that Party's to record; the outbox (``registry.peers.notices``) stores the
signed notice to its registry in the same transaction, or refuses the use (1517).
"""

from __future__ import annotations

from django.dispatch import Signal

#: ``send(sender=Transaction, transaction=tx, blocks=[UnitBlock...], now=datetime)``
peer_transfer_due = Signal()

#: ``send(sender=Transaction, transaction=tx, blocks=[UnitBlock...], now=datetime)``
first_transfer_abroad_due = Signal()
