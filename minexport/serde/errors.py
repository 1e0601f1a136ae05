"""The one error type of reading and writing archives."""

__all__ = ["SerializationError"]


class SerializationError(Exception):
    """An archive could not be written or read; nothing partial is returned."""
