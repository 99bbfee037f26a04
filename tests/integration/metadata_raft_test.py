#!/usr/bin/python3
"""The metadata as a Raft group on a real loopback cluster (scripts/cluster.sh,
clusters/loopback-raft.textproto: a gateway, 3 metadata replicas, 6 storage).

While a writer PUTs objects without pause, kill -9 each metadata replica in
turn (the leader among them), restart it, and measure the longest stretch
without a successful PUT. Then kill -9 a replica, delete its data directory
and restart it: it rebuilds from the leader and logs when it has caught up,
after which it and one other replica carry the group. Every acknowledged write reads
back byte-exact, and nothing that failed is half visible.

Usage: metadata_raft_test.py PATH/TO/tessera-server
"""
import os
import re
import shutil
import sys
import threading
import time

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loopback_cluster import prepare_cluster, ready  # noqa: E402
from s3test_util import body, check, failures  # noqa: E402

ACCESS, SECRET = "RAFTACCESSKEY0000001", "raftsecret00000000000000000000000000001"


def wait_for_line(log, offset, pattern, limit_s):
    """Seconds until pattern matches log past offset, or None after limit_s."""
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        with open(log, errors="replace") as f:
            f.seek(offset)
            if re.search(pattern, f.read()):
                return time.monotonic() - start
        time.sleep(0.2)
    return None


def main():
    server = os.path.abspath(sys.argv[1])
    tmp, path, data, sh = prepare_cluster(server, "loopback-raft.textproto", ACCESS, SECRET)

    r = sh("start", path, data)
    check(r.returncode == 0 and "cluster ready: 10 processes" in r.stdout, "cluster starts (10 processes)")
    port = int(re.findall(r"127\.0\.0\.1:(\d+)", r.stdout)[0])
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id=ACCESS,
                      aws_secret_access_key=SECRET, region_name="us-east-1",
                      config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                    retries={"max_attempts": 1}, read_timeout=60))
    acked, failed, stamps = {}, [], []
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            key, data_i = f"k/{i}", body(1000 + (i % 7) * 150000, f"w{i}")
            try:
                s3.put_object(Bucket="raft", Key=key, Body=data_i)
                acked[key] = data_i
                stamps.append(time.monotonic())
            except Exception as e:  # noqa: BLE001 - any failure is counted, then checked
                failed.append((key, str(e)[:120]))
            i += 1

    def longest_gap(since):
        ts = [since] + [t for t in stamps if t >= since]
        return max(b - a for a, b in zip(ts, ts[1:])) if len(ts) > 1 else float("inf")

    try:
        s3.create_bucket(Bucket="raft")
        t = threading.Thread(target=writer)
        t.start()
        time.sleep(2)
        gaps = []
        for node in ("1", "2", "3", "1", "2", "3"):
            killed_at = time.monotonic()
            sh("kill", node, data)
            time.sleep(20)
            gaps.append(longest_gap(killed_at))
            sh("restart", node, path, data)
            time.sleep(3)
        sh("kill", "2", data)
        shutil.rmtree(os.path.join(data, "node2", "metadata"))
        log2 = os.path.join(data, "node-2.log")
        log_from = os.path.getsize(log2)
        sh("restart", "2", path, data)
        # A replica with an empty disk may not vote until it holds the log:
        # its vote could elect a leader missing entries it had acknowledged.
        recovered = wait_for_line(log2, log_from, r"metadata replica 2: (caught up|leader)", 120)
        took = "never" if recovered is None else f"after {recovered:.1f} s"
        check(recovered is not None, f"the rebuilt replica 2 logs that it caught up ({took})")
        sh("kill", "3", data)  # 1 and the rebuilt 2 must carry the group
        time.sleep(15)
        rebuilt_gap = longest_gap(time.monotonic() - 15)
        stop.set()
        t.join()
        print(f"figures: {len(acked)} PUTs acknowledged, {len(failed)} failed; longest stretch without a "
              f"successful PUT after each kill -9 of a replica: {', '.join(f'{g:.1f}s' for g in gaps)}")
        # Generous for a busy machine: before the group, a leader kill stalled writes for the 30 s deadline.
        check(all(g < 20 for g in gaps), f"writes continue within 20 s of each replica kill ({gaps})")
        check(rebuilt_gap < 20, f"with node 3 down, node 1 and the rebuilt node 2 take writes ({rebuilt_gap:.1f}s)")
        bad = [k for k, v in acked.items() if s3.get_object(Bucket="raft", Key=k)["Body"].read() != v]
        check(not bad, f"all {len(acked)} acknowledged objects read back byte-exact ({bad[:3]})")
        listed = set()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="raft"):
            listed |= {o["Key"] for o in page.get("Contents", [])}
        check(set(acked) <= listed, "LIST shows every acknowledged object")
        sh("restart", "3", path, data)
        check(ready(port) == 200, "/ready after the group is whole again")
    finally:
        stop.set()
        sh("stop", data)
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} checks failed")
        sys.exit(1)
    print("all checks passed")


if __name__ == "__main__":
    main()
