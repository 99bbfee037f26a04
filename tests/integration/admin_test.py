#!/usr/bin/python3
"""tessera-admin against a real tessera-server (embedded, 16 disk
directories, 10+4, repair and scrub every second, GC grace 2 s), as an
operator uses it: the admin key is generated once and kept; `status`
shows the disks and the metadata replicas, and a deleted disk directory
as gone; `gc` shows an overwrite's garbage waiting, then collected;
`scrub` and `heal` show a flipped byte found and repaired; `lost` names
an object with fewer than k fragments left (its GET is a 500); a wrong
key is refused and changes nothing; `durability` computes the model.

Usage: admin_test.py PATH/TO/tessera-server
"""
import glob
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import boto3
import botocore
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3test_util import body, check, failures  # noqa: E402

SERVER = os.path.abspath(sys.argv[1])
ADMIN = os.path.join(os.path.dirname(os.path.dirname(SERVER)), "tools", "admin", "tessera-admin")
ACCESS, SECRET = "ADMINTESTACCESSKEY01", "admintestsecret0000000000000000000000001"


def start(data):
    env = dict(os.environ, TESSERA_ACCESS_KEY=ACCESS, TESSERA_SECRET_KEY=SECRET)
    env.pop("TESSERA_ADMIN_KEY", None)
    proc = subprocess.Popen([SERVER, "--data-dir", data, "--port", "0", "--disks", "16", "--repair-interval-s", "1",
                             "--scrub-interval-s", "1", "--scrub-mib-s", "256", "--gc-grace-s", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    m = re.search(r"http://127\.0\.0\.1:(\d+)", proc.stdout.readline())
    assert m, "server did not start"
    return proc, f"http://127.0.0.1:{m.group(1)}"


def admin(url, data, *args, key=None):
    """(exit status, stdout, stderr) of tessera-admin against url."""
    cmd = [ADMIN, *args, "--endpoint", url, "--key-file", os.path.join(data, "admin-key")]
    if key is not None:
        cmd += ["--key", key]
    env = dict(os.environ)
    env.pop("TESSERA_ADMIN_KEY", None)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=env)
    return r.returncode, r.stdout, r.stderr


def report(url, data, name):
    rc, out, err = admin(url, data, name, "--json")
    assert rc == 0, f"tessera-admin {name} failed: {err}"
    return json.loads(out)


def wait_for(what, cond, timeout=90):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = cond()
        if got:
            return got
        time.sleep(0.5)
    check(False, f"{what} within {timeout} s")
    return None


def fragments(data):
    return set(glob.glob(os.path.join(data, "disk*", "f-*")))


def check_status(url, data):
    st = report(url, data, "status")
    check(len(st["disks"]) == 16 and all(d["state"] == "up" for d in st["disks"]), "status: 16 disks, all up")
    states = [r["state"] for r in st["metadata"]["replicas"]]
    check(len(states) == 3 and sum(s.startswith("leader") for s in states) == 1,
          f"status: 3 metadata replicas, one leader ({states})")
    rc, out, _ = admin(url, data, "status")
    check(rc == 0 and "Disks: 16 (16 up)" in out and "NODE  DISK  ZONE" in out, "status prints its tables")


def check_refusals(url, data):
    before = report(url, data, "gc")
    rc, _, err = admin(url, data, "gc", key="not-the-key")
    check(rc == 1 and "403 AccessDenied" in err, f"a wrong key is refused with 403 ({err.strip()[:80]})")
    try:
        urllib.request.urlopen(url + "/_tessera/admin/v1/status", timeout=10)
        check(False, "the admin endpoint without a key is refused")
    except urllib.error.HTTPError as e:
        check(e.code == 403 and json.loads(e.read())["error"] == "AccessDenied",
              "the admin endpoint without a key: 403 in JSON, not an S3 request")
    rc, _, err = admin(url, os.path.join(data, "nowhere"), "status")
    check(rc == 1 and "no admin key" in err, "no key file: the message says where the key comes from")
    check(report(url, data, "gc")["records"] == before["records"], "refused requests changed nothing")


def check_gc(url, data, c):
    c.put_object(Bucket="adm", Key="over", Body=body(3 << 20, "v1"))
    c.put_object(Bucket="adm", Key="over", Body=body(3 << 20, "v2"))
    check(c.get_object(Bucket="adm", Key="over")["Body"].read() == body(3 << 20, "v2"), "the overwrite reads back")
    gc = report(url, data, "gc")
    check(gc["runs_here"] and gc["records"] >= 1 and gc["fragments"] >= 14,
          f"gc: the overwritten version waits out the grace ({gc['records']} records, {gc['fragments']} fragments)")
    done = wait_for("gc collected the backlog", lambda: (lambda g: g if g["records"] == 0 else None)(report(url, data, "gc")))
    check(done is not None and done["fragments_collected_total"] >= 14, "gc: the backlog was collected")
    rc, out, _ = admin(url, data, "gc")
    check(rc == 0 and "Backlog: 0 records" in out, "gc prints the backlog")


def check_scrub_and_heal(url, data, c):
    c.put_object(Bucket="adm", Key="rot", Body=body(2 << 20, "rot"))
    path = sorted(fragments(data))[0]
    raw = bytearray(open(path, "rb").read())
    raw[-100] ^= 0x40
    open(path, "wb").write(bytes(raw))
    scrub = wait_for("scrub found the flipped byte", lambda: (lambda s: s if sum(
        n["corrupt_found_total"] for n in s["nodes"]) >= 1 else None)(report(url, data, "scrub")))
    check(scrub is not None, "scrub: the flipped byte is counted")
    heal = wait_for("repair rebuilt it", lambda: (lambda h: h if h["fragments_rebuilt_in_place_total"] >= 1 and
                                                  not h["in_pass"] else None)(report(url, data, "heal")))
    check(heal is not None and heal["passes"] >= 1, "heal: the rotten fragment was rebuilt in place")
    rc, out, _ = admin(url, data, "heal")
    check(rc == 0 and "Since start:" in out and "stripes repaired" in out, "heal prints its summary")


def check_gone_and_lost(url, data, c):
    before = fragments(data)
    c.put_object(Bucket="adm", Key="doomed", Body=body(1 << 20, "doomed"))
    doomed = sorted(fragments(data) - before)
    check(len(doomed) == 14, f"one stripe of 14 fragments written ({len(doomed)})")
    for p in doomed[:5]:  # 9 left of the 10 a read needs
        os.remove(p)
    lost = wait_for("repair reported the loss", lambda: (lambda r: r if r["stripes"] else None)(report(url, data, "lost")))
    check(lost is not None and lost["stripes"][0]["bucket"] == "adm" and lost["stripes"][0]["key"] == "doomed" and
          lost["stripes"][0]["fragments_left"] == 9, "lost: names adm/doomed with 9 fragments left")
    try:
        c.get_object(Bucket="adm", Key="doomed")["Body"].read()
        check(False, "a GET of a lost object fails")
    except botocore.exceptions.ClientError as e:
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 500, "a GET of the lost object is a 500")
    rc, out, _ = admin(url, data, "lost")
    check(rc == 0 and "adm" in out and "doomed" in out and "9 of 10 needed" in out, "lost prints the object")
    shutil.rmtree(os.path.join(data, "disk05"))
    gone = wait_for("status shows the deleted disk gone", lambda: [
        d for d in report(url, data, "status")["disks"] if d["disk"] == 5 and d["state"] == "gone"])
    check(bool(gone), "status: the deleted disk directory is gone")


