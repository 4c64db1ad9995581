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
  file must not be able to run code in the app;
* at most :func:`parse_slots` children run at once on the machine (a slot is
  an ``flock`` on a file, so it holds across threads *and* server processes);
  the rest wait in a queue and the caller is told how long (``on_wait``), so
  N hostile uploads cost at most "slots × limits", never N × limits;
* the child runs at low CPU priority (``nice``), so interactive pages keep the
  processor, and it dies with its parent (``PR_SET_PDEATHSIG``); a directory
  left behind by a parent that was killed outright is removed by the next run.

The entry point is named as ``"package.module:function"`` and is called as
``function(data: bytes, workdir: Path, args: list[str]) -> bytes``.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import itertools
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Literal

__all__ = [
    "SandboxError",
    "SandboxLimits",
    "WaitCallback",
    "parse_slots",
    "remove_stale_workdirs",
    "run_sandboxed",
]

log = logging.getLogger(__name__)

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_RESULT_NAME = "result.bin"
_WORKDIR_PREFIX = "hebi-sandbox-"
# Niceness of the child: parsing an upload must never starve a page another user is loading.
_CHILD_NICE = 15
_PR_SET_PDEATHSIG = 1
SLOTS_ENV = "HEBI_PARSE_SLOTS"

# Exit codes the child uses to say why it stopped (signals show up as negative codes).
_EXIT_OK = 0
_EXIT_CRASH = 3
_EXIT_MEMORY = 4
_EXIT_BAD_CALL = 5
_EXIT_FSIZE = 6

FailureKind = Literal["timeout", "memory", "output_too_large", "crashed", "busy"]
# Called while a run waits for a slot: (runs of this process ahead of it, seconds waited).
WaitCallback = Callable[[int, float], None]


class SandboxError(Exception):
    """The child did not produce a result.

    This is an internal error: callers translate it into a user-facing
    :class:`spatial.SpatialError` and never show its text to a user.

    Attributes
    ----------
    kind : {"timeout", "memory", "output_too_large", "crashed", "busy"}
        Why the child stopped (``busy``: no parse slot came free in time).
    limit_seconds : float or None
        For ``timeout`` and ``busy``: the limit that was actually reached (CPU
        seconds or wall-clock seconds), so a message can name the real figure.
    """

    def __init__(
        self, kind: FailureKind, detail: str = "", limit_seconds: float | None = None
    ) -> None:
        self.kind: FailureKind = kind
        self.limit_seconds = limit_seconds
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
    queue_seconds : float
        Longest wait for a free parse slot before giving up (``busy``).
    """

    cpu_seconds: int = 30
    wall_seconds: float = 60.0
    address_space_bytes: int = 3 * 1024**3
    file_bytes: int = 512 * 1024**2
    open_files: int = 256
    queue_seconds: float = 300.0


def parse_slots() -> int:
    """How many sandboxed children may run at once on this machine.

    ``$HEBI_PARSE_SLOTS`` if set (at least 1), else half the processors
    (at least 1): the other half stays free for the pages people are using.
    """
    env = os.environ.get(SLOTS_ENV, "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, (os.cpu_count() or 2) // 2)


def _slot_dir() -> Path:
    # Per user, so two accounts on one host do not share (or block) each other's slots.
    path = Path(tempfile.gettempdir()) / f"hebi-parse-slots-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


_waiting_lock = threading.Lock()
_waiting: list[int] = []  # tickets of the runs of this process waiting for a slot, oldest first
_tickets = itertools.count()


@contextlib.contextmanager
def _slot(queue_seconds: float, on_wait: WaitCallback | None) -> Iterator[None]:
    """Hold one of :func:`parse_slots` machine-wide slots while the body runs.

    A slot is an exclusive ``flock`` on ``slot-<i>.lock``: the kernel releases
    it when the holder dies, so a crashed run never keeps a slot. Runs of this
    process are served oldest first; the caller hears its queue position.
    """
    n = parse_slots()
    folder = _slot_dir()
    ticket = next(_tickets)
    with _waiting_lock:
        _waiting.append(ticket)
    start = time.monotonic()
    fd: int | None = None
    try:
        while True:
            with _waiting_lock:
                ahead = _waiting.index(ticket)
            if ahead == 0:
                fd = _try_slots(folder, n)
                if fd is not None:
                    break
            waited = time.monotonic() - start
            if waited > queue_seconds:
                raise SandboxError("busy", f"no slot in {queue_seconds}s", queue_seconds)
            if on_wait is not None:
                on_wait(ahead, waited)
            time.sleep(0.2)
        with _waiting_lock:
            _waiting.remove(ticket)
        yield
    finally:
        with _waiting_lock:
            if ticket in _waiting:
                _waiting.remove(ticket)
        if fd is not None:
            os.close(fd)  # closing the descriptor releases the flock


def _try_slots(folder: Path, n: int) -> int | None:
    for i in range(n):
        fd = os.open(folder / f"slot-{i}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return fd
    return None


def remove_stale_workdirs() -> int:
    """Delete private directories whose parent process no longer exists.

    A parent that is killed outright (``SIGKILL``, OOM killer) cannot run its
    clean-up; its child dies with it (parent-death signal), and the directory,
    which holds a copy of the upload, is removed here by the next run.

    Returns
    -------
    int
        How many directories were removed.
    """
    removed = 0
    root = Path(tempfile.gettempdir())
    uid = os.getuid()
    for path in root.glob(f"{_WORKDIR_PREFIX}*-*"):
        try:
            pid = int(path.name[len(_WORKDIR_PREFIX) :].split("-", 1)[0])
            if path.is_symlink() or path.stat().st_uid != uid or _alive(pid):
                continue
        except (ValueError, OSError):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    on_wait: WaitCallback | None = None,
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
    on_wait : callable, optional
        Called about five times a second while the run waits for a parse slot,
        with the number of runs ahead of it in this process and the seconds
        waited (e.g. to show "2 files ahead of yours").

    Returns
    -------
    bytes
        What the entry function returned.

    Raises
    ------
    SandboxError
        If the child ran out of time or memory, wrote too much, or crashed,
        or no parse slot came free within ``limits.queue_seconds``.
    """
    lim = limits or SandboxLimits()
    remove_stale_workdirs()
    with _slot(lim.queue_seconds, on_wait):
        # Mode 0700, fresh name carrying our pid (so a stale one can be told from a live one).
        workdir = Path(tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-"))
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
        str(os.getpid()),
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
            raise SandboxError(
                "timeout", f"wall clock > {lim.wall_seconds}s", lim.wall_seconds
            ) from None
        except BaseException:
            _kill_group(proc)
            raise
    code = proc.returncode
    if code != _EXIT_OK:
        detail = _tail(log_path)
        if code in (-signal.SIGXCPU, -signal.SIGKILL):
            raise SandboxError("timeout", f"cpu limit ({code}); {detail}", lim.cpu_seconds)
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


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(_EXIT_CRASH)


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
        parent, entry, cpu, aspace, fsize, nofile, *args = argv
        _die_with_parent(int(parent))
        with contextlib.suppress(OSError):
            os.nice(_CHILD_NICE)
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
