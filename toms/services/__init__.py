"""Use cases of the OMS, run one at a time by the single writer (``engine``)."""
