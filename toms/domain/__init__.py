"""The pure core of toms: reference data, orders, blocks and the FIX order state machine.

Imports only the standard library. No I/O, no clock reads, no randomness: time and ids are
passed in by the service layer, which keeps every rule here replayable and testable.
"""
