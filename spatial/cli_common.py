"""How every command line ends: its work done, or why not in Chinese and English, never a traceback.

Used by :mod:`spatial.coverage_cli`, :mod:`spatial.monitoring_cli`,
:mod:`spatial.office_cli` and :mod:`spatial.export_cli`, so that a refusal reads
and exits the same way everywhere (status 2 on standard error).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from spatial._errors import SpatialError

__all__ = ["EXIT_OK", "EXIT_REFUSED", "run_command"]

EXIT_OK = 0
EXIT_REFUSED = 2


def run_command(work: Callable[[], object], failure: str = "") -> int:
    """Run a command line's work; return 0, or 2 after saying why on standard error.

    Parameters
    ----------
    work : callable
        The command's work, with its arguments already parsed.
    failure : str
        Put before the reason, e.g. "出图失败 / Export failed: ".

    Returns
    -------
    int
        The process exit status. A :class:`SpatialError` prints its bilingual
        message; an ``OSError`` (a file that cannot be read or written) its
        system reason only, so no server path and no traceback reach the user.
    """
    try:
        work()
    except SpatialError as err:
        print(f"{failure}{err}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as err:
        print(f"{failure}无法读写文件 / Cannot read or write a file: {err.strerror}",
              file=sys.stderr)
        return EXIT_REFUSED
    return EXIT_OK
