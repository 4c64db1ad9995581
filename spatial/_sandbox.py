"""Run a parser on untrusted bytes in a child process with hard resource limits.

GDAL's security guidance for untrusted input is to parse in a restricted
process with CPU-time and memory limits. This module does exactly that and
nothing format-specific:

* the child is a fresh Python interpreter (``-E -s``: no ``PYTHON*`` variables,
  no user site-packages) with a minimal environment, so ``/proc/self/environ``
  inside it holds no secret of the app;
* it receives only the bytes, on standard input, plus a few plain arguments;
* its working directory is a private temporary directory (mode 0700) that the
  parent removes afterwards, whatever happened;
* before it reads a single byte it limits itself with ``setrlimit``: CPU
  seconds, address space, size of any file it writes, open files, no core
  dumps; the parent adds a wall-clock timeout and kills the whole process
  group when it expires;
* it answers by writing one result file, which the parent reads only if it is
  within the output cap. The answer is data (the caller decides the format,
  e.g. JSON + WKB), never a pickle: a child that was subverted by a hostile
  file must not be able to run code in the app.

The entry point is named as ``"package.module:function"`` and is called as
``function(data: bytes, workdir: Path, args: list[str]) -> bytes``.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Literal

__all__ = ["SandboxError", "SandboxLimits", "run_sandboxed"]

log = logging.getLogger(__name__)

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_RESULT_NAME = "result.bin"

# Exit codes the child uses to say why it stopped (signals show up as negative codes).
_EXIT_OK = 0
_EXIT_CRASH = 3
_EXIT_MEMORY = 4
_EXIT_BAD_CALL = 5
_EXIT_FSIZE = 6

FailureKind = Literal["timeout", "memory", "output_too_large", "crashed"]


class SandboxError(Exception):
    """The child did not produce a result.

    This is an internal error: callers translate it into a user-facing
    :class:`spatial.SpatialError` and never show its text to a user.

    Attributes
    ----------
    kind : {"timeout", "memory", "output_too_large", "crashed"}
        Why the child stopped.
    """

    def __init__(self, kind: FailureKind, detail: str = "") -> None:
        self.kind: FailureKind = kind
        super().__init__(f"{kind}: {detail}" if detail else kind)


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits for one sandboxed run.

    Attributes
    ----------
    cpu_seconds : int
        CPU time (user + system) after which the kernel stops the child.
    wall_seconds : float
        Wall-clock time after which the parent kills the child (covers a child
        that sleeps or waits instead of computing).
    address_space_bytes : int
        Virtual memory cap (``RLIMIT_AS``); the interpreter with numpy, GDAL
        and PROJ loaded needs about 0.5 GiB of it before any parsing.
    file_bytes : int
        Largest file the child may write (``RLIMIT_FSIZE``): bounds both its
        copy of the input and the result it hands back.
    open_files : int
        Largest number of open file descriptors.
    """

    cpu_seconds: int = 30
    wall_seconds: float = 60.0
    address_space_bytes: int = 3 * 1024**3
    file_bytes: int = 512 * 1024**2
    open_files: int = 256


