"""What an installation starts with and runs on: reference data, the demonstration ledger, and the
PostgreSQL client tools. Used by the ``registry`` command and the benchmarks alike."""
