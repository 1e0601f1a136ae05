"""torchvision models exported and saved by torch (2.14.1) load and run in minexport, torch absent.

The archives are written by tests/make_torchvision_archives.py under another
Python (.ci/run makes a venv with torch 2.14.1 + torchvision 0.29.1 and runs
it once); this test finds them in $MINEXPORT_TV_ARCHIVES or the generator's
default directory and skips, saying why, when there are none.  Each model is
loaded, run as exported and after run_decompositions(), and compared with
torch's outputs within tv_archives.RTOL/ATOL (see there).  Load and run times
are recorded as test properties; tests/tv_report.py prints them as a table.
"""
import os

import pytest

from tv_archives import ALL, archive_dir, check, unavailable_reason

FOLDER = archive_dir()
_REASON = unavailable_reason(FOLDER)


@pytest.mark.parametrize("name", list(ALL))
def test_torchvision_archive_loads_and_runs_like_torch(name, record_property):
    if _REASON:
        pytest.skip(_REASON)
    if not os.path.exists(os.path.join(FOLDER, f"{name}.npz")):
        pytest.skip(f"no archive for {name} in {FOLDER} (torch could not export it: see the generator's output)")
    r = check(name, FOLDER)
    for key in ("load_s", "run_s", "core_run_s", "torch_s", "max_diff", "core_max_diff"):
        record_property(key, getattr(r, key))
    assert r.load_error is None, f"{r.load_error}; ops minexport lacks: {r.missing}"
    assert r.run_error is None, r.run_error
    assert r.ok, f"outputs differ from torch's: max |diff| {r.max_diff:.3g}"
    assert r.core_error is None, f"after run_decompositions(): {r.core_error}"
    assert r.core_ok, f"after run_decompositions(), outputs differ from torch's: max |diff| {r.core_max_diff:.3g}"
