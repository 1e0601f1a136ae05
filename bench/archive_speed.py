"""save/load time and archive size against torch.export.save/load, in one run.

    python -m bench.archive_speed [--repeat 5]

Programs: the 64-layer MLP (width 64) and 12 attention blocks (d_model 64),
the same architectures exported by both.  Goals: load at least 5x faster than
torch.export.load, archive size within 1% of torch's, save at least as fast.
"""
import argparse
import io

import minexport as me
import minexport.nn as mnn
from minexport.export import export, load, save

from . import export_speed  # the same model definitions
from ._common import median_time, optional_torch



def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    torch = optional_torch()
    print(f"{'program':<8}{'save ms':>9}{'torch':>8}{'load ms':>9}{'torch':>8}{'load speedup':>14}"
          f"{'size KB':>9}{'torch':>8}{'size ratio':>12}")
    for name, make, shape in export_speed.MODELS[1:]:
        ep = export(make(mnn).eval(), (me.randn(*shape),))
        buf = io.BytesIO()
        save(ep, buf)
        data = buf.getvalue()
        t_save = median_time(lambda: save(ep, io.BytesIO()), args.repeat)
        t_load = median_time(lambda: load(io.BytesIO(data)), args.repeat)
        t_tsave = t_tload = size_t = float("nan")
        if torch is not None:
            tep = torch.export.export(make(torch.nn).eval(), (torch.randn(*shape),))
            tbuf = io.BytesIO()
            torch.export.save(tep, tbuf)
            tdata = tbuf.getvalue()
            size_t = len(tdata)
            t_tsave = median_time(lambda: torch.export.save(tep, io.BytesIO()), args.repeat)
            t_tload = median_time(lambda: torch.export.load(io.BytesIO(tdata)), args.repeat)
        print(f"{name:<8}{t_save * 1e3:>9.1f}{t_tsave * 1e3:>8.1f}{t_load * 1e3:>9.1f}{t_tload * 1e3:>8.1f}"
              f"{t_tload / t_load:>13.1f}x{len(data) / 1024:>9.1f}{size_t / 1024:>8.1f}{len(data) / size_t:>12.3f}")


if __name__ == "__main__":
    main()
