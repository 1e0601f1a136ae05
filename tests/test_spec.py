"""spec/ stays in step with the code."""
import pathlib

from minexport.ops import _spec

SPEC = pathlib.Path(__file__).resolve().parent.parent / "spec"


def test_ops_md_is_current():
    committed = (SPEC / "ops.md").read_text()
    assert committed == _spec.render(), "spec/ops.md is stale: python -m minexport.ops._spec > spec/ops.md"


def test_core_ops_md_is_current():
    committed = (SPEC / "core_ops.md").read_text()
    assert committed == _spec.render_core(), "spec/core_ops.md is stale: python -m minexport.ops._spec"
