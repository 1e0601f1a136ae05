"""Errors that export raises, each naming the user's code and the fix (defined in the bottom layer,
`minexport._user_errors`, so that symbolic sizes and meta functions can raise them too), and how an
input's key path is written in messages."""
from .._user_errors import DataDependentError, UserError, format_user_frame, is_user_code, user_frame
from ..utils import _pytree as pytree

__all__ = ["UserError", "DataDependentError", "is_user_code", "user_frame", "format_user_frame", "input_path"]


def input_path(path):
    """A key path into (args, kwargs) as torch writes it: '*args[0]['a']', '**kwargs['z']'."""
    if not path:
        return "inputs"
    head = "*args" if path[0] == pytree.SequenceKey(0) else "**kwargs"
    return head + "".join(str(k) for k in path[1:])
