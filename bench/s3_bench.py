#!/usr/bin/python3
"""S3 benchmark of the embedded default over loopback (prints figures, asserts nothing).

Starts tessera-server (Release) on a temp data folder, then with boto3 as the
load generator (one process, a thread pool; botocore signs the payload with
SHA-256 over plain HTTP, as the aws CLI does):
  - PUT and GET of 1 GiB objects, sequential, MB/s;
  - PUT and GET of 4 KiB objects, 16 threads, ops/s with p50/p99 latency;
  - a 5 GiB PUT streamed from a generator, with the server's peak RSS (VmHWM);
and beside them, in the same run, bench/write_bound_bench: encode + SHA-256 +
fsync'd writes of the 1.4x fragment bytes on both cores (the machine's bound).

Usage: bench/s3_bench.py BUILD_DIR [--gib N] [--small N] [--skip-5g]
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import tempfile
import time

import boto3
from botocore.config import Config

ACCESS, SECRET = "BENCHACCESSKEY000001", "benchsecret00000000000000000000000000001"


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


class Chunks:
    """A file-like body of n bytes made of one repeated random block (no 5 GiB in the client)."""

    def __init__(self, n, block):
        self.n, self.block, self.pos = n, block, 0

    def read(self, size=-1):
        if self.pos >= self.n:
            return b""
        size = self.n - self.pos if size < 0 else min(size, self.n - self.pos)
        out = (self.block * (size // len(self.block) + 2))[self.pos % len(self.block):][:size]
        self.pos += size
        return out

    def seek(self, off, whence=0):
        self.pos = off if whence == 0 else (self.n + off if whence == 2 else self.pos + off)
        return self.pos

    def tell(self):
        return self.pos

    def __len__(self):
        return self.n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--gib", type=int, default=3, help="1 GiB objects to PUT and GET")
    ap.add_argument("--small", type=int, default=3000, help="4 KiB objects to PUT and GET")
    ap.add_argument("--skip-5g", action="store_true")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tessera-bench-", dir=os.getcwd())
    users = os.path.join(tmp, "users")
    with open(users, "w") as f:
        f.write(f"{ACCESS}:{SECRET}\n")
    bound = subprocess.run([os.path.join(a.build, "bench/write_bound_bench"), os.path.join(tmp, "bound"), "1024"],
                           capture_output=True, text=True).stdout
    print(bound, end="")
    server = subprocess.Popen([os.path.join(a.build, "prod/tessera-server"), "--data-dir", os.path.join(tmp, "d"),
                               "--port", "0", "--users", users], stdout=subprocess.PIPE, text=True)
    port = int(re.search(r":(\d+) ", server.stdout.readline()).group(1))
    cfg = Config(s3={"addressing_style": "path"}, max_pool_connections=32, retries={"max_attempts": 1},
                 signature_version="s3v4")
    s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id=ACCESS,
                      aws_secret_access_key=SECRET, region_name="us-east-1", config=cfg)
    try:
        s3.create_bucket(Bucket="bench")
        block = os.urandom(1 << 20)
        gib = block * 1024
        t = time.time()
        for i in range(a.gib):
            s3.put_object(Bucket="bench", Key=f"big{i}", Body=gib)
        put = a.gib * len(gib) / (time.time() - t) / 1e6
        t = time.time()
        for i in range(a.gib):
            body = s3.get_object(Bucket="bench", Key=f"big{i}")["Body"]
            while body.read(8 << 20):
                pass
        get = a.gib * len(gib) / (time.time() - t) / 1e6
        print(f"put_1gib_mb_s {put:.0f}\nget_1gib_mb_s {get:.0f}")

        small = os.urandom(4096)

        def timed(fn, i):
            t0 = time.time()
            fn(i)
            return time.time() - t0

        for name, fn in (("put", lambda i: s3.put_object(Bucket="bench", Key=f"s{i}", Body=small)),
                         ("get", lambda i: s3.get_object(Bucket="bench", Key=f"s{i}")["Body"].read())):
            t = time.time()
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                lat = list(pool.map(lambda i: timed(fn, i), range(a.small)))
            ops = a.small / (time.time() - t)
            print(f"{name}_4kib_ops_s {ops:.0f} p50_ms {percentile(lat, 50) * 1e3:.1f} "
                  f"p99_ms {percentile(lat, 99) * 1e3:.1f}")
        if not a.skip_5g:
            t = time.time()
            s3.put_object(Bucket="bench", Key="five", Body=Chunks(5 << 30, block), ContentLength=5 << 30)
            secs = time.time() - t
            hwm = re.search(r"VmHWM:\s+(\d+) kB", open(f"/proc/{server.pid}/status").read()).group(1)
            print(f"put_5gib_mb_s {(5 << 30) / secs / 1e6:.0f} server_peak_rss_mib {int(hwm) // 1024}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
