"""Wallie: client-conversation intelligence for AI assistants."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("wallie")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
