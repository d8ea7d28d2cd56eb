#!/usr/bin/env python3
"""A fixed-rate soak of a running ReliefLog server: mixed reads, writes and analytics polls.

    bench/soak.py --base http://127.0.0.1:PORT --token TOKEN --pid SERVER_PID \
        [--rate 800] [--seconds 1800] [--episodes 100000] [--out FILE.md]

Requests are scheduled at a fixed rate, independent of how fast answers come (latency is
measured from each request's scheduled time, so a stall shows up in full instead of slowing
the load down). The mix: 60 % GET /v1/episodes/{random id}, 25 % a dashboard poll of a
patient's summary answered 304 (If-None-Match), 10 % POST /v1/episodes, 5 % GET of a
patient's episode list. The server's resident memory is sampled every 10 s: VmRSS and its
parts, RssAnon (the heap and stacks), RssFile (mapped files: the binary and its libraries) and
RssShmem (shared memory: SQLite's WAL index, the -shm file). Writes a Markdown report: per
minute, requests, errors, p50 / p99 / max latency and RSS; then the trend of RSS and of each
part (least-squares slope over the samples after the first five minutes, in MiB per hour) and
the whole run's percentiles. Standard library only.
"""

import argparse
import http.client
import json
import random
import statistics
import sys
import threading
import time
from urllib.parse import urlparse

MIX = [("get", 60), ("poll", 25), ("post", 10), ("list", 5)]


MEMORY_FIELDS = ("VmRSS", "RssAnon", "RssFile", "RssShmem")


def memory_kib(pid):
    """VmRSS and its parts, in KiB."""
    values = dict.fromkeys(MEMORY_FIELDS, 0)
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name = line.split(":", 1)[0]
            if name in values:
                values[name] = int(line.split()[1])
    return values


def trend(samples, field):
    """Least-squares slope of one memory field after minute 5, in MiB per hour."""
    steady = [(at, memory[field]) for at, memory in samples if at >= 300] or [
        (at, memory[field]) for at, memory in samples
    ]
    if len(steady) < 2:
        return 0.0
    mean_t = statistics.fmean(at for at, _ in steady)
    mean_r = statistics.fmean(kib for _, kib in steady)
    numerator = sum((at - mean_t) * (kib - mean_r) for at, kib in steady)
    denominator = sum((at - mean_t) ** 2 for at, _ in steady) or 1
    return numerator / denominator * 3600 / 1024


