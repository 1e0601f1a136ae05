"""Run every example script, capture each program it exports, and check its generated module.

    python tests/_codegen_examples.py OUT.json EXAMPLE.py...

For each export() call an example makes, the program is written with
minexport.codegen and run on the export's own example inputs against
ep.module().  OUT.json: {example: [{"ok": bool, "why": str}, ...]}; a
program that cannot be written (e.g. a custom op) is recorded with
"refused" and the CodegenError's message.
"""
import contextlib
import io
import json
import pathlib
import runpy
import sys
import tempfile
import traceback

import minexport.export as mexport
from minexport.codegen import CodegenError, write_module

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _codegen_cases import compare, import_path


def main(out, scripts):
    report = {}
    real = mexport.export
    for script in scripts:
        captured = []

        def capturing(*a, **k):
            ep = real(*a, **k)
            captured.append(ep)
            return ep
        mexport.export = capturing
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                runpy.run_path(script, run_name="__main__")
        except BaseException as e:          # an example failing on its own is test_examples' business
            report[pathlib.Path(script).name] = [{"ok": False, "why": f"example failed: {e!r}"}]
            continue
        finally:
            mexport.export = real
        rows = []
        for ep in captured:
            d = pathlib.Path(tempfile.mkdtemp())
            try:
                gen = import_path(write_module(ep, str(d / "gen.py")))
            except CodegenError as e:
                rows.append({"ok": True, "refused": True, "why": str(e)})
                continue
            try:
                if ep.example_inputs is not None:
                    compare(ep, gen, ep.example_inputs)
                rows.append({"ok": True, "refused": False, "why": ""})
            except Exception:
                rows.append({"ok": False, "refused": False, "why": traceback.format_exc()[-1500:]})
        report[pathlib.Path(script).name] = rows
    with open(out, "w") as f:
        json.dump(report, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
