#!/usr/bin/python3
"""What one S3 client can hold of a real tessera-server, with its defaults.

1. 200 uploads that declare 100 MiB, send 512 KiB and go quiet: each gets
   400 RequestTimeout after the 20 s body timeout, nothing is stored, the
   server's RSS stays under 400 MiB, and a normal client's PUT and GET
   succeed meanwhile.
2. The request-body budget: at the cap (a small one here) socket reads pause,
   the budget's gauge never passes the cap, and the paused upload goes on
   once room frees.
3. The connection cap (503 SlowDown beyond it) and the header deadline.

Usage: client_bounds_test.py PATH/TO/tessera-server
"""
import os
import re
import socket
import sys
import threading
import time
import urllib.request

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3test_util import body, check, exit_status, running_server  # noqa: E402

ACCESS, SECRET = "BOUNDSACCESSKEY00001", "boundssecretkey0000000000000000000000001"
MIB = 1 << 20
# Under AddressSanitizer freed memory sits in a quarantine (256 MiB by
# default) that would count as the server's; a small one shows what it holds.
ASAN_ENV = {"ASAN_OPTIONS": "quarantine_size_mb=8:detect_leaks=0"}


def client(port):
    return boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id=ACCESS,
                        aws_secret_access_key=SECRET, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                      retries={"max_attempts": 1}))


def upload_head(port, key, declared):
    """The signed header of a PUT of `declared` bytes (payload unsigned)."""
    url = f"http://127.0.0.1:{port}/bounds/{key}"
    req = AWSRequest(method="PUT", url=url, headers={"Content-Length": str(declared)})
    req.context["client_config"] = Config(s3={"payload_signing_enabled": False})  # UNSIGNED-PAYLOAD
    S3SigV4Auth(Credentials(ACCESS, SECRET), "s3", "us-east-1").add_auth(req)
    headers = dict(req.headers.items(), Host=f"127.0.0.1:{port}")
    lines = [f"PUT /bounds/{key} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def stalled_upload(port, key, declared, sent):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(upload_head(port, key, declared) + b"s" * sent)
    return sock


def response_of(sock, timeout):
    sock.settimeout(timeout)
    data = b""
    try:
        while b"</Error>" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionError):
        pass
    sock.close()
    return data.decode(errors="replace")


