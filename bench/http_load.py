"""Pieces of an HTTP load generator (asyncio + bench.lean_http) and of watching the
server process.

`paced` starts requests at a fixed rate whatever the answers take (an open loop), with
at most `max_outstanding` in flight: a request due while that many are still waiting is
not sent and counted as shed, so a server that falls behind shows as shed requests
rather than as an ever-growing queue inside the generator (which would then lag and
understate the latencies). `one_by_one` requests a path at most so often, never two
at once, as a Prometheus scraper does. The /proc readers give a process's resident
memory and CPU time (psutil is not installed).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httptools

from bench.lean_http import LeanClient

#: The error kind of a request shed because `max_outstanding` were in flight.
SHED = "not sent: too many outstanding"


@dataclass
class Tally:
    """Latencies (s) of answered requests by route, and failures by kind."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    send_lags: list[float] = field(default_factory=list)  # generator lateness (s)
    shed_at: list[float] = field(default_factory=list)  # seconds into the run

    def all_latencies(self) -> list[float]:
        return [value for values in self.latencies.values() for value in values]

    def shed(self) -> int:
        """Requests not sent because too many were outstanding."""
        return sum(count for kind, count in self.errors.items() if kind.endswith(SHED))


def spans(moments: list[float], gap: float = 1.0) -> list[tuple[float, float, int]]:
    """Sorted moments grouped where they are less than `gap` apart: (first, last, count)."""
    found: list[tuple[float, float, int]] = []
    for moment in sorted(moments):
        if found and moment - found[-1][1] < gap:
            first, _, count = found[-1]
            found[-1] = (first, moment, count + 1)
        else:
            found.append((moment, moment, 1))
    return found


def quantile_ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb(pid: int) -> float:
    """Resident memory of process `pid` in MB (VmRSS), 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def scheduler_pid(pid: int, seconds: float = 30.0) -> int:
    """The pid of the scheduler child that `remitwatch serve` (`pid`) starts."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError(f"process {pid} started no scheduler child within {seconds:.0f} s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` (its own, not its children's)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def timed_get(client: LeanClient, route: str, path: str, tally: Tally) -> None:
    started = time.perf_counter()
    try:
        status, _ = await client.get(path)
    except TimeoutError:
        tally.errors[f"{route}: timeout"] += 1
        return
    except (OSError, httptools.HttpParserError) as exc:
        tally.errors[f"{route}: {type(exc).__name__}"] += 1
        return
    if not 200 <= status < 300:
        tally.errors[f"{route}: HTTP {status}"] += 1
        return
    tally.latencies.setdefault(route, []).append(time.perf_counter() - started)


async def sample_rss(pid: int, seconds: float, samples: list[tuple[float, float]]) -> None:
    began = time.perf_counter()
    while (now := time.perf_counter()) < began + seconds:
        samples.append((now - began, rss_mb(pid)))
        await asyncio.sleep(max(0.0, now + 1.0 - time.perf_counter()))


async def paced(
    client: LeanClient,
    pick: Callable[[], tuple[str, str]],
    per_second: float,
    seconds: float,
    max_outstanding: int,
    tally: Tally,
) -> float:
    """GETs of `pick()` -> (route, path) started `per_second` for `seconds` (open loop);
    returns the seconds the sending took (more than `seconds` when the generator lagged)."""
    tasks: set[asyncio.Task[None]] = set()
    began = time.perf_counter()
    for index in range(int(per_second * seconds)):
        due = began + index / per_second
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tally.send_lags.append(max(0.0, time.perf_counter() - due))
        route, path = pick()
        if len(tasks) >= max_outstanding:
            tally.errors[f"{route}: {SHED}"] += 1
            tally.shed_at.append(due - began)
            continue
        task = asyncio.create_task(timed_get(client, route, path, tally))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    sending = time.perf_counter() - began
    await asyncio.gather(*tasks)
    return sending


async def one_by_one(
    base: str, route: str, path: str, every_seconds: float, seconds: float, tally: Tally
) -> None:
    """GET `path` once every `every_seconds`, never two at once, on its own connection."""
    async with LeanClient(base, max_connections=1) as client:
        began = time.perf_counter()
        while (started := time.perf_counter()) < began + seconds:
            await timed_get(client, route, path, tally)
            await asyncio.sleep(max(0.0, started + every_seconds - time.perf_counter()))
