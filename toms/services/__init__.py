"""Use cases of the OMS, run on one engine thread that owns every write."""