class Worker(threading.Thread):
    """One keep-alive connection; takes scheduled requests from a shared schedule."""

    def __init__(self, run, index):
        super().__init__(daemon=True)
        self.run_state = run
        self.random = random.Random(index)

    def connection(self):
        url = self.run_state.url
        return http.client.HTTPConnection(url.hostname, url.port, timeout=30)

    def run(self):
        state = self.run_state
        conn = self.connection()
        while True:
            slot = state.take()
            if slot is None:
                return
            scheduled, kind = slot
            delay = scheduled - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                status = self.request(conn, kind)
                ok = status < 400
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = self.connection()
                ok = False
            state.record(scheduled, time.monotonic() - scheduled, ok)

    def request(self, conn, kind):
        state = self.run_state
        headers = {"Authorization": f"Bearer {state.token}"}
        if kind == "get":
            path = f"/v1/episodes/{self.random.randint(1, state.episodes)}"
            conn.request("GET", path, headers=headers)
        elif kind == "poll":
            headers["If-None-Match"] = state.poll_etag
            conn.request("GET", state.poll_path, headers=headers)
        elif kind == "list":
            path = f"/v1/episodes?patientId={self.random.randint(1, 100)}&limit=20"
            conn.request("GET", path, headers=headers)
        else:
            body = json.dumps(
                {
                    "patientId": self.random.randint(2, 100),
                    "startedAt": "2026-01-01T08:00:00Z",
                    "intensity": self.random.randint(1, 10),
                    "triggers": ["stress"],
                }
            )
            headers["Content-Type"] = "application/json"
            conn.request("POST", "/v1/episodes", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status


class Run:
    def __init__(self, args):
        self.url = urlparse(args.base)
        self.token = args.token
        self.episodes = args.episodes
        self.lock = threading.Lock()
        self.interval = 1.0 / args.rate
        self.start = time.monotonic() + 1.0
        self.end = self.start + args.seconds
        self.next_slot = self.start
        self.random = random.Random(42)
        self.kinds = [kind for kind, weight in MIX for _ in range(weight)]
        self.minutes = {}
        # The poll's target: patient 1's summary, its current tag taken once. Patient 1 gets no
        # new episodes in this run (POSTs go to patients 2-100), so the tag stays current.
        self.poll_path = "/v1/patients/1/analytics/summary?from=2025-01-01&to=2025-12-31"
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=30)
        conn.request("GET", self.poll_path, headers={"Authorization": f"Bearer {self.token}"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            sys.exit(f"poll target answered {response.status}")
        self.poll_etag = response.getheader("ETag")
        conn.close()

    def take(self):
        with self.lock:
            slot = self.next_slot
            if slot >= self.end:
                return None
            self.next_slot += self.interval
            return slot, self.random.choice(self.kinds)

    def record(self, scheduled, latency, ok):
        minute = int((scheduled - self.start) // 60)
        with self.lock:
            bucket = self.minutes.setdefault(minute, {"latencies": [], "errors": 0})
            bucket["latencies"].append(latency)
            if not ok:
                bucket["errors"] += 1


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--rate", type=float, default=800)
    parser.add_argument("--seconds", type=int, default=1800)
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--out", default="-")
    args = parser.parse_args()

    run = Run(args)
    workers = [Worker(run, index) for index in range(args.workers)]
    for worker in workers:
        worker.start()
    samples = []
    while time.monotonic() < run.end:
        samples.append((time.monotonic() - run.start, memory_kib(args.pid)))
        time.sleep(10)
    for worker in workers:
        worker.join(timeout=60)

    lines = [
        f"Soak: {args.rate:.0f} req/s scheduled for {args.seconds} s, {args.workers} keep-alive connections; "
        + ", ".join(f"{weight} % {kind}" for kind, weight in MIX)
        + ".",
        "",
        "| minute | requests | errors | p50 ms | p99 ms | max ms | RSS MiB (end of minute) | anon | file | shmem |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    everything = []
    errors = 0
    for minute in sorted(run.minutes):
        bucket = run.minutes[minute]
        latencies = bucket["latencies"]
        everything += latencies
        errors += bucket["errors"]
        memory = [sample for at, sample in samples if at < (minute + 1) * 60]
        last = memory[-1] if memory else dict.fromkeys(MEMORY_FIELDS, 0)
        lines.append(
            f"| {minute + 1} | {len(latencies)} | {bucket['errors']} | {percentile(latencies, 0.5) * 1000:.2f} | "
            f"{percentile(latencies, 0.99) * 1000:.2f} | {max(latencies) * 1000:.1f} | "
            + " | ".join(f"{last[field] / 1024:.1f}" for field in MEMORY_FIELDS)
            + " |"
        )
    rss_values = [memory["VmRSS"] / 1024 for _, memory in samples]
    lines += [
        "",
        f"Whole run: {len(everything)} requests ({len(everything) / args.seconds:.0f}/s), {errors} errors; "
        f"p50 {percentile(everything, 0.5) * 1000:.2f} ms, p99 {percentile(everything, 0.99) * 1000:.2f} ms, "
        f"p99.9 {percentile(everything, 0.999) * 1000:.2f} ms.",
        f"RSS, {len(samples)} samples every 10 s: min {min(rss_values):.1f}, max {max(rss_values):.1f} MiB; "
        f"trend after minute 5: {trend(samples, 'VmRSS'):+.2f} MiB per hour "
        f"(anon {trend(samples, 'RssAnon'):+.2f}, file {trend(samples, 'RssFile'):+.2f}, "
        f"shmem {trend(samples, 'RssShmem'):+.2f}).",
    ]
    report = "\n".join(lines) + "\n"
    if args.out == "-":
        sys.stdout.write(report)
    else:
        with open(args.out, "w") as out:
            out.write(report)
        sys.stdout.write(report)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
