"""The toolkit's version, importable by every layer (the package face re-exports it)."""

__version__ = "0.1.0"
