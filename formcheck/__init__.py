"""formcheck: coaches the form of lower-back-pain exercises from pose landmarks."""

from formcheck.core import __version__

__all__ = ["__version__"]
