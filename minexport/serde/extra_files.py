"""The rules for `extra_files` names and contents, shared by save and load so that what saves, loads."""
from . import schema as S
from .errors import SerializationError

__all__ = ["check_extra_name", "extra_bytes"]

_FORBIDDEN = ("/", "\\", "\0")
_MAX_NAME_BYTES = 255


def check_extra_name(key):
    """Refuse an extra-file name that is not one plain file name (the member is `<top>/extra/<name>`)."""
    if not isinstance(key, str):
        raise SerializationError(f"extra_files: a name must be a str, got {type(key).__name__}")
    if key in ("", ".", "..") or any(c in key for c in _FORBIDDEN):
        raise SerializationError(f"extra_files: {key!r} is not a plain file name")
    try:
        size = len(key.encode("utf-8"))
    except UnicodeEncodeError:
        raise SerializationError(f"extra_files: {key!r} is not valid text") from None
    if size > _MAX_NAME_BYTES:
        raise SerializationError(f"extra_files: the name {key[:20]!r}... is {size} bytes, more than "
                                 f"{_MAX_NAME_BYTES}")


def extra_bytes(key, value):
    """The bytes saved for one extra file: text (str, or bytes in UTF-8) no larger than load reads."""
    check_extra_name(key)
    if isinstance(value, str):
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError:
            raise SerializationError(f"extra_files[{key!r}]: the text cannot be encoded as UTF-8") from None
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise SerializationError(f"extra_files[{key!r}]: the bytes are not UTF-8 text, which load "
                                     f"returns") from None
    else:
        raise SerializationError(f"extra_files[{key!r}]: expected str or bytes, got {type(value).__name__}")
    if len(data) > S.MAX_JSON_BYTES:
        raise SerializationError(f"extra_files[{key!r}]: {len(data)} bytes, more than load reads "
                                 f"({S.MAX_JSON_BYTES})")
    return data
