#!/usr/bin/python3
"""Fault tests on a real multi-process cluster (scripts/cluster.sh, loopback).

2 gateways, 1 metadata node and 18 storage processes (3 zones x 3 racks x 2
nodes), 10+4 across racks. Objects written through one gateway read back
through the other. kill -9 m=4 storage processes during uploads and read
every acknowledged object back byte-exact; write with them down; restart
them (with one more down there is no placement: /ready and PUT say 503);
kill -9 a gateway in the middle of an upload and show nothing partial
is visible (through the other gateway, which keeps serving) and a retried
upload succeeds; kill -9 the metadata node: the gateways answer 503 and
/ready says so, then all is back after its restart; stop and restart the
whole cluster and read everything back, the restarted gateway's placement
seeing what the disks hold.

Usage: cluster_faults_test.py PATH/TO/tessera-server
"""
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

import boto3
import botocore
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loopback_cluster import fragment_bytes, metric, prepare_cluster, ready  # noqa: E402
from s3test_util import body, check, failures  # noqa: E402

ADMIN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(sys.argv[1]))), "tools", "admin", "tessera-admin")
ACCESS, SECRET = "CLUSTERACCESSKEY0001", "clustersecret000000000000000000000000001"


def wait_ready(port, status):
    """Polls a gateway's /ready for up to 10 s until it answers status."""
    for _ in range(100):
        if ready(port) == status:
            return
        time.sleep(0.1)


