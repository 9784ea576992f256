"""The trader's blotter: a PyQt6 desktop client of the OMS server.

It talks only to the server's HTTP API and live event stream. Events name what changed;
the blotter re-reads those entities from the API, so every cell shows what the server
records, never a local guess. ``toms blotter --server URL --token T`` starts it.
"""
