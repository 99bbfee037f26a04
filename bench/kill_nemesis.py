#!/usr/bin/python3
"""How long requests wait when processes die: a kill -9 nemesis on a real
loopback cluster from a checked-in cluster file (--cluster; default
loopback-raft: a gateway, 3 metadata replicas, 6 storage processes, 4+2
across racks, where one storage process down leaves no placement;
loopback-21: 2 gateways, one metadata node, 18 storage processes, 10+4).

Writers PUT (and read back) objects through the first gateway without
pause while the nemesis kills -9, one at a time, two storage processes,
each metadata replica (when there are several) and that gateway,
restarting each 4 s later. Prints, per fault: the longest stretch
without a successful PUT in the 8 s after it (a gateway's own death
counts its downtime), the slowest request that was in
flight, and how many requests took longer than 5 s; and how soon a
restarted gateway served. Figures only: nothing here passes or fails.

Usage: bench/kill_nemesis.py [PATH/TO/tessera-server] [--cluster FILE] [--rounds N]
"""
import argparse
import os
import re
import sys
import threading
import time

import boto3
from botocore.config import Config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests/integration"))
from loopback_cluster import prepare_cluster, ready  # noqa: E402
from s3test_util import body  # noqa: E402

ACCESS, SECRET = "NEMESISACCESSKEY0001", "nemesissecret000000000000000000000000001"
SLOW_S = 5.0


class Load:
    """Writers that PUT then GET, recording (start, end, ok) per request."""

    def __init__(self, port, writers):
        self.port, self.log, self.lock = port, [], threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(w,)) for w in range(writers)]

    def client(self):
        return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{self.port}", aws_access_key_id=ACCESS,
                            aws_secret_access_key=SECRET, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                          retries={"max_attempts": 1}, read_timeout=120, connect_timeout=2))

    def record(self, kind, start, ok):
        with self.lock:
            self.log.append((kind, start, time.monotonic(), ok))

    def run(self, w):
        s3, i = self.client(), 0
        while not self.stop.is_set():
            key = f"w{w}/{i}"
            data = body((64 << 10) if i % 8 else (8 << 20), key)
            start = time.monotonic()
            try:
                s3.put_object(Bucket="nemesis", Key=key, Body=data)
                self.record("put", start, True)
                start = time.monotonic()
                ok = s3.get_object(Bucket="nemesis", Key=key)["Body"].read() == data
                self.record("get", start, ok)
            except Exception:  # noqa: BLE001 - a failure is a data point here
                self.record("put", start, False)
                time.sleep(0.05)
            i += 1


def after(log, t0, t1):
    """Figures for requests in flight in [t0, t1]."""
    spans = [(s, e, ok) for _, s, e, ok in log if e >= t0 and s <= t1]
    puts_ok = [t0] + sorted(e for k, s, e, ok in log if k == "put" and ok and t0 <= e <= t1) + [t1]
    gap = max(b - a for a, b in zip(puts_ok, puts_ok[1:]))
    slowest = max((e - s for s, e, _ in spans), default=0.0)
    return gap, slowest, sum(1 for s, e, _ in spans if e - s > SLOW_S), sum(1 for *_, ok in spans if not ok)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server", nargs="?", default=os.path.join(REPO, "build/release/prod/tessera-server"))
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--cluster", default="loopback-raft.textproto", help="a file under clusters/")
    args = ap.parse_args()
    roles = {}
    for node, role in re.findall(r'id: (\d+) role: "(\w+)"', open(os.path.join(REPO, "clusters", args.cluster)).read()):
        roles.setdefault(role, []).append(int(node))
    tmp, path, data, sh = prepare_cluster(os.path.abspath(args.server), args.cluster, ACCESS, SECRET)
    r = sh("start", path, data)
    if r.returncode != 0:
        sys.exit("cluster did not start")
    port = int(re.findall(r"127\.0\.0\.1:(\d+)", r.stdout)[0])
    load = Load(port, args.writers)
    load.client().create_bucket(Bucket="nemesis")
    for t in load.threads:
        t.start()
    rows = []
    try:
        time.sleep(3)
        storage, metadata = roles["storage"], roles.get("metadata", [])
        faults = [("storage", storage[0]), ("storage", storage[len(storage) // 2])]
        faults += [("metadata", n) for n in metadata] if len(metadata) > 1 else []
        faults += [("gateway", roles["gateway"][0])]
        for rnd in range(args.rounds):
            for role, node in faults:
                t0 = time.monotonic()
                sh("kill", str(node), data)
                time.sleep(4)
                sh("restart", str(node), path, data)
                up_at = time.monotonic()
                serves = None
                if role == "gateway":
                    while ready(port) != 200 and time.monotonic() - up_at < 60:
                        time.sleep(0.02)
                    serves = time.monotonic() - up_at
                time.sleep(4)
                gap, slowest, slow, failed = after(load.log, t0, time.monotonic())
                rows.append((rnd, role, node, gap, slowest, slow, failed, serves))
                print(f"round {rnd} kill -9 {role} {node}: longest stretch without a PUT {gap:.2f} s, slowest request "
                      f"in flight {slowest:.2f} s, {slow} over {SLOW_S:.0f} s, {failed} failed"
                      + (f", /ready {serves:.2f} s after restart" if serves is not None else ""), flush=True)
    finally:
        load.stop.set()
        for t in load.threads:
            t.join()
        sh("stop", data)
    done = [x for x in load.log if x[3]]
    print(f"total: {len(load.log)} requests, {len(load.log) - len(done)} failed, "
          f"{sum(1 for _, s, e, _ in load.log if e - s > SLOW_S)} over {SLOW_S:.0f} s, "
          f"slowest {max(e - s for _, s, e, _ in load.log):.2f} s")
    for role in ("storage", "metadata", "gateway"):
        sel = [r for r in rows if r[1] == role]
        if not sel:
            continue
        print(f"{role}: worst gap {max(r[3] for r in sel):.2f} s, worst request {max(r[4] for r in sel):.2f} s, "
              f"requests over {SLOW_S:.0f} s {sum(r[5] for r in sel)}")


if __name__ == "__main__":
    main()
