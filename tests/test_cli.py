"""python -m minexport show | verify | run."""
import os
import pathlib
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
ARCHIVE = ROOT / "tests" / "fixtures" / "static_training.pt2"


def cli(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "minexport", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120)


def test_show_and_verify():
    out = cli("show", ARCHIVE)
    assert out.returncode == 0 and "ExportedProgram:" in out.stdout
    out = cli("verify", ARCHIVE)
    assert out.returncode == 0 and out.stdout.startswith("ok: ") and "TRAINING" in out.stdout


def test_run(tmp_path):
    data = np.load(ROOT / "tests" / "fixtures" / "static_training.npz")
    inputs = tmp_path / "in.npz"
    np.savez(inputs, **{f"arr_{i}": data[f"in_{i}"] for i in range(3)})
    out = cli("run", ARCHIVE, "--inputs", inputs, "--out", tmp_path / "out.npz")
    assert out.returncode == 0, out.stderr
    got = np.load(tmp_path / "out.npz")
    for i in range(4):
        np.testing.assert_allclose(got[f"out_{i}"], data[f"out_{i}"], rtol=1e-5, atol=1e-6)


def test_errors_exit_nonzero_without_traceback(tmp_path):
    bad = tmp_path / "bad.pt2"
    bad.write_bytes(b"nope")
    out = cli("verify", bad)
    assert out.returncode == 1 and "SerializationError" in out.stderr and "Traceback" not in out.stderr
    out = cli("show", tmp_path / "missing.pt2")
    assert out.returncode == 1 and "no archive at" in out.stderr
