"""formcheck: coaches the form of lower-back-pain exercises from pose landmarks."""

__version__ = "0.1.0"
