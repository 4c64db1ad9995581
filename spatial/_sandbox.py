"""Run a parser on untrusted bytes in a child process with hard resource limits.

GDAL's security guidance for untrusted input is to parse in a restricted
process with CPU-time and memory limits. This module does exactly that and
nothing format-specific:

* the child is a fresh Python interpreter (``-E -s``: no ``PYTHON*`` variables,
  no user site-packages) with a minimal environment, so ``/proc/self/environ``
  inside it holds no secret of the app;
* it receives only the bytes (as a file in its private directory, named in
  the header it reads on standard input) plus a few plain arguments;
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
* if the caller asks for them (``on_part``), the child may hand over a few
  parts of its answer early (:func:`send_part`), so the app can start on them
  while the child goes on working; each part is a file read under the same
  output cap (parts and result together) and handed to the caller as bytes;
* at most :func:`parse_slots` children run at once on the machine (a slot is
  an ``flock`` on a file, so it holds across threads *and* server processes);
  the rest wait in a queue and the caller is told how long (``on_wait``), so
  N hostile uploads cost at most "slots × limits", never N × limits;
* the child runs at low CPU priority (``nice``), so interactive pages keep the
  processor, and it dies with its parent (``PR_SET_PDEATHSIG``); a directory
  left behind by a parent that was killed outright is removed by the next run;
* with ``warm=True`` the child may be one started ahead (its interpreter up and
  the entry's module imported, which is most of a small parse's time) and
  parked, without limits yet, without a working directory and without any
  upload, reading its standard input. It serves exactly one run and exits, and
  the next one is started in the background when the run ends, so nothing of
  one upload can reach the next (no state is shared between runs, as with a
  cold child).

The entry point is named as ``"package.module:function"`` and is called as
``function(data: bytes, workdir: Path, args: list[str])``; it returns the answer
as bytes, or as a list of buffers written one after the other. The child loads
the entry's module and what that imports, but runs no package ``__init__`` on
the way (neither ``spatial``'s nor the entry's package's): those import the
whole app, which a parser does not need and which would only make it start
later and weigh more.

The child reads one header line (JSON: the limits, the working directory and
the arguments, all from the parent) and then the upload's bytes from the file
``input.bin`` the parent put in that directory (it removes the file once read).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import errno
import fcntl
import importlib.machinery
import importlib.util
import itertools
import json
import logging
import os
import queue
import resource
import select
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
from typing import IO, Literal, NoReturn

__all__ = [
    "MAX_PARTS",
    "SandboxError",
    "SandboxLimits",
    "WaitCallback",
    "parse_slots",
    "prewarm",
    "remove_stale_workdirs",
    "run_sandboxed",
    "send_part",
]

log = logging.getLogger(__name__)

_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_RESULT_NAME = "result.bin"
_WORKDIR_PREFIX = "hebi-sandbox-"
# Niceness of the child: parsing an upload must never starve a page another user is loading.
_CHILD_NICE = 19
_PR_SET_PDEATHSIG = 1
SLOTS_ENV = "HEBI_PARSE_SLOTS"
# "0" turns warm workers off: every run then starts its own child.
WARM_ENV = "HEBI_WARM_PARSER"
_HEADER_MAX = 64 * 1024
_INPUT_NAME = "input.bin"
# At most this many early parts a run (see ``send_part``): each one the app reads and decodes.
MAX_PARTS = 16
_READY = "ready\n"

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


def _minimal_env(extra: Mapping[str, str] | None) -> dict[str, str]:
    """Environment of the child: nothing inherited but what it needs to run.

    ``HOME`` and ``TMPDIR`` point at the run's private directory once the child
    has one (it sets them itself when its run starts); until then at ``/``,
    where it cannot write.
    """
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": "/",
        "TMPDIR": "/",
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
    warm: bool = False,
    on_part: Callable[[bytes], None] | None = None,
) -> bytes:
    """Call ``entry(data, workdir, args)`` in a resource-limited child process.

    Parameters
    ----------
    entry : str
        ``"package.module:function"`` importable from the project root.
    data : bytes
        The untrusted input; the child gets it as a file in its private directory.
    args : sequence of str
        Plain extra arguments (e.g. a file extension). Never a path the child
        should open.
    limits : SandboxLimits, optional
        Resource limits; the defaults suit parsing an upload of up to ~200 MB.
    env : mapping, optional
        Extra environment variables for the child (e.g. GDAL configuration,
        which must be in place before GDAL is loaded).
    on_wait : callable, optional
        Called about five times a second while the run waits for a parse slot,
        with the number of runs ahead of it in this process and the seconds
        waited (e.g. to show "2 files ahead of yours").
    warm : bool
        Use a child started ahead for this ``entry`` and ``env`` if one is
        parked (see :func:`prewarm`), and park a fresh one for the next run.
        Each child still serves one run only.
    on_part : callable, optional
        Called, in this thread and while the child goes on working, with each
        part of its answer the child hands over early (:func:`send_part`, at
        most :data:`MAX_PARTS`). Without it the child's ``send_part`` declines.
        Whatever it raises stops the child and is raised here; a run that fails
        later makes the parts worthless (the caller drops what it built).

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
    warm = warm and _warm_enabled()
    key = _pool_key(entry, env)
    with _slot(lim.queue_seconds, on_wait):
        worker = _POOL.take(key) if warm else None
        if worker is None:
            worker = _spawn(entry, env)
        try:
            # Mode 0700, fresh name carrying our pid (so a stale one can be told from a live one).
            workdir = Path(tempfile.mkdtemp(prefix=f"{_WORKDIR_PREFIX}{os.getpid()}-"))
            try:
                return _run(worker, data, list(args), lim, workdir, on_part)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
        finally:
            _retire(worker)  # normally gone already; never left running or holding a file
            if warm:
                # The next upload finds its child ready. Started only now: importing beside this
                # parse would take a processor from it (and from the app decoding its answer).
                _POOL.request(key, entry, env)