def metric(port, name):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    m = re.search("^" + re.escape(name) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def stalled_uploads(binary):
    """Part 1, with the server's defaults."""
    with running_server(binary, {ACCESS: SECRET}, env_extra=ASAN_ENV) as server:
        s3 = client(server.port)
        s3.create_bucket(Bucket="bounds")
        s3.put_object(Bucket="bounds", Key="warm", Body=body(20 * MIB, "warm"))
        rss_before = server.rss_kib()
        started = time.time()
        socks = [stalled_upload(server.port, f"stalled/{i}", 100 * MIB, 512 * 1024) for i in range(200)]
        print(f"200 stalled uploads open after {time.time() - started:.1f} s", flush=True)
        time.sleep(1)
        check(metric(server.port, "tessera_http_connections_open") >= 200, "200 connections open")
        # A normal client meanwhile.
        data = body(12 * MIB, "normal")
        s3.put_object(Bucket="bounds", Key="normal", Body=data)
        check(s3.get_object(Bucket="bounds", Key="normal")["Body"].read() == data,
              "a normal PUT and GET succeed while 200 uploads stall")
        during = server.rss_kib()
        replies = [response_of(s, 60) for s in socks]
        waited = time.time() - started
        timed_out = sum(1 for r in replies if " 400 " in r.split("\r\n")[0] and "RequestTimeout" in r)
        check(timed_out == 200, f"{timed_out} of 200 stalled uploads got 400 RequestTimeout ({waited:.0f} s)")
        check(waited >= 19, "not before the 20 s body timeout")
        listed = s3.list_objects_v2(Bucket="bounds", Prefix="stalled/").get("KeyCount", 0)
        check(listed == 0, f"nothing stored by the stalled uploads ({listed} keys)")
        peak = server.rss_kib("VmHWM")
        print(f"RSS before {rss_before // 1024} MiB, during {during // 1024} MiB, peak {peak // 1024} MiB",
              flush=True)
        check(peak < 400 * 1024, f"peak RSS {peak // 1024} MiB < 400 MiB")
        check(metric(server.port, 'tessera_http_timeouts_total{phase="body"}') >= 200, "body timeouts counted")
        check(metric(server.port, "tessera_http_body_buffer_bytes") == 0, "every charged body byte given back")
        check(s3.get_object(Bucket="bounds", Key="warm")["Body"].read() == body(20 * MIB, "warm"),
              "the server serves on")


def body_budget(binary):
    """Part 2: a 40 MiB cap; one upload holds 30 MiB, another must wait."""
    with running_server(binary, {ACCESS: SECRET}, args=["--body-buffer-mib", "40", "--body-timeout-s", "3"],
                        env_extra=ASAN_ENV) as server:
        s3 = client(server.port)
        s3.create_bucket(Bucket="bounds")
        holder = stalled_upload(server.port, "holder", 100 * MIB, 30 * MIB)
        time.sleep(0.5)
        check(metric(server.port, "tessera_http_body_buffer_bytes") >= 30 * MIB, "the holder's 30 MiB charged")
        # The second sends 20 MiB in a thread: its socket stops being read at the cap.
        waiter = socket.create_connection(("127.0.0.1", server.port))
        sender = threading.Thread(target=lambda: waiter.sendall(upload_head(server.port, "waiter", 20 * MIB) +
                                                                b"w" * (20 * MIB)), daemon=True)
        sender.start()
        time.sleep(1)
        in_use = metric(server.port, "tessera_http_body_buffer_bytes")
        check(in_use <= 40 * MIB, f"body bytes in memory {in_use / MIB:.1f} MiB <= the 40 MiB cap")
        check(metric(server.port, "tessera_http_body_buffer_waits_total") >= 1, "the second upload waited for room")
        check(" 400 " in response_of(holder, 20).split("\r\n")[0], "the holder timed out (3 s)")
        reply = response_of(waiter, 30)
        check(" 200 " in reply.split("\r\n")[0], f"the waiting upload went on once room freed ({reply[:60]!r})")
        check(s3.head_object(Bucket="bounds", Key="waiter")["ContentLength"] == 20 * MIB, "and was stored whole")
        check(metric(server.port, "tessera_http_body_buffer_bytes") == 0, "budget back to 0")


def connection_cap_and_header_deadline(binary):
    """Part 3: 20 connections at most; a header must arrive within 2 s."""
    with running_server(binary, {ACCESS: SECRET}, args=["--connections-max", "20", "--header-timeout-s", "2"],
                        env_extra=ASAN_ENV) as server:
        idle = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(20)]
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", server.port))
        reply = response_of(extra, 10)
        check(" 503 " in reply.split("\r\n")[0] and "SlowDown" in reply, "connection 21 gets 503 SlowDown")
        check(metric_after_close(server.port, idle) >= 1, "refused connections counted")
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.sendall(b"GET /bounds HTTP/1.1\r\nHost: x\r\n")  # and never the end of the header
        started = time.time()
        slow.settimeout(10)
        try:
            closed = slow.recv(100) == b""
        except (socket.timeout, ConnectionError):
            closed = False
        check(closed and time.time() - started < 5, "a header that never ends is cut after the header deadline")
        check(metric(server.port, 'tessera_http_timeouts_total{phase="header"}') >= 1, "header timeouts counted")


def metric_after_close(port, socks):
    for s in socks:
        s.close()
    time.sleep(0.3)
    return metric(port, "tessera_http_connections_refused_total")


def main():
    binary = sys.argv[1]
    connection_cap_and_header_deadline(binary)
    body_budget(binary)
    stalled_uploads(binary)
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
