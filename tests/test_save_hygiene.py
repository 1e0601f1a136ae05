"""save() to a path: temporary files, modes, read-only and symlink destinations, extra files, errors, kills."""
import io
import os
import signal
import stat
import subprocess
import sys
import textwrap
import time

import pytest

import minexport as me
from minexport.export import SerializationError, export, load, save
from minexport.serde.atomic_file import temp_prefix


def _ep(n=4):
    return export(me.nn.Linear(n, n), (me.randn(2, n),))


def _temps(folder):
    return sorted(n for n in os.listdir(folder) if ".minexport-tmp-" in n)


def _dead_pid():
    """The id of a process that has exited (and been reaped)."""
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_new_file_mode_follows_umask(tmp_path):
    old = os.umask(0o027)
    try:
        save(_ep(), tmp_path / "a.pt2")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a.pt2").st_mode) == 0o640
    old = os.umask(0o022)
    try:
        save(_ep(), tmp_path / "b.pt2")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "b.pt2").st_mode) == 0o644


def test_overwrite_keeps_mode(tmp_path):
    path = tmp_path / "a.pt2"
    save(_ep(), path)
    os.chmod(path, 0o604)
    save(_ep(), path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o604
    assert _temps(tmp_path) == []


def test_read_only_destination_is_refused(tmp_path):
    path = tmp_path / "ro.pt2"
    path.write_bytes(b"keep me")
    os.chmod(path, 0o444)
    with pytest.raises(SerializationError, match="read-only"):
        save(_ep(), path)
    assert path.read_bytes() == b"keep me" and _temps(tmp_path) == []


def test_directory_destination_is_refused(tmp_path):
    (tmp_path / "d.pt2").mkdir()
    with pytest.raises(SerializationError, match="is a directory"):
        save(_ep(), tmp_path / "d.pt2")


def test_missing_folder_is_a_serialization_error(tmp_path):
    with pytest.raises(SerializationError, match="cannot create a file in"):
        save(_ep(), tmp_path / "no" / "such" / "a.pt2")


def test_symlink_destination_is_written_through(tmp_path):
    target = tmp_path / "real.pt2"
    save(_ep(), target)
    os.chmod(target, 0o640)
    link = tmp_path / "link.pt2"
    link.symlink_to(target.name)
    ep = _ep(3)
    save(ep, link)
    assert link.is_symlink() and os.readlink(link) == target.name
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert str(load(target)) == str(ep)
    assert sorted(os.listdir(tmp_path)) == ["link.pt2", "real.pt2"]


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.pt2"
    link.symlink_to("made.pt2")
    save(_ep(), link)
    assert link.is_symlink() and (tmp_path / "made.pt2").is_file()


@pytest.mark.parametrize("extra, rule", [
    ({"a/b": "x"}, "not a plain file name"),
    ({"..": "x"}, "not a plain file name"),
    ({"": "x"}, "not a plain file name"),
    ({"a\\b": "x"}, "not a plain file name"),
    ({"a\0b": "x"}, "not a plain file name"),
    ({"x" * 300: "x"}, "more than 255"),
    ({3: "x"}, "must be a str"),
    ({"n": 3}, "expected str or bytes"),
    ({"n": b"\xff\xfe"}, "not UTF-8"),
    ({"n": "\ud800"}, "cannot be encoded"),
])
def test_save_refuses_extra_files_load_refuses(tmp_path, extra, rule):
    with pytest.raises(SerializationError, match=rule):
        save(_ep(), tmp_path / "e.pt2", extra_files=extra)
    assert os.listdir(tmp_path) == []
    with pytest.raises(SerializationError, match=rule):
        save(_ep(), io.BytesIO(), extra_files=extra)


def test_load_applies_the_same_name_rules(tmp_path):
    save(_ep(), tmp_path / "e.pt2", extra_files={"ok.txt": b"caf\xc3\xa9"})
    got = {"ok.txt": ""}
    load(tmp_path / "e.pt2", extra_files=got)
    assert got == {"ok.txt": "café"}
    with pytest.raises(SerializationError, match="not a plain file name"):
        load(tmp_path / "e.pt2", extra_files={"../ok.txt": ""})


def test_file_object_write_error_is_a_serialization_error():
    class Full(io.BytesIO):
        def write(self, data):
            raise OSError(28, "No space left on device")
    with pytest.raises(SerializationError, match="No space left"):
        save(_ep(), Full())


def test_stale_temps_removed_only_when_their_process_is_dead(tmp_path):
    path = tmp_path / "m.pt2"
    dead = tmp_path / f"{temp_prefix(str(path))}{_dead_pid()}-abcdef"
    alive = tmp_path / f"{temp_prefix(str(path))}{os.getpid()}-123456"
    other = tmp_path / f"{temp_prefix(str(tmp_path / 'other.pt2'))}{_dead_pid()}-abcdef"
    for f in (dead, alive, other):
        f.write_bytes(b"junk")
    save(_ep(), path)
    assert not dead.exists() and alive.exists() and other.exists()
    dead.write_bytes(b"junk")
    load(path)
    assert not dead.exists() and alive.exists()


_KILLED_SAVE = textwrap.dedent("""
    import sys, time
    import minexport as me
    import minexport.serde.archive as archive
    from minexport.export import export, save
    ep = export(me.nn.Linear(1024, 1024), (me.randn(2, 1024),))
    real = archive._Writer.write
    def slow(self, path, data):
        real(self, path, data)
        self.fileobj.flush()
        open(sys.argv[2], "w").close()     # tell the parent: the temporary file is half written
        time.sleep(60)
    archive._Writer.write = slow
    save(ep, sys.argv[1])
""")


def test_kill_during_save(tmp_path):
    path = tmp_path / "k.pt2"
    ep = _ep()
    save(ep, path)
    before = path.read_bytes()
    flag = tmp_path / "flag"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.getcwd(), *sys.path]))
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, str(path), str(flag)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not flag.exists():
            assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "the saving process never reached its first write"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    (temp,) = _temps(tmp_path)
    assert temp.startswith(".k.pt2.minexport-tmp-") and os.path.getsize(tmp_path / temp) > 4 << 20
    assert path.read_bytes() == before and str(load(path)) == str(ep)
    assert _temps(tmp_path) == []          # the load removed the dead process's temporary file
    (tmp_path / temp).write_bytes(b"junk")
    save(ep, path)
    assert _temps(tmp_path) == []          # and so does the next save