def prewarm(entry: str, env: Mapping[str, str] | None = None) -> None:
    """Start a child for ``entry`` and ``env`` in the background, for a later ``warm`` run.

    Cheap when one is parked already; does nothing when ``$HEBI_WARM_PARSER``
    is ``0``. The child holds no upload and no private directory until a run
    takes it.
    """
    if _warm_enabled():
        _POOL.request(_pool_key(entry, env), entry, env)


def _warm_enabled() -> bool:
    return os.environ.get(WARM_ENV, "1").strip() != "0"


_PoolKey = tuple[str, tuple[tuple[str, str], ...]]


def _pool_key(entry: str, env: Mapping[str, str] | None) -> _PoolKey:
    return entry, tuple(sorted((env or {}).items()))


@dataclass
class _Worker:
    """A started child waiting for its header on standard input."""

    proc: subprocess.Popen[bytes]
    log: IO[bytes]  # the parent's copy of the child's log file (unlinked: private, self-cleaning)
    parts: int  # read end of the pipe on which the child announces each early part (a byte each)


def _spawn(entry: str, env: Mapping[str, str] | None) -> _Worker:
    """Start a child that imports ``entry``'s module and then waits for one run."""
    # ``spatial`` is registered as a bare package (its ``__init__`` imports the app); then this
    # module loads as usual and ``_child_main`` does the same for the entry's packages.
    bootstrap = (
        "import sys, importlib.machinery as m, importlib.util as u; root = sys.argv[1]; "
        "sys.path.insert(0, root); "
        "sys.modules['spatial'] = u.module_from_spec(m.PathFinder.find_spec('spatial', [root])); "
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
    ]
    # The child announces early parts of its answer on a pipe of its own (a byte per part).
    parts_read, parts_write = os.pipe()
    cmd.append(str(parts_write))
    # An anonymous file: the log can hold a traceback quoting the upload, and nobody but this
    # process (and the child) can open it; it vanishes when both close it.
    log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the worker, closed by _retire)
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=log,
            cwd="/",
            env=_minimal_env(env),
            # Own process group, so a timeout kills anything the child started too.
            start_new_session=True,
            close_fds=True,
            pass_fds=(parts_write,),
        )
    except BaseException:
        log.close()
        os.close(parts_read)
        raise
    finally:
        os.close(parts_write)  # the child's end
    return _Worker(proc, log, parts_read)


def _retire(worker: _Worker) -> None:
    """Stop a worker (if it still runs) and release what the parent holds of it."""
    if worker.proc.poll() is None:
        _kill_group(worker.proc)
    else:
        worker.proc.wait()
    with contextlib.suppress(OSError):
        if worker.proc.stdin is not None:
            worker.proc.stdin.close()
    with contextlib.suppress(OSError):
        os.close(worker.parts)
    worker.parts = -1
    worker.log.close()


