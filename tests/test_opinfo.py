"""The OpInfo replay oracle: torch's own sample inputs, replayed on minexport (see spec/opinfo.md).

One replay (tests/opinfo_report.py) feeds every assertion here; `-s` prints
its report and the path of its JSON.
"""
import pytest

pytest.importorskip("torch")
pytest.importorskip("expecttest")    # torch's OpInfo database imports it

import opinfo_report

# the number of present ops may not fall below this; raise it when ops land
PRESENT_FLOOR = 531


@pytest.fixture(scope="module")
def report():
    """The replay, run once for this module; printed with its JSON path."""
    r = opinfo_report.run()
    print("\n" + opinfo_report.format_report(r))
    print("JSON:", opinfo_report.write_json(r))
    return r


def test_spec_tables_are_readable():
    """spec/opinfo.md gives every exclusion and known divergence a reason."""
    for table in (opinfo_report.exclusions(), opinfo_report.known_divergences()):
        for name, reason in table.items():
            assert name and reason, f"spec/opinfo.md: an entry without a reason: {name!r}"
    assert "linalg.*" in opinfo_report.exclusions()


def test_coverage_floor(report):
    assert report["ops_present"] >= PRESENT_FLOOR, \
        f"only {report['ops_present']} OpInfo ops are present on minexport (floor {PRESENT_FLOOR})"


def test_every_sample_of_every_present_op_agrees(report):
    known = opinfo_report.known_divergences()
    bad = {name: v for name, v in report["ops"].items()
           if v["status"] == "present" and v["failures"] and name not in known}
    lines = [f"{name}: {v['agree']}/{v['samples']}; first: {v['failures'][0]['dtype']} "
             f"{v['failures'][0]['sample']}: {v['failures'][0]['reason']}" for name, v in sorted(bad.items())]
    assert not bad, "OpInfo samples where minexport disagrees with torch (fix, or list with a reason under " \
                    "'Known divergences' in spec/opinfo.md):\n" + "\n".join(lines)


def test_known_divergences_are_current(report):
    """A listed divergence names an OpInfo that exists, is present, and still disagrees somewhere."""
    ops = report["ops"]
    stale = [name for name in opinfo_report.known_divergences()
             if name not in ops or ops[name]["status"] != "present" or not ops[name]["failures"]]
    assert not stale, f"spec/opinfo.md lists divergences that no longer occur (remove them): {stale}"


def test_present_ops_replay_samples(report):
    """A present op whose samples all fail to convert would pass vacuously: every present op replays one."""
    empty = [name for name, v in report["ops"].items() if v["status"] == "present" and v["samples"] == 0
             and not v["failures"]]
    assert not empty, f"present ops with no replayed sample: {empty}"
