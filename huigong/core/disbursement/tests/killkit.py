"""The fault-injection harness for money (issue 16, item 8), shared by every flow on the disbursement
service (aid payouts: assistance/tests/test_payout_kill_pg.py; reimbursement payments:
benefits/tests/test_payment_kill_pg.py).

Fast by construction: Django and the world are set up once by the test; each run forks a child that opens
its own connection and runs one operation with a statement counter on it. At a randomly drawn statement
(before it runs, or just after it ran, which makes "after the last statement, before COMMIT" reachable)
the child tells the parent and waits, and the parent SIGKILLs it. Draws past the end let the operation
complete. The parent then checks the flow's invariants on its own connection. The seed is printed on
failure (HG_KILL_SEED=… replays a run); HG_KILL_RUNS=… changes the number of runs."""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import connection, connections


def runs(default: int) -> int:
    return int(os.environ.get("HG_KILL_RUNS") or default)


def _child(fn, kill_at: int, after: bool, w: int) -> None:
    """In the forked child: run fn on a fresh connection; at statement kill_at, say so and wait for SIGKILL."""
    try:
        connection.close()  # the parent's socket is not ours to use (it was closed before the fork)
        seen = 0

        def counter(execute, sql, params, many, context):
            nonlocal seen
            seen += 1
            if seen == kill_at and not after:
                os.write(w, b"K")
                time.sleep(30)
            result = execute(sql, params, many, context)
            if seen == kill_at and after:
                os.write(w, b"K")
                time.sleep(30)
            return result

        with connection.execute_wrapper(counter):
            try:
                fn()
            except ValidationError:  # a refused operation is an ordinary outcome
                pass
        os.write(w, f"D{seen}".encode())
    except BaseException as e:  # noqa: BLE001 - anything else is a failure the parent reports
        os.write(w, f"E{type(e).__name__}: {e}"[:900].encode())
    finally:
        os._exit(0)


def run_killed(fn: Callable[[], object], kill_at: int, after: bool) -> tuple[str, int]:
    """Runs fn in a forked child killed at statement `kill_at`: ("killed", kill_at), or ("done", the
    number of statements fn took) when it ended first."""
    connections.close_all()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        _child(fn, kill_at, after, w)
    os.close(w)
    try:
        msg = os.read(r, 1024).decode()
        assert msg, "the child died without a word"
        assert not msg.startswith("E"), f"the child failed: {msg[1:]}"
        if msg.startswith("K"):
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
            return "killed", kill_at
        os.waitpid(pid, 0)
        return "done", int(msg[1:] or 0)
    finally:
        os.close(r)


def kill_runs(*, n: int, ops: tuple[str, ...], prepare: Callable[[str, int, random.Random], Callable[[], object]],
              check: Callable[[], None], summary: Callable[[], str] = lambda: "") -> dict:
    """`n` runs, the operations `ops` in turn: prepare(op, run, rng) sets up what the operation needs
    (unkilled) and returns it; the operation is killed at a random statement (one run in four goes to its
    end: otherwise the longest operation rarely completes); check() then asserts the invariants. Every
    kind of operation must have been killed part-way at least once. Returns the tally."""
    seed = int(os.environ.get("HG_KILL_SEED") or random.SystemRandom().randrange(1 << 30))
    rng = random.Random(seed)
    # Statements an operation took when it completed: the draw's range (generous until one completes).
    longest = {op: 200 for op in ops}
    tally = {(op, outcome): 0 for op in ops for outcome in ("killed", "done")}
    started = time.monotonic()
    given = checking = 0.0
    run, op, kill_at = 0, ops[0], 0
    try:
        for run in range(n):
            op = ops[run % len(ops)]
            t0 = time.monotonic()
            fn = prepare(op, run, rng)
            given += time.monotonic() - t0
            kill_at = 10**9 if rng.random() < 0.25 else rng.randint(1, int(longest[op] * 1.15) + 1)
            outcome, took = run_killed(fn, kill_at, after=rng.random() < 0.5)
            if outcome == "done":
                longest[op] = took if tally[op, "done"] == 0 else max(longest[op], took)
            tally[op, outcome] += 1
            t0 = time.monotonic()
            check()
            checking += time.monotonic() - t0
    except BaseException:
        print(f"\nHG_KILL_SEED={seed} (run {run}: {op}, kill at statement {kill_at}); tally {tally}")
        raise
    elapsed = time.monotonic() - started
    print(f"\nseed {seed}: {n} runs in {elapsed:.1f} s ({given:.1f} s of givens, {checking:.1f} s of checks); "
          f"{tally}; longest {longest}; {summary()}")
    assert all(tally[o, "killed"] > 0 for o in ops), tally
    return tally
