"""The call sites of export's stack traces: how a frame is read, and the tree of formatted texts.

An op's `stack_trace` is the user frames from the root forward down to the
op, in torch's format.  `ExportTracer` walks the frames; this module holds
what the walk reads and writes: each code object's kind (`code_kind`, kept
across traces in `_FRAME_KINDS`), and the `_Sites` tree of texts, which
traces share while it holds (`_SiteTexts`).
"""
import functools
import inspect
import linecache
import weakref

from ..nn.module import Module
from .errors import is_user_code

__all__ = ["call_forward", "code_kind"]


def call_forward(mod, args, kwargs):
    """Run the traced forward; its frame is where a recorded stack trace stops."""
    return mod(*args, **kwargs)


_CALL_FORWARD_CODE = call_forward.__code__
_MODULE_CALL_CODE = Module.__call__.__code__

# How stack traces read a code object's frames (see code_kind); _UNSEEN: not asked yet.
_SKIP, _RECORD, _MODULE_CALL, _STOP, _UNSEEN = 0, 1, 2, 3, 4

# id(code object) -> its kind (code_kind), across traces: a code object's kind is a pure function of it (its
# identity against two code objects of this package, which live as long as it, and its co_filename, which
# never changes; is_user_code reads only the name and the package's own directory).  Ids, because hashing a
# code object hashes its contents.  An id names its code object for as long as the entry exists: the entry
# holds a weak reference to it (in _FRAME_CODE_REFS) whose callback removes the entry when the code object
# is freed, before its id can be given to another object.
_FRAME_KINDS = {}
_FRAME_CODE_REFS = {}


def _forget_code(key, ref):
    """A code object in _FRAME_KINDS is being freed: drop its entry."""
    _FRAME_KINDS.pop(key, None)
    _FRAME_CODE_REFS.pop(key, None)


# Code flags of frames that can be suspended and resumed from another caller (generators, coroutines).
_RESUMABLE = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE


class _Sites:
    """A chain of call sites above a module call (see `ExportTracer.stack_trace`): `text`, their stack trace
    ("" when none is user code), and the texts made from it: `calls` maps the call sites below it up to a
    module call made from it to that call's _Sites, `ops` maps the call sites of an op made inside it to the
    op's whole stack trace."""

    __slots__ = ("text", "calls", "ops")

    def __init__(self, text):
        self.text, self.calls, self.ops = text, {}, {}


class _SiteTexts:
    """The `_Sites` tree of stack-trace texts (`root`), shared by the traces of one process while it holds.

    What it maps is a pure function of what its keys name: a key is a tuple of (id(code object), offset)
    pairs of user frames (see call_sites), and a text is formatted from those same frames' code objects (file
    name, function name), their lines (a function of code and offset) and the source lines `linecache`
    gives.  So a text holds for a later trace as long as
    - each id still names the same code object: `codes` keeps every code object whose site was formatted
      (every code whose id is in a key: site_lines walks the frames the key was made from) alive for as
      long as the tree is in use, so its id is never given to another object;
    - linecache gives the same lines: `files` holds, per file read, the linecache entry the lines came
      from; linecache replaces an entry to change what getline returns (checkcache, updatecache) and never
      edits one, so the same entry object gives the same lines.  A file without such an entry (not on disk,
      or loaded lazily) would be read again by the next getline: then the tree serves this trace only.
    `_site_texts` makes a new tree when the last one no longer holds, or keeps too many code objects alive.
    """

    __slots__ = ("root", "codes", "files", "shared")

    def __init__(self):
        self.root, self.codes, self.files, self.shared = _Sites(""), {}, {}, True

    def holds(self):
        """Whether the texts hold for a new trace (see the class docstring)."""
        if not self.shared or len(self.codes) > _MAX_SHARED_CODES:
            return False
        cache = linecache.cache
        for name, entry in self.files.items():
            if cache.get(name) is not entry:
                return False
        return True

    def format_site(self, code, line):
        """`_format_site(code, line)`, noting the code object and the linecache entry it was read from."""
        text = _format_site(code, line)
        self.codes[id(code)] = code
        name = code.co_filename
        if name not in self.files:
            entry = linecache.cache.get(name)
            if type(entry) is tuple and len(entry) == 4:
                self.files[name] = entry
            else:
                self.shared = False
        return text


_MAX_SHARED_CODES = 10000
_SHARED_TEXTS = [None]      # the _SiteTexts the last trace used


def _site_texts():
    """The _SiteTexts a new trace uses: the last trace's while it holds, else a new one."""
    texts = _SHARED_TEXTS[0]
    if texts is None or not texts.holds():
        texts = _SHARED_TEXTS[0] = _SiteTexts()
    return texts


def _join(text, lines):
    """A stack trace: `text` (the sites above, outermost first), then `lines` (formatted sites, innermost
    first), one site after the other."""
    if not lines:
        return text
    below = "\n  ".join(reversed(lines))
    return f"{text}\n  {below}" if text else below


def code_kind(code):
    """How stack traces read a code object's frames: _RECORD (user code), _SKIP, _MODULE_CALL (a module
    call starts there) or _STOP (the frame that calls the root forward); remembered in _FRAME_KINDS for
    as long as the code object lives."""
    kind = _STOP if code is _CALL_FORWARD_CODE else _MODULE_CALL if code is _MODULE_CALL_CODE else \
        _RECORD if is_user_code(code.co_filename) else _SKIP
    key = id(code)
    _FRAME_CODE_REFS[key] = weakref.ref(code, functools.partial(_forget_code, key))
    _FRAME_KINDS[key] = kind
    return kind


def _format_site(code, line):
    """One frame of a recorded stack trace, torch's format: the File line, then the source line."""
    return f'File "{code.co_filename}", line {line}, in {code.co_name}\n    ' \
           f'{linecache.getline(code.co_filename, line).strip()}'