class _Pool:
    """At most one parked child per (entry, environment), started by one long-lived thread.

    A dedicated thread starts them because the kernel's parent-death signal
    follows the *thread* that started a child: one started from a page's
    script thread would be killed when that page run ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parked: dict[_PoolKey, _Worker] = {}
        self._requests: queue.SimpleQueue[tuple[_PoolKey, str, Mapping[str, str] | None]] = (
            queue.SimpleQueue()
        )
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()

    def take(self, key: _PoolKey) -> _Worker | None:
        """The parked child for ``key`` if it is alive (it leaves the pool), else None."""
        with self._lock:
            if self._pid != os.getpid():  # a forked copy of the app: those children are not ours
                self._parked.clear()
                self._pid = os.getpid()
            worker = self._parked.pop(key, None)
        if worker is not None and worker.proc.poll() is not None:
            _retire(worker)
            return None
        return worker

    def request(self, key: _PoolKey, entry: str, env: Mapping[str, str] | None) -> None:
        """Have a child parked for ``key`` soon (no-op if one is)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name="hebi-parser-pool", daemon=True
                )
                self._thread.start()
        self._requests.put((key, entry, dict(env) if env else None))

    def wait_ready(self, key: _PoolKey, timeout: float) -> bool:
        """Wait until the child parked for ``key`` has its imports done (for benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                worker = self._parked.get(key)
            if worker is not None:
                with contextlib.suppress(OSError):
                    if os.pread(worker.log.fileno(), len(_READY), 0) == _READY.encode():
                        return True
            time.sleep(0.02)
        return False

    def _serve(self) -> None:
        while True:
            key, entry, env = self._requests.get()
            with self._lock:
                parked = self._parked.get(key)
            if parked is not None and parked.proc.poll() is None:
                continue
            try:
                worker = _spawn(entry, env)
            except Exception:
                log.exception("could not start a parser child ahead")
                continue
            with self._lock:
                old = self._parked.pop(key, None)
                self._parked[key] = worker
            if old is not None:
                _retire(old)

    def close(self) -> None:
        """Stop every parked child (at interpreter exit)."""
        with self._lock:
            workers = list(self._parked.values())
            self._parked.clear()
        for worker in workers:
            _retire(worker)


_POOL = _Pool()
atexit.register(_POOL.close)


def _run(
    worker: _Worker,
    data: bytes,
    args: list[str],
    lim: SandboxLimits,
    workdir: Path,
    on_part: Callable[[bytes], None] | None = None,
) -> bytes:
    header = json.dumps(
        {
            "workdir": str(workdir),
            "parts": MAX_PARTS if on_part is not None else 0,
            "cpu": lim.cpu_seconds,
            "aspace": lim.address_space_bytes,
            "fsize": lim.file_bytes,
            "nofile": lim.open_files,
            "args": args,
        }
    ).encode()
    if len(header) >= _HEADER_MAX:
        raise ValueError("sandbox arguments too long")
    proc = worker.proc
    # The upload goes in as a file in the run's private directory (mode 0700), written before
    # the child hears of the run: it reads it in one go. Through a pipe it came a megabyte per
    # wake-up of the child (some 40 ms per 25 MB on an idle machine), and a child at the lowest
    # priority waits far longer for each wake-up on a busy one. The header still comes on stdin.
    fd = os.open(workdir / _INPUT_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as upload:
        upload.write(data)
    _feed(proc, header + b"\n")
    received = _Received(workdir, lim.file_bytes, on_part)
    try:
        try:
            _wait_exit(proc, lim.wall_seconds, worker.parts, received.take)
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
            detail = _tail(worker.log)
            if code in (-signal.SIGXCPU, -signal.SIGKILL):
                raise SandboxError("timeout", f"cpu limit ({code}); {detail}", lim.cpu_seconds)
            if code == _EXIT_MEMORY:
                raise SandboxError("memory", detail)
            if code in (_EXIT_FSIZE, -signal.SIGXFSZ):
                raise SandboxError("output_too_large", detail)
            log.warning("sandboxed parser exited with %s: %s", code, detail)
            raise SandboxError("crashed", f"exit {code}; {detail}")
    finally:
        worker.log.close()
    # The cap holds for the whole answer: the parts the app has read already count.
    return _read_within(workdir / _RESULT_NAME, received.size, lim.file_bytes, "no result file")


def _read_within(path: Path, used: int, cap: int, missing: str) -> bytes:
    """Read a file the child wrote, if ``used`` bytes plus its size stay within ``cap``.

    Never more than the cap allows: a part is read while the child still runs, and a
    file that grows after a size check would otherwise be read whole.
    """
    room = max(cap - used, 0)
    try:
        with path.open("rb") as f:
            data = f.read(room + 1)
    except FileNotFoundError:
        raise SandboxError("crashed", missing) from None
    if len(data) > room:
        raise SandboxError("output_too_large", f"{used} + more than {room} bytes")
    return data


class _Received:
    """The parent's side of early parts: read each announced one, within the caps, pass it on."""

    def __init__(self, workdir: Path, cap: int, on_part: Callable[[bytes], None] | None) -> None:
        self.workdir = workdir
        self.cap = cap
        self.on_part = on_part
        self.count = 0
        self.size = 0

    def take(self, announced: int) -> None:
        """Read and hand over the next ``announced`` parts (we name them, not the child)."""
        for _ in range(announced):
            if self.on_part is None or self.count >= MAX_PARTS:
                raise SandboxError("crashed", "parts that were not asked for")
            path = self.workdir / f"part-{self.count}.bin"
            data = _read_within(path, self.size, self.cap, "announced part missing")
            path.unlink()  # read once; the directory goes at the end of the run anyway
            self.count += 1
            self.size += len(data)
            self.on_part(data)


