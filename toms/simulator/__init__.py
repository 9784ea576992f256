"""The simulated broker: a FIX sell-side counterparty for demos and tests.

``matching`` is the pure order-matching model (no I/O, no clock), ``scenarios`` the scripted
broker behaviours selected per order, ``prices`` the reference-price generators,
``settings`` the QuickFIX settings builder and ``acceptor`` the QuickFIX acceptor that puts
the model on the wire. Only ``acceptor`` and ``settings`` import quickfix.
"""
