"""Errors that export raises, each naming the user's code and the fix."""
import linecache
import os
import sys

__all__ = ["UserError", "DataDependentError", "user_frame", "format_user_frame"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARY_MODULES = os.path.join(_PACKAGE_DIR, "nn", "modules")


class UserError(RuntimeError):
    """export() refuses the program as written; the message says why and what to change."""


class DataDependentError(UserError):
    """Python code needs a traced tensor's value, which export cannot see."""


def is_internal(filename):
    """True for minexport's own files, except nn layer forwards (they are the model's code, as torch.nn's)."""
    return filename.startswith(_PACKAGE_DIR) and not filename.startswith(_LIBRARY_MODULES)


def user_frame(depth=1):
    """The innermost frame outside minexport's internals."""
    f = sys._getframe(depth)
    while f is not None and is_internal(f.f_code.co_filename):
        f = f.f_back
    return f


def format_user_frame(frame):
    """'  File "x.py", line 7, in forward\\n    if x.sum() > 0:'."""
    if frame is None:
        return "  (no user frame found)"
    code = frame.f_code
    line = linecache.getline(code.co_filename, frame.f_lineno).strip()
    return f'  File "{code.co_filename}", line {frame.f_lineno}, in {code.co_name}\n    {line}'