def _wait_exit(
    proc: subprocess.Popen[bytes],
    timeout: float,
    parts: int | None = None,
    on_parts: Callable[[int], None] | None = None,
) -> None:
    """Wait for the child to end, noticing at once; ``TimeoutExpired`` after ``timeout`` seconds.

    ``Popen.wait(timeout)`` polls, sleeping up to 50 ms between looks: that much was added
    to every upload. A process file descriptor becomes readable the moment the child exits.
    Meanwhile each announcement on the ``parts`` pipe is passed on (``on_parts(count)``),
    also those made just before the child ended; the timeout counts that work too.
    """
    deadline = time.monotonic() + timeout
    try:
        pidfd: int | None = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # not Linux >= 5.3: look every 50 ms
        pidfd = None
    watch = parts if parts is not None and parts >= 0 and on_parts is not None else None
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired(proc.args, timeout)
            fds = [fd for fd in (pidfd, watch) if fd is not None]
            if fds:
                ready, _, _ = select.select(fds, [], [], left if pidfd is not None else 0.05)
            else:
                ready = []
                time.sleep(min(left, 0.05))
            if watch is not None and watch in ready:
                watch = _pass_on(watch, on_parts)
            ended = pidfd in ready if pidfd is not None else proc.poll() is not None
            if ended:
                # Announcements made just before the end are still in the pipe.
                while watch is not None and select.select([watch], [], [], 0)[0]:
                    watch = _pass_on(watch, on_parts)
                break
    finally:
        if pidfd is not None:
            os.close(pidfd)
    proc.wait()


def _pass_on(fd: int, on_parts: Callable[[int], None] | None) -> int | None:
    """Read announcements from the parts pipe; None once it is closed (stop watching it)."""
    got = os.read(fd, 64)
    if not got:
        return None
    if on_parts is not None:
        on_parts(len(got))
    return fd