def check_durability(tmp):
    png = os.path.join(tmp, "nines.png")
    r = subprocess.run([ADMIN, "durability", "--plot", png], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n" and
          open(png + ".csv").readline().startswith("repair_hours,4+2"), f"durability --plot writes a PNG ({r.stderr})")
    r = subprocess.run([ADMIN, "durability", "--json"], capture_output=True, text=True, timeout=30)
    d = json.loads(r.stdout)
    check(r.returncode == 0 and 11 < d["nines"] < 13, f"durability of the embedded default: {d['nines']:.1f} nines")
    r = subprocess.run([ADMIN, "durability", "--disks", "3"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and "--disks must be at least k + m (14)" in r.stderr, "durability names bad input")


def main():
    tmp = tempfile.mkdtemp(prefix="tessera-admin-")
    data = os.path.join(tmp, "d")
    proc, url = start(data)
    try:
        key_file = os.path.join(data, "admin-key")
        check(stat.S_IMODE(os.stat(key_file).st_mode) == 0o600, "the admin key is generated, mode 0600")
        key = open(key_file).read()
        c = boto3.client("s3", endpoint_url=url, aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                         region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
        c.create_bucket(Bucket="adm")
        check_status(url, data)
        check_refusals(url, data)
        check_gc(url, data, c)
        check_scrub_and_heal(url, data, c)
        check_gone_and_lost(url, data, c)
        check_durability(tmp)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        proc, url = start(data)
        check(open(key_file).read() == key and admin(url, data, "status")[0] == 0,
              "after a restart the same admin key works")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
