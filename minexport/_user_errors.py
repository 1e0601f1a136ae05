"""The errors export raises, and the one rule for "which stack frame is the user's".

Error messages point at the innermost user frame (`user_frame`), and the
tracer records the user frames of every op in its `stack_trace`; both use
`is_user_code`.  This module sits in the bottom layer (it imports nothing of
minexport), so symbolic sizes and meta functions can raise these errors too;
`minexport.export.errors` re-exports them.
"""
import linecache
import os
import sys


__all__ = ["UserError", "DataDependentError", "is_user_code", "user_frame", "format_user_frame"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_LAYER_MODULES = os.path.join(_PACKAGE_DIR, "nn", "modules") + os.sep


class UserError(RuntimeError):
    """export() refuses the program as written; the message says why and what to change."""


class DataDependentError(UserError):
    """Python code needs a traced tensor's value, which export cannot see."""


def is_user_code(filename):
    """True for code the user wrote: any file outside minexport, and minexport's nn layers (their
    forwards are the model's code, as torch.nn's are in torch's stack traces).

    Decided by where the file lives, never by what its path spells: a user's `cnn_model.py` is user
    code, and minexport's own files are not, wherever the package is installed.
    """
    return not filename.startswith(_PACKAGE_DIR) or filename.startswith(_LAYER_MODULES)


def user_frame(depth=1):
    """The innermost frame of user code (see `is_user_code`), starting `depth` frames up."""
    f = sys._getframe(depth)
    while f is not None and not is_user_code(f.f_code.co_filename):
        f = f.f_back
    return f


def format_user_frame(frame):
    """'  File "x.py", line 7, in forward\\n    if x.sum() > 0:'."""
    if frame is None:
        return "  (no user frame found)"
    code = frame.f_code
    line = linecache.getline(code.co_filename, frame.f_lineno).strip()
    return f'  File "{code.co_filename}", line {frame.f_lineno}, in {code.co_name}\n    {line}'

