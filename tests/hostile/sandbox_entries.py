"""Entry points run inside the sandbox by tests/test_importer.py (each misbehaves on purpose)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path


def echo(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """Return what the child saw: its input, arguments, environment and working directory."""
    (workdir / "scratch.bin").write_bytes(data)
    return json.dumps(
        {"data": data.decode(), "args": args, "env": dict(os.environ), "workdir": str(workdir)}
    ).encode()


def spin(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """Burn CPU forever (the CPU limit must stop it)."""
    x = 0
    while True:
        x += 1


def sleep(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """Wait forever without using CPU (the wall-clock timeout must stop it)."""
    (workdir / "started").write_text(str(os.getpid()))
    time.sleep(3600)
    return b""


def hog(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """Allocate far beyond the address-space cap."""
    blocks = []
    for _ in range(64):
        blocks.append(bytearray(256 * 1024**2))
    return str(len(blocks)).encode()


def flood(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """Answer with more bytes than the output cap."""
    return b"x" * (64 * 1024**2)


def crash(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """Fail with an exception whose text must not reach a user."""
    raise RuntimeError("/secret/server/path exploded")


def drivers(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """List the vector drivers GDAL offers inside the child."""
    import pyogrio

    return json.dumps(sorted(pyogrio.list_drivers())).encode()


_CALLS: list[int] = []  # state a reused process would carry from one run into the next


def whoami(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """Say which process ran, how many runs it has served, and its CPU-time limit."""
    import resource

    _CALLS.append(1)
    (workdir / "scratch.bin").write_bytes(data)
    return json.dumps(
        {
            "pid": os.getpid(),
            "calls": len(_CALLS),
            "cpu_limit": resource.getrlimit(resource.RLIMIT_CPU)[0],
            "cwd": str(Path.cwd()),
            "workdir": str(workdir),
            "home": os.environ.get("HOME"),
        }
    ).encode()


def parts(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """Send each comma-separated piece of the input as an early part; answer with their numbers."""
    from spatial._sandbox import send_part

    numbers = [send_part([piece]) for piece in data.split(b",")] if data else []
    return json.dumps(numbers).encode()


def part_then_crash(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """Send a part, then fail: the part must be worthless to the caller."""
    from spatial._sandbox import send_part

    send_part([b"early"])
    raise RuntimeError("late failure")


def announce(data: bytes, workdir: Path, args: list[str]) -> bytes:
    """Announce ``args[0]`` parts on the parts pipe, writing a file for each only if ``args[1]``.

    What a subverted child could do: claim parts it never wrote, or more than the limit.
    """
    from spatial._sandbox import _OUT

    for k in range(int(args[0])):
        if args[1] == "write":
            (workdir / f"part-{k}.bin").write_bytes(b"x")
        os.write(_OUT.fd, b"p")
    return b"done"