def check_admin(ports, data, down):
    """tessera-admin against both gateways: the nodes killed are down and
    the rest up; storage heartbeats carried every node's scrub progress;
    only gateway 0 (the lowest id) runs repair."""
    def report(port, name):
        r = subprocess.run([ADMIN, name, "--json", "--endpoint", f"http://127.0.0.1:{port}",
                            "--key-file", os.path.join(data, "admin-key")], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f"tessera-admin {name}: {r.stderr}"
        return json.loads(r.stdout)
    st = report(ports[0], "status")
    states = {n["id"]: n["state"] for n in st["nodes"]}
    check(len(states) == 18 and all((states[n] == "down") == (n in down) for n in states),
          f"tessera-admin status: nodes {list(down)} down, the other 14 up ({states})")
    check(st["metadata"].get("answers") is True, "tessera-admin status: the metadata node answers")
    scrub = report(ports[0], "scrub")
    check(len(scrub["nodes"]) == 18, f"tessera-admin scrub: every storage node reported ({len(scrub['nodes'])})")
    check(report(ports[0], "heal")["runs_here"] and not report(ports[1], "heal")["runs_here"],
          "tessera-admin heal: gateway 0 runs repair, gateway 20 says so")


def main():
    server = os.path.abspath(sys.argv[1])
    tmp, path, data, sh = prepare_cluster(server, "loopback-21.textproto", ACCESS, SECRET)

    r = sh("start", path, data)
    check(r.returncode == 0 and "cluster ready: 21 processes" in r.stdout, "cluster starts (21 processes)")
    ports = [int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", r.stdout)]
    check(len(ports) == 2, f"two gateways report their S3 address ({ports})")

    def client(port):
        return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id=ACCESS,
                            aws_secret_access_key=SECRET, region_name="us-east-1",
                            config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                          retries={"max_attempts": 1}, read_timeout=120))
    s3, other = client(ports[0]), client(ports[1])  # gateway nodes 0 and 20

    def read_all(c):
        return [k for k, v in acked.items() if c.get_object(Bucket="faults", Key=k)["Body"].read() != v]
    acked = {}
    try:
        s3.create_bucket(Bucket="faults")
        for i, size in enumerate([10, 5000, 1 << 20, 9 << 20, 20 << 20]):
            data_i = body(size, f"a{i}")
            (s3 if i % 2 else other).put_object(Bucket="faults", Key=f"before/{i}", Body=data_i)
            acked[f"before/{i}"] = data_i
        check(not read_all(s3) and not read_all(other), "objects written through either gateway read back "
                                                        "through both")

        # kill -9 four storage processes while uploads run.
        results = {}

        def uploader():
            for i in range(8):
                key = f"during/{i}"
                payload = body(6 << 20, key)
                try:
                    s3.put_object(Bucket="faults", Key=key, Body=payload)
                    results[key] = payload
                except botocore.exceptions.ClientError as e:
                    results[key] = e.response["Error"]["Code"]
        t = threading.Thread(target=uploader)
        t.start()
        for node in (1, 5, 9, 13):
            time.sleep(0.15)
            sh("kill", str(node), data)
        t.join()
        ok_during = {k: v for k, v in results.items() if isinstance(v, bytes)}
        acked.update(ok_during)
        print(f"     {len(ok_during)} of 8 uploads during the kills were acknowledged")
        bad = [k for k, v in acked.items() if s3.get_object(Bucket="faults", Key=k)["Body"].read() != v]
        check(not bad, f"with 4 storage processes down, {len(acked)} acknowledged objects read back ({bad[:3]})")
        time.sleep(2)  # the failure detector marks them down
        check_admin(ports, data, down=(1, 5, 9, 13))
        for i in range(3):
            payload = body(12 << 20, f"after{i}")
            s3.put_object(Bucket="faults", Key=f"after/{i}", Body=payload)
            acked[f"after/{i}"] = payload
        check(all(s3.get_object(Bucket="faults", Key=f"after/{i}")["Body"].read() == acked[f"after/{i}"]
                  for i in range(3)), "writes with 4 storage processes down succeed and read back")
        # A fifth one down leaves 13 storage processes for 14 fragments: no
        # placement, so the gateways say they are not ready, and a PUT is a 503.
        sh("kill", "17", data)
        wait_ready(ports[0], 503)
        check(ready(ports[0]) == 503, "with 5 storage processes down (no placement), /ready answers 503")
        try:
            s3.put_object(Bucket="faults", Key="no/placement", Body=body(1 << 20, "np"))
            check(False, "a PUT without a placement fails")
        except botocore.exceptions.ClientError as e:
            check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 503,
                  f"a PUT without a placement is a 503 ({e.response['Error']['Code']})")
        for node in (1, 5, 9, 13, 17):
            sh("restart", str(node), path, data)
        wait_ready(ports[0], 200)
        check(ready(ports[0]) == 200, "with the storage processes back, /ready answers 200 again")

        # kill -9 a gateway mid-upload: nothing partial becomes visible.
        big = body(64 << 20, "gateway-crash")
        outcome = {}

        def big_upload():
            try:
                s3.put_object(Bucket="faults", Key="crash/big", Body=big)
                outcome["r"] = "ok"
            except Exception as e:  # the connection dies with the gateway
                outcome["r"] = type(e).__name__
        t = threading.Thread(target=big_upload)
        t.start()
        time.sleep(0.4)
        sh("kill", "0", data)
        t.join()
        try:
            other.head_object(Bucket="faults", Key="crash/big")
            check(outcome["r"] == "ok", "a partial upload is visible through the other gateway")
        except botocore.exceptions.ClientError as e:
            check(e.response["Error"]["Code"] == "404", "nothing partial is visible through the other gateway")
        bad = read_all(other)
        check(not bad, f"with gateway 0 killed, gateway 20 serves all {len(acked)} objects ({bad[:3]})")
        sh("restart", "0", path, data)
        for _ in range(100):
            try:
                s3.list_buckets()
                break
            except Exception:
                time.sleep(0.1)
        try:
            got = s3.get_object(Bucket="faults", Key="crash/big")["Body"].read()
            check(outcome["r"] == "ok" and got == big, "after a gateway kill -9 the object is whole (upload had ended)")
        except botocore.exceptions.ClientError as e:
            check(e.response["Error"]["Code"] == "NoSuchKey", f"gateway kill -9 mid-upload left nothing visible "
                                                              f"(client saw {outcome['r']})")
        s3.put_object(Bucket="faults", Key="crash/big", Body=big)
        acked["crash/big"] = big
        check(s3.get_object(Bucket="faults", Key="crash/big")["Body"].read() == big, "retried upload succeeds")

        # kill -9 the metadata node: 503s, not hangs or wrong answers; back after a restart.
        sh("kill", "19", data)
        wait_ready(ports[1], 503)
        check(ready(ports[1]) == 503, "with the metadata node down, /ready answers 503")
        try:
            other.get_object(Bucket="faults", Key="before/0")
            check(False, "a read without metadata fails")
        except botocore.exceptions.ClientError as e:
            check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 503,
                  f"a read without metadata is a 503 ({e.response['Error']['Code']})")
        sh("restart", "19", path, data)
        for _ in range(100):
            if ready(ports[1]) == 200 and ready(ports[0]) == 200:
                break
            time.sleep(0.1)
        bad = read_all(other)
        check(not bad, f"after the metadata node's restart, {len(acked)} objects read back ({bad[:3]})")

        # Stop everything, start again, read everything back.
        r = sh("stop", data)
        check(r.returncode == 0, "cluster stops cleanly")
        r = sh("start", path, data)
        check(r.returncode == 0, "cluster restarts")
        bad = [k for k, v in acked.items() if s3.get_object(Bucket="faults", Key=k)["Body"].read() != v]
        check(not bad, f"after a full restart, {len(acked)} objects read back byte-exact ({bad[:3]})")
        # A restarted gateway's placement sees what the disks hold (their
        # nodes' heartbeats say it), not zero.
        truth, seen = fragment_bytes(data), None
        for _ in range(50):
            seen = metric(ports[0], "tessera_placement_used_bytes")
            if seen is not None and abs(seen - truth) <= truth * 0.01:
                break
            time.sleep(0.1)
        check(truth > 0 and seen is not None and abs(seen - truth) <= truth * 0.01,
              f"after a restart the gateway's fill is what the disks hold ({seen} vs {truth} bytes)")
    finally:
        sh("stop", data)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
