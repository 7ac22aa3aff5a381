#!/usr/bin/env python
"""Member export at national scale (issue 15): what the web request costs now (the bounded count and the
job's creation) and what the background task costs (the whole .xlsx written, encrypted and stored), with
the task process's peak memory (VmHWM of the child alone).

Usage (on a database filled by bench/dashboard.py or manage.py generate_federation):
  python bench/export_members.py --db hg_bench_dashboard            # masked, then full values
The national leader `bench_leader` may export masked values; the full-values run uses a staff
account with the PII capability at the root, made for the run (`bench_exporter`).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, Timer, child_env, django_setup, emit, machine, run_child

SCRIPT = str(Path(__file__).resolve())


def vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(full: bool, request_only: bool = False) -> dict:
    django_setup()
    from unittest import mock

    from django.contrib.auth import get_user_model

    from huigong.accounts.models import Role, StaffProfile
    from huigong.members.models import MemberExport
    from huigong.members.roster.export_jobs import member_export_run, member_export_start
    from huigong.orgs.models import UnionNode

    users = get_user_model()
    if full:
        user, _ = users.objects.get_or_create(username="bench_exporter")
        root = UnionNode.objects.get(depth=1)
        StaffProfile.objects.update_or_create(user=user, defaults={"node": root, "role": Role.ADMIN})
    else:
        user = users.objects.get(username="bench_leader")
    start_mb = vm_hwm_mb()
    # The request's part: the bounded count, the job and its audit row; the dispatch is held back so that
    # the task is timed on its own below.
    with mock.patch("huigong.core.tasks.enqueue"), Timer() as req:
        job = member_export_start(actor=user, full_pii=full)
    assert isinstance(job, MemberExport), "the national export should go to the background"
    if request_only:
        MemberExport.objects.filter(pk=job.pk).delete()
        return {"full": full, "request_s": req.seconds}
    with Timer() as task:
        member_export_run(job.pk)
    job.refresh_from_db()
    size = job.file.size if job.file else 0
    out = {"full": full, "status": job.status, "rows": job.total_rows, "request_s": req.seconds,
           "task_s": task.seconds, "file_mb": size / 1024**2, "peak_mb": vm_hwm_mb(), "start_mb": start_mb}
    if job.file:
        job.file.storage.delete(job.file.name)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="hg_bench_dashboard")
    ap.add_argument("--child", choices=["masked", "full"])
    ap.add_argument("--masked-only", action="store_true")
    ap.add_argument("--request-only", action="store_true", help="time the request's part alone")
    args = ap.parse_args()
    if args.child:
        emit(child(args.child == "full", args.request_only))
        return
    env = child_env(args.db, f"/tmp/hg-bench-export-{os.getpid()}")
    print(f"machine: {machine()}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    for kind in ["masked"] + ([] if args.masked_only else ["full"]):
        r = run_child(SCRIPT, ["--child", kind, *(["--request-only"] if args.request_only else [])], env)
        if args.request_only:
            print(f"{kind:6s} export, national: the request's part {r['request_s'] * 1000:.0f} ms", flush=True)
            continue
        print(f"{kind:6s} export, national: {r['rows']:,} rows  request {r['request_s'] * 1000:.0f} ms"
              f"  background task {r['task_s']:.1f} s  file {r['file_mb']:.1f} MB (encrypted)"
              f"  peak memory {r['peak_mb']:.0f} MB (after Django set-up {r['start_mb']:.0f} MB)  {r['status']}",
              flush=True)


if __name__ == "__main__":
    main()