def _minimal_env(workdir: Path, extra: Mapping[str, str] | None) -> dict[str, str]:
    """Environment of the child: nothing inherited but what it needs to run."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        # One thread each: thread pools reserve address space per thread and the AS cap is tight.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONIOENCODING": "utf-8",
    }
    if extra:
        env.update(extra)
    return env


def run_sandboxed(
    entry: str,
    data: bytes,
    args: Sequence[str] = (),
    limits: SandboxLimits | None = None,
    env: Mapping[str, str] | None = None,
) -> bytes:
    """Call ``entry(data, workdir, args)`` in a resource-limited child process.

    Parameters
    ----------
    entry : str
        ``"package.module:function"`` importable from the project root.
    data : bytes
        The untrusted input; the child gets it on standard input.
    args : sequence of str
        Plain extra arguments (e.g. a file extension). Never a path the child
        should open.
    limits : SandboxLimits, optional
        Resource limits; the defaults suit parsing an upload of up to ~50 MB.
    env : mapping, optional
        Extra environment variables for the child (e.g. GDAL configuration,
        which must be in place before GDAL is loaded).

    Returns
    -------
    bytes
        What the entry function returned.

    Raises
    ------
    SandboxError
        If the child ran out of time or memory, wrote too much, or crashed.
    """
    lim = limits or SandboxLimits()
    workdir = Path(tempfile.mkdtemp(prefix="hebi-sandbox-"))  # mode 0700, fresh name
    try:
        return _run(entry, data, list(args), lim, env, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(
    entry: str,
    data: bytes,
    args: list[str],
    lim: SandboxLimits,
    env: Mapping[str, str] | None,
    workdir: Path,
) -> bytes:
    bootstrap = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from spatial._sandbox import _child_main; _child_main(sys.argv[2:])"
    )
    cmd = [
        sys.executable,
        "-E",
        "-s",
        "-B",
        "-c",
        bootstrap,
        str(_PROJECT_ROOT),
        entry,
        str(lim.cpu_seconds),
        str(lim.address_space_bytes),
        str(lim.file_bytes),
        str(lim.open_files),
        *args,
    ]
    log_path = workdir / "child.log"
    with log_path.open("wb") as child_log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=child_log,
            stderr=child_log,
            cwd=workdir,
            env=_minimal_env(workdir, env),
            # Own process group, so a timeout kills anything the child started too.
            start_new_session=True,
            close_fds=True,
        )
        try:
            proc.communicate(input=data, timeout=lim.wall_seconds)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise SandboxError("timeout", f"wall clock > {lim.wall_seconds}s") from None
        except BaseException:
            _kill_group(proc)
            raise
    code = proc.returncode
    if code != _EXIT_OK:
        detail = _tail(log_path)
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            raise SandboxError("timeout", f"cpu limit ({code}); {detail}")
        if code == _EXIT_MEMORY:
            raise SandboxError("memory", detail)
        if code in (_EXIT_FSIZE, -signal.SIGXFSZ):
            raise SandboxError("output_too_large", detail)
        log.warning("sandboxed parser exited with %s: %s", code, detail)
        raise SandboxError("crashed", f"exit {code}; {detail}")
    result = workdir / _RESULT_NAME
    try:
        size = result.stat().st_size
    except FileNotFoundError:
        raise SandboxError("crashed", "no result file") from None
    if size > lim.file_bytes:
        raise SandboxError("output_too_large", f"{size} bytes")
    return result.read_bytes()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _tail(path: Path, limit: int = 2000) -> str:
    """Last bytes of the child's log, for the server log only (never for users)."""
    try:
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - limit))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _set_limits(cpu: int, address_space: int, file_bytes: int, open_files: int) -> None:
    # Soft CPU limit sends SIGXCPU; the hard limit one second later sends SIGKILL.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child_main(argv: list[str]) -> None:
    """Body of the child process: limit, read stdin, call the entry, write the result."""
    try:
        entry, cpu, aspace, fsize, nofile, *args = argv
        _set_limits(int(cpu), int(aspace), int(fsize), int(nofile))
        module_name, func_name = entry.split(":", 1)
        func: Callable[[bytes, Path, list[str]], bytes] = getattr(
            import_module(module_name), func_name
        )
    except Exception:
        traceback.print_exc()
        sys.exit(_EXIT_BAD_CALL)
    workdir = Path.cwd()
    try:
        data = sys.stdin.buffer.read()
        out = func(data, workdir, args)
        (workdir / _RESULT_NAME).write_bytes(out)
    except MemoryError:
        sys.stderr.write("MemoryError\n")
        sys.exit(_EXIT_MEMORY)
    except OSError as exc:
        # Python ignores SIGXFSZ, so hitting RLIMIT_FSIZE surfaces as EFBIG.
        traceback.print_exc()
        sys.exit(_EXIT_FSIZE if exc.errno == errno.EFBIG else _EXIT_CRASH)
    except Exception:
        traceback.print_exc()
        sys.exit(_EXIT_CRASH)
    sys.exit(_EXIT_OK)