def _feed(proc: subprocess.Popen[bytes], header: bytes) -> None:
    """Write the run's header to the child's standard input, then close it.

    The header is shorter than a pipe's buffer (``_HEADER_MAX``), so this never blocks.
    """
    stdin = proc.stdin
    if stdin is None:
        return
    # A child that stopped early (a crash before its run) has closed the pipe: nothing to send.
    with contextlib.suppress(OSError, ValueError):
        stdin.write(header)
    with contextlib.suppress(OSError, ValueError):
        stdin.close()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _tail(log_file: IO[bytes], limit: int = 2000) -> str:
    """Last bytes of the child's log, for the server log only (never for users)."""
    try:
        log_file.seek(0, os.SEEK_END)
        size = log_file.tell()
        log_file.seek(max(0, size - limit))
        return log_file.read().decode("utf-8", "replace")
    except (OSError, ValueError):
        return ""


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to kill this process when its parent dies (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(_EXIT_CRASH)


def _set_limits(cpu: int, address_space: int, file_bytes: int, open_files: int) -> None:
    # RLIMIT_CPU counts the process's whole life: a child started ahead has spent some on its
    # imports already, and the run gets its full allowance on top. The soft limit sends
    # SIGXCPU; the hard limit one second later sends SIGKILL.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_total = int(usage.ru_utime + usage.ru_stime) + 1 + cpu
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_total, cpu_total + 1))
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child_main(argv: list[str]) -> None:
    """Body of the child: import the entry, wait for the header, limit, read, call, answer."""
    try:
        parent, entry, parts_fd = argv
        _die_with_parent(int(parent))
        with contextlib.suppress(OSError):
            os.nice(_CHILD_NICE)
        module_name, func_name = entry.split(":", 1)
        _bare_packages(module_name)
        func: Callable[[bytes, Path, list[str]], bytes | Sequence[bytes | memoryview]] = getattr(
            import_module(module_name), func_name
        )
    except Exception:
        traceback.print_exc()
        sys.exit(_EXIT_BAD_CALL)
    # Into the log (the parent's only window on an idle child): imports done, ready for a run.
    sys.stdout.write(_READY)
    sys.stdout.flush()
    line = sys.stdin.buffer.readline(_HEADER_MAX)
    if not line.endswith(b"\n"):
        # End of input before any run: the pool closed, or the app went away. Nothing to do.
        sys.exit(_EXIT_OK)
    try:
        job = json.loads(line)
        workdir = Path(job["workdir"])
        os.chdir(workdir)
        # Only now does the child have a place to write: its private directory.
        os.environ["HOME"] = os.environ["TMPDIR"] = str(workdir)
        tempfile.tempdir = None
        _set_limits(int(job["cpu"]), int(job["aspace"]), int(job["fsize"]), int(job["nofile"]))
        args = [str(a) for a in job["args"]]
        _OUT.fd, _OUT.allowed, _OUT.workdir = int(parts_fd), int(job.get("parts", 0)), workdir
    except Exception:
        traceback.print_exc()
        sys.exit(_EXIT_BAD_CALL)
    try:
        # Not bound to a name here: the entry can let go of the upload's bytes once parsed.
        out = func(_take_input(workdir), workdir, args)
        with (workdir / _RESULT_NAME).open("wb") as result:
            if isinstance(out, bytes | bytearray | memoryview):
                result.write(out)
            else:
                result.writelines(out)
    except MemoryError:
        sys.stderr.write("MemoryError\n")
        _exit(_EXIT_MEMORY)
    except OSError as exc:
        # Python ignores SIGXFSZ, so hitting RLIMIT_FSIZE surfaces as EFBIG.
        traceback.print_exc()
        _exit(_EXIT_FSIZE if exc.errno == errno.EFBIG else _EXIT_CRASH)
    except Exception:
        traceback.print_exc()
        _exit(_EXIT_CRASH)
    _exit(_EXIT_OK)


@dataclass
class _PartsOut:
    """The child's side of early parts: where to write them, how many more, where to announce."""

    fd: int = -1
    allowed: int = 0
    workdir: Path | None = None
    sent: int = 0


_OUT = _PartsOut()


def send_part(buffers: Sequence[bytes | memoryview]) -> int | None:
    """Hand the parent a part of the answer now, and go on working (in a sandboxed child only).

    The parent reads it at once and gives it to the caller's ``on_part``.

    Returns
    -------
    int or None
        The part's number (0, 1, ...: the order of the parent's ``on_part``
        calls), or None when this run takes no (more) parts: the caller asked
        for none, :data:`MAX_PARTS` were sent, or this is not a sandboxed run.
        The content then belongs in the final answer.
    """
    if _OUT.workdir is None or _OUT.sent >= _OUT.allowed:
        return None
    number = _OUT.sent
    with (_OUT.workdir / f"part-{number}.bin").open("wb") as part:
        part.writelines(buffers)
    os.write(_OUT.fd, b"p")
    _OUT.sent += 1
    return number


def _take_input(workdir: Path) -> bytes:
    """The run's upload, read in one go; its file is removed (the bytes are all the child needs)."""
    path = workdir / _INPUT_NAME
    data = path.read_bytes()
    path.unlink()
    return data


def _bare_packages(module_name: str) -> None:
    """Register the packages above ``module_name`` without running their ``__init__``.

    A package not imported yet becomes an empty module that only knows where its
    submodules are, so importing the entry's module loads just that module and
    its own imports (the entry must import names from submodules, not packages).
    """
    parts = module_name.split(".")[:-1]
    search: list[str] | None = None
    for i in range(1, len(parts) + 1):
        name = ".".join(parts[:i])
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.machinery.PathFinder.find_spec(name, search)
            if spec is None or spec.submodule_search_locations is None:
                return  # not a plain package on disk: let the import system deal with it
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            if i > 1:
                setattr(sys.modules[".".join(parts[: i - 1])], parts[i - 1], module)
        search = list(getattr(module, "__path__", []))


def _exit(code: int) -> NoReturn:
    """Leave the child at once, with ``code``.

    The answer is on disk already; tearing down pandas, GDAL and Arrow object
    by object, as a normal interpreter exit does, would add a tenth of a second
    to every upload.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
