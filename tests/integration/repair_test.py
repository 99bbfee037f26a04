#!/usr/bin/python3
"""Scrub and repair in a real tessera-server (embedded mode, 16 disk
directories, 10+4, temp data dir), damaged the way an operator sees it:
fragment files deleted, bytes flipped inside others, a disk directory gone,
another replaced by an empty one, and an orphan file. The scrubber must
find the flipped bytes, repair must put every fragment back (byte-exact in
place, or moved off the gone disk), the sweep must delete the orphan and
nothing else, /metrics must show it all, and every object must read back
byte-exact, also after a restart.

Usage: repair_test.py PATH/TO/tessera-server
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3test_util import body, check, failures  # noqa: E402

SERVER = sys.argv[1]
ACCESS, SECRET = "TESTACCESSKEY0000001", "testsecretkey0000000000000000000000000001"
MOVED = 'tessera_fragments_repaired_total{how="moved"}'
IN_PLACE = 'tessera_fragments_repaired_total{how="in_place"}'
OBJECTS = {"big": 20 << 20, "medium": 3 << 20, "small": 100 << 10}


def start(data):
    env = dict(os.environ, TESSERA_ACCESS_KEY=ACCESS, TESSERA_SECRET_KEY=SECRET)
    proc = subprocess.Popen([SERVER, "--data-dir", data, "--port", "0", "--disks", "16",
                             "--repair-interval-s", "1", "--scrub-interval-s", "1", "--scrub-mib-s", "256",
                             "--orphan-grace-s", "3"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    line = proc.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    assert m, f"server did not start: {line}"
    return proc, f"http://127.0.0.1:{m.group(1)}"


def metrics(url):
    text = urllib.request.urlopen(url + "/metrics", timeout=10).read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def s3(url):
    return boto3.client("s3", endpoint_url=url, aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                        region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4"))


def read_all(client, what):
    for key, size in OBJECTS.items():
        got = client.get_object(Bucket="rep", Key=key)["Body"].read()
        check(got == body(size, key), f"{what}: {key} reads back byte-exact")


def fragments(disk_dir):
    return sorted(glob.glob(os.path.join(disk_dir, "f-*")))


def main():
    tmp = tempfile.mkdtemp(prefix="tessera-repair-")
    data = os.path.join(tmp, "d")
    proc, url = start(data)
    try:
        c = s3(url)
        c.create_bucket(Bucket="rep")
        for key, size in OBJECTS.items():
            c.put_object(Bucket="rep", Key=key, Body=body(size, key))
        disks = [os.path.join(data, "disk%02d" % d) for d in range(16)]
        before = {d: len(fragments(d)) for d in disks}

        def wait_for(what, cond):
            deadline = time.time() + 120
            while time.time() < deadline:
                time.sleep(1)
                m = metrics(url)
                if cond(m) and m.get("tessera_repair_pass_stripes_damaged", 1) == 0 and not m.get("tessera_repair_in_pass", 1):
                    check(True, f"{what}: repair converged ({m.get('tessera_repair_passes_total')} passes so far)")
                    return m
            check(False, f"{what}: repair did not converge within 120 s")
            return metrics(url)

        def contents(paths):
            out = {}
            for p in paths:
                with open(p, "rb") as f:
                    out[p] = f.read()
            return out

        def restored(saved):
            return all(os.path.exists(p) and open(p, "rb").read() == b for p, b in saved.items())

        # Rot: a byte flipped inside two fragment files. Only the scrubber
        # can find it (nothing reads these objects meanwhile).
        flipped = contents([fragments(disks[2])[0], fragments(disks[4])[-1]])
        for path, b in flipped.items():
            with open(path, "r+b") as f:
                f.seek(len(b) - 100)
                f.write(bytes([b[-100] ^ 0x40]))
        m = wait_for("rot", lambda m: restored(flipped))
        check(m.get("tessera_scrub_corrupt_found_total", 0) == 2,
              f"scrub found both flipped bytes: {m.get('tessera_scrub_corrupt_found_total')}")
        for p in flipped:
            check(open(p, "rb").read() == flipped[p], f"rotten {os.path.basename(p)} rewritten byte-exact")

        # Loss: two files deleted, disk03 gone, disk07 replaced by an empty one.
        deleted = contents([fragments(disks[0])[0], fragments(disks[1])[-1]])
        for path in deleted:
            os.remove(path)
        gone = before[disks[3]]
        shutil.rmtree(disks[3])
        shutil.rmtree(disks[7])
        os.mkdir(disks[7])
        m = wait_for("loss", lambda m: restored(deleted) and m.get(MOVED, 0) >= gone)
        for p in deleted:
            check(os.path.exists(p) and open(p, "rb").read() == deleted[p], f"deleted {os.path.basename(p)} rebuilt byte-exact")
        # Moves may land on the new empty disk too.
        check(len(fragments(disks[7])) >= before[disks[7]],
              f"replaced empty disk07 refilled: {len(fragments(disks[7]))} fragments, {before[disks[7]]} before")
        check(m.get(MOVED, 0) == gone, f"the {gone} fragments of gone disk03 moved: {m.get(MOVED)}")
        check(m.get(IN_PLACE, 0) == 2 + 2 + before[disks[7]], f"in-place rebuilds counted: {m.get(IN_PLACE)}")
        check(m.get("tessera_repair_stripes_unrepairable_total", -1) == 0, "nothing was unrepairable")

        # An orphan: a fragment file nothing references (as a PUT that died
        # before its commit leaves). The sweep deletes it after the grace.
        orphan = os.path.join(disks[5], "f-" + "0" * 32 + ".12345.1.0")
        shutil.copyfile(fragments(disks[5])[0], orphan)
        deadline = time.time() + 60
        while os.path.exists(orphan) and time.time() < deadline:
            time.sleep(1)
        check(not os.path.exists(orphan), "an unreferenced fragment file was swept after --orphan-grace-s")
        check(metrics(url).get("tessera_orphan_fragments_deleted_total", 0) == 1,
              "exactly one orphan deleted: nothing referenced was taken for one")
        check(sum(len(fragments(d)) for d in disks if os.path.isdir(d)) == sum(before.values()),
              "as many fragments on the disks as before the damage")
        read_all(c, "after repair")
        # The moves were committed to the metadata: they survive a restart.
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        proc, url = start(data)
        read_all(s3(url), "after restart")
        m = metrics(url)
        check(m.get("tessera_fragments_read_total", 0) > 0 and m.get("tessera_fragment_read_failures_total", 1) == 0,
              "after restart no read touches a missing fragment")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
