"""Command line: 规划实施监测 report from a sheet of yearly actuals.

Example::

    python -m spatial.monitoring_cli --actuals actuals.xlsx --out report.pdf
    python -m spatial.monitoring_cli --template template.csv
    python -m spatial.monitoring_cli --actuals actuals.csv --out report.pdf --lang en \\
        --tolerance 3 --band 15

The sheet is read as in the app (:func:`spatial.monitoring.read_actuals`); the
overview table (the same levels as the PDF) is printed as CSV on standard
output, and what the sheet held that was not used on standard error. A bad
file is reported in Chinese and English with exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from spatial._errors import SpatialError
from spatial.cli_common import run_command
from spatial.monitoring import (
    Actuals,
    default_rule,
    monitor,
    overview_table,
    read_actuals,
    report_pdf,
    template_csv,
)
from spatial.plan_indicators import load_plan_indicators

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m spatial.monitoring_cli",
        description="规划实施监测报告 / Plan implementation monitoring report.",
    )
    p.add_argument("--actuals", type=Path, help="CSV or .xlsx of yearly actuals 2021–2025")
    p.add_argument("--out", type=Path, help="PDF report to write")
    p.add_argument("--template", type=Path, help="write a CSV template to fill in, and stop")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--tolerance", type=float, default=2.0,
                   help="shortfall in %% of the path still on track (default 2)")
    p.add_argument("--band", type=float, default=10.0,
                   help="shortfall in %% of the path beyond which it is a warning (default 10)")
    return p


def run(args: argparse.Namespace) -> None:
    """Write the template, or read the actuals and write the report."""
    plan = load_plan_indicators()
    if args.template is not None:
        args.template.write_bytes(template_csv(plan, args.lang))
        return
    actuals = Actuals({})
    if args.actuals is not None:
        try:
            data = args.actuals.read_bytes()
        except OSError:
            raise SpatialError(f"无法读取文件“{args.actuals.name}”。",
                               f"Cannot read the file '{args.actuals.name}'.") from None
        actuals = read_actuals(data, args.actuals.name, plan)
    rules = {ind.key: replace(default_rule(ind), tolerance_pct=args.tolerance,
                              band_pct=args.band) for ind in plan}
    if not 0 <= args.tolerance <= args.band:
        raise SpatialError("容差应在 0 与预警带之间。",
                           "The tolerance must lie between 0 and the band.")
    monitors = monitor(plan, actuals, rules)
    for text in actuals.problem_texts(args.lang):
        print(text, file=sys.stderr)
    sys.stdout.write(overview_table(monitors, args.lang).to_csv(index=False))
    if args.out is not None:
        args.out.write_bytes(report_pdf(monitors, args.lang))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status (0 ok, 2 bad input)."""
    args = _parser().parse_args(argv)
    return run_command(lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
