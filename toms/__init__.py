"""toms: an open-source buy-side trade order management system."""

__version__ = "0.1.0"
