"""The FIX boundary: a pure codec, a thin guarded QuickFIX application, the gateway,
session settings, and simplefix-based log tools. FIX tag numbers live only here and in
``toms.simulator``."""
