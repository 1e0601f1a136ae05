"""Writing a file atomically: a temporary file beside the destination, renamed over it.

Guarantees (spec/archive.md, "Saving"):

* the temporary file is `.<name>.minexport-tmp-<pid>-<random>` in the
  destination's folder; a save or load of that path removes such files whose
  writing process no longer exists (a save killed mid-write leaves one);
* a new file's mode comes from the umask (the temporary file is created with
  0o666 and the kernel applies the umask); an overwritten file keeps its mode;
* a destination without write permission is refused, not replaced;
* a symlink destination is written through: its (final) target is replaced
  and the link stays a link;
* every failure to write is a SerializationError naming the path.
"""
import contextlib
import os
import re
import secrets
import stat

from .errors import SerializationError

__all__ = ["atomic_write", "remove_stale_temps", "temp_prefix"]

_TEMP = re.compile(r"\.minexport-tmp-(\d+)-[0-9a-f]+\Z")


def temp_prefix(path):
    """The name every temporary file for path starts with (in path's folder)."""
    return f".{os.path.basename(path)}.minexport-tmp-"


def _pid_alive(pid):
    """True unless no process has this id (a process of another user counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def remove_stale_temps(path):
    """Delete the temporary files of earlier saves of path whose writing process is gone; best effort."""
    target = os.path.realpath(os.fspath(path))
    folder, prefix = os.path.dirname(target), temp_prefix(target)
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix):
            continue
        m = _TEMP.match(name, len(prefix) - len(".minexport-tmp-"))
        if m is None or _pid_alive(int(m.group(1))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(folder, name))


def _check_destination(target, shown):
    """The mode to give the new file (None: from the umask), after refusing destinations we may not replace."""
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise SerializationError(f"cannot save to {shown!r}: {e.strerror or e}") from None
    if stat.S_ISDIR(st.st_mode):
        raise SerializationError(f"cannot save to {shown!r}: it is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise SerializationError(f"cannot save to {shown!r}: it is not a regular file")
    # no write bit at all, or none for us: replacing it would defeat its read-only mode (root included)
    if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise SerializationError(f"cannot save to {shown!r}: the file is read-only")
    return stat.S_IMODE(st.st_mode)


def atomic_write(path, write):
    """Call write(binary_file) on a temporary file beside path, then rename it over path.

    On any failure the temporary file is removed and path is unchanged;
    OSErrors become SerializationError (other exceptions propagate as they are).
    """
    shown = os.fspath(path)
    target = os.path.realpath(shown)     # a symlink is written through to its final target
    remove_stale_temps(target)
    mode = _check_destination(target, shown)
    folder = os.path.dirname(target)
    tmp = os.path.join(folder, f"{temp_prefix(target)}{os.getpid()}-{secrets.token_hex(6)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
    except OSError as e:
        raise SerializationError(f"cannot save to {shown!r}: cannot create a file in {folder!r}: "
                                 f"{e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            if mode is not None:
                os.fchmod(out.fileno(), mode)
            write(out)
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise SerializationError(f"cannot save to {shown!r}: {e.strerror or e}") from e
        raise
