#!/usr/bin/python3
"""Real S3 clients against a real tessera-server (embedded mode, temp data dir).

boto3, the aws CLI and s3cmd: bucket lifecycle, put/get/head/delete, ranges,
listings with delimiters and pagination, versioning, multipart (a 100 MiB
`aws s3 cp`, abort, list parts), presigned GET/PUT (and an expired one),
wrong secrets, anonymous access, bad input; then kill -9 and a restart,
after which every acknowledged object reads back byte-exact.

Usage: s3_clients_test.py PATH/TO/tessera-server
"""
import hashlib
import os
import re
import shutil
import signal
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

SERVER = sys.argv[1]
AWS = "/usr/bin/aws"
ACCESS, SECRET = "TESTACCESSKEY0000001", "testsecretkey0000000000000000000000000001"
OTHER_ACCESS, OTHER_SECRET = "TESTACCESSKEY0000002", "testsecretkey0000000000000000000000000002"


def expect_error(code, fn, what):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"{what}: {got}")
        return
    check(False, f"{what}: no error, expected {code}")


class Server:
    def __init__(self, data):
        self.data = data
        self.proc = None
        self.port = None

    def start(self):
        users = os.path.join(self.data, "users")
        with open(users, "w") as f:
            f.write(f"{ACCESS}:{SECRET}\n{OTHER_ACCESS}:{OTHER_SECRET}\n")
        env = dict(os.environ)
        env.pop("TESSERA_ACCESS_KEY", None)
        self.proc = subprocess.Popen([SERVER, "--data-dir", os.path.join(self.data, "d"), "--port", "0",
                                      "--users", users, "--gc-grace-s", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, env=env)
        line = self.proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        assert m, f"server did not start: {line}"
        self.port = int(m.group(1))
        return self

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"


def client(server, access=ACCESS, secret=SECRET, **kw):
    return boto3.client("s3", endpoint_url=server.url, aws_access_key_id=access, aws_secret_access_key=secret,
                        region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1},
                                      signature_version="s3v4", **kw))


def aws(server, *args, check_rc=True):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    quiet = ["--only-show-errors"] if args[:2] == ("s3", "cp") else []
    r = subprocess.run([AWS, "--endpoint-url", server.url, *args, *quiet], capture_output=True,
                       text=True, env=env)
    if check_rc and r.returncode != 0:
        print(r.stdout, r.stderr)
    return r


def signed(server, method, path, headers=None, signed_body=b""):
    """Headers of a SigV4-signed request (botocore's signer), for raw sockets.
    signed_body: the body whose SHA-256 is signed."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method=method, url=server.url + path, headers=dict(headers or {}), data=signed_body)
    S3SigV4Auth(Credentials(ACCESS, SECRET), "s3", "us-east-1").add_auth(req)
    out = dict(req.headers.items())
    out["Host"] = f"127.0.0.1:{server.port}"
    return out


def raw_request(server, head, body=b"", read=True):
    """Sends bytes as they are; returns the status line and body."""
    import socket
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head + body)
        if not read:
            return ""
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace")


def sigv4_headers(server, method, path, headers, payload_hash, host=None):
    """A hand-made SigV4 signature (for aws-chunked, which botocore 1.29 sends only
    over HTTPS). Returns (headers, signing key, scope, amz date, signature)."""
    import datetime
    import hmac
    now = datetime.datetime.utcnow()
    amz_date, date = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    h = {k.lower(): v for k, v in headers.items()}
    h.update({"host": host or f"127.0.0.1:{server.port}", "x-amz-date": amz_date,
              "x-amz-content-sha256": payload_hash})
    names = sorted(h)
    canonical = "\n".join([method, path, "", "".join(f"{n}:{h[n]}\n" for n in names), ";".join(names),
                            payload_hash])
    scope = f"{date}/us-east-1/s3/aws4_request"
    key = b"AWS4" + SECRET.encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = (f"AWS4-HMAC-SHA256 Credential={ACCESS}/{scope}, SignedHeaders={';'.join(names)}, "
                          f"Signature={sig}")
    return h, key, scope, amz_date, sig


def aws_chunked(data, chunk, key, scope, amz_date, seed, tamper=False):
    """data framed as STREAMING-AWS4-HMAC-SHA256-PAYLOAD, each chunk signed."""
    import hmac
    out, prev = b"", seed
    empty = hashlib.sha256(b"").hexdigest()
    for piece in [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]:
        to_sign = (f"AWS4-HMAC-SHA256-PAYLOAD\n{amz_date}\n{scope}\n{prev}\n{empty}\n"
                   f"{hashlib.sha256(piece).hexdigest()}")
        prev = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        body = piece[:-1] + b"X" if tamper and piece else piece
        out += f"{len(piece):x};chunk-signature={prev}\r\n".encode() + body + b"\r\n"
    return out


def head_bytes(method, path, headers):
    lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()



def main():
    tmp = tempfile.mkdtemp(prefix="tessera-it-")
    server = Server(tmp).start()
    acked = {}  # (bucket, key) -> bytes that must survive kill -9
    try:
        s3 = client(server)
        # Bucket lifecycle and names.
        s3.create_bucket(Bucket="alpha")
        again = s3.create_bucket(Bucket="alpha")  # us-east-1: the owner re-creating gets 200
        check(again["ResponseMetadata"]["HTTPStatusCode"] == 200, "create twice by the owner in us-east-1: 200")
        for bad in ("192.168.5.4", "xn--bucket", "sthree-x", "amzn-s3-demo-x", "b-s3alias", "b--ol-s3", "a.-b",
                    "a-.b"):
            expect_error("InvalidBucketName", lambda: s3.create_bucket(Bucket=bad), f"bucket name {bad}")
        expect_error("BucketAlreadyExists", lambda: client(server, OTHER_ACCESS, OTHER_SECRET).create_bucket(
            Bucket="alpha"), "another user's name")
        expect_error("InvalidBucketName", lambda: s3.create_bucket(Bucket="Bad_Name"), "invalid bucket name")
        check([b["Name"] for b in s3.list_buckets()["Buckets"]] == ["alpha"], "list buckets")
        s3.head_bucket(Bucket="alpha")
        expect_error("AccessDenied", lambda: client(server, OTHER_ACCESS, OTHER_SECRET).list_objects_v2(
            Bucket="alpha"), "other user's bucket")
        expect_error("SignatureDoesNotMatch", lambda: client(server, ACCESS, "wrong").list_objects_v2(
            Bucket="alpha"), "wrong secret")
        expect_error("InvalidAccessKeyId", lambda: client(server, "NOSUCHKEY", SECRET).list_buckets(),
                     "unknown access key")

        # Objects: sizes across the inline threshold and stripes; metadata.
        for size in (0, 1, 4096, 4097, 9 << 20):
            data = body(size, f"o{size}")
            key = f"dir/obj-{size}"
            r = s3.put_object(Bucket="alpha", Key=key, Body=data, ContentType="text/x-test",
                              Metadata={"color": "blue"}, CacheControl="max-age=5")
            check(r["ETag"] == '"' + hashlib.md5(data).hexdigest() + '"', f"etag of {size} bytes")
            got = s3.get_object(Bucket="alpha", Key=key)
            check(got["Body"].read() == data, f"get {size} bytes")
            check(got["ContentType"] == "text/x-test" and got["Metadata"] == {"color": "blue"} and
                  got["CacheControl"] == "max-age=5", f"attributes of {size} bytes")
            acked[("alpha", key)] = data
        big = acked[("alpha", "dir/obj-9437184")]
        r = s3.get_object(Bucket="alpha", Key="dir/obj-9437184", Range="bytes=8388600-8388700")
        check(r["Body"].read() == big[8388600:8388701] and r["ContentRange"] == f"bytes 8388600-8388700/{len(big)}",
              "range across stripes")
        check(s3.get_object(Bucket="alpha", Key="dir/obj-9437184", Range="bytes=-10")["Body"].read() == big[-10:],
              "suffix range")
        expect_error("InvalidRange", lambda: s3.get_object(Bucket="alpha", Key="dir/obj-1", Range="bytes=5-9"),
                     "unsatisfiable range")
        h = s3.head_object(Bucket="alpha", Key="dir/obj-4097")
        check(h["ContentLength"] == 4097, "head length")
        expect_error("404", lambda: s3.head_object(Bucket="alpha", Key="missing"), "head missing")
        expect_error("NoSuchKey", lambda: s3.get_object(Bucket="alpha", Key="missing"), "get missing")
        expect_error("NoSuchBucket", lambda: s3.get_object(Bucket="nobucket", Key="x"), "get from missing bucket")
        etag = h["ETag"]
        expect_error("PreconditionFailed", lambda: s3.get_object(Bucket="alpha", Key="dir/obj-4097",
                                                                 IfMatch='"nope"'), "If-Match")
        expect_error("304", lambda: s3.get_object(Bucket="alpha", Key="dir/obj-4097", IfNoneMatch=etag),
                     "If-None-Match")
        r = s3.get_object(Bucket="alpha", Key="dir/obj-1", ResponseContentType="x/override")
        check(r["ContentType"] == "x/override", "response-content-type override")
        # Odd keys.
        for key in ("sp ace", "pl+us", "per%cent", "a//b", "../dots", "ünï/cödé", "q?x=1&y"):
            s3.put_object(Bucket="alpha", Key=key, Body=key.encode())
            check(s3.get_object(Bucket="alpha", Key=key)["Body"].read() == key.encode(), f"odd key {key!r}")
            acked[("alpha", key)] = key.encode()
        # Copy.
        s3.copy_object(Bucket="alpha", Key="copy", CopySource={"Bucket": "alpha", "Key": "dir/obj-9437184"})
        check(s3.get_object(Bucket="alpha", Key="copy")["Body"].read() == big, "copy object")
        acked[("alpha", "copy")] = big

        # Listing: delimiter and pagination (v1 and v2).
        for i in range(25):
            s3.put_object(Bucket="alpha", Key=f"page/{i:03d}", Body=b"x")
            acked[("alpha", f"page/{i:03d}")] = b"x"
        r = s3.list_objects_v2(Bucket="alpha", Delimiter="/")
        prefixes = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
        check("dir/" in prefixes and "page/" in prefixes and "a/" in prefixes, f"common prefixes {prefixes}")
        keys = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="alpha", Prefix="page/",
                                                                  PaginationConfig={"PageSize": 7}):
            keys += [o["Key"] for o in page.get("Contents", [])]
        check(keys == [f"page/{i:03d}" for i in range(25)], "v2 pagination")
        keys = []
        for page in s3.get_paginator("list_objects").paginate(Bucket="alpha", Prefix="page/",
                                                               PaginationConfig={"PageSize": 10}):
            keys += [o["Key"] for o in page.get("Contents", [])]
        check(keys == [f"page/{i:03d}" for i in range(25)], "v1 pagination")
        r = s3.list_objects_v2(Bucket="alpha", Prefix="sp", EncodingType="url")
        # Asked for explicitly, botocore leaves the keys encoded.
        check([o["Key"] for o in r["Contents"]] == ["sp%20ace"], "encoding-type=url")

        # Garbage collection: an overwritten object's fragments leave the disks.
        def blobs():
            d = os.path.join(tmp, "d")
            return sum(len(os.listdir(os.path.join(d, x))) for x in os.listdir(d) if x.startswith("disk"))
        s3.put_object(Bucket="alpha", Key="gc", Body=body(20 << 20, "gc1"))
        before = blobs()
        s3.put_object(Bucket="alpha", Key="gc", Body=body(20 << 20, "gc2"))
        check(blobs() > before, "overwrite adds fragments")
        deadline = time.time() + 15
        while blobs() > before and time.time() < deadline:
            time.sleep(0.5)
        check(blobs() == before, "the overwritten object's fragments are collected")
        check(s3.get_object(Bucket="alpha", Key="gc")["Body"].read() == body(20 << 20, "gc2"), "gc kept the live one")
        acked[("alpha", "gc")] = body(20 << 20, "gc2")
        # Multi-delete.
        r = s3.delete_objects(Bucket="alpha", Delete={"Objects": [{"Key": "page/000"}, {"Key": "page/001"}]})
        check(len(r["Deleted"]) == 2, "delete objects")
        for k in ("page/000", "page/001"):
            acked.pop(("alpha", k))
        expect_error("BucketNotEmpty", lambda: s3.delete_bucket(Bucket="alpha"), "delete non-empty bucket")

        # Versioning.
        s3.create_bucket(Bucket="versions")
        s3.put_bucket_versioning(Bucket="versions", VersioningConfiguration={"Status": "Enabled"})
        check(s3.get_bucket_versioning(Bucket="versions")["Status"] == "Enabled", "versioning enabled")
        v1 = s3.put_object(Bucket="versions", Key="k", Body=b"one")["VersionId"]
        v2 = s3.put_object(Bucket="versions", Key="k", Body=b"two")["VersionId"]
        check(s3.get_object(Bucket="versions", Key="k", VersionId=v1)["Body"].read() == b"one", "get old version")
        d = s3.delete_object(Bucket="versions", Key="k")
        check(d.get("DeleteMarker") is True, "delete marker")
        expect_error("NoSuchKey", lambda: s3.get_object(Bucket="versions", Key="k"), "deleted key")
        lv = s3.list_object_versions(Bucket="versions")
        check([v["VersionId"] for v in lv["Versions"]] == [v2, v1] and len(lv["DeleteMarkers"]) == 1,
              "list object versions")
        s3.delete_object(Bucket="versions", Key="k", VersionId=d["VersionId"])
        check(s3.get_object(Bucket="versions", Key="k")["Body"].read() == b"two", "undelete by removing marker")
        acked[("versions", "k")] = b"two"

        # Multipart with boto3: parts out of order, a re-upload, errors, abort.
        mp = s3.create_multipart_upload(Bucket="alpha", Key="mp", Metadata={"m": "1"})
        uid = mp["UploadId"]
        p1, p2 = body(5 << 20, "p1"), body(1234, "p2")
        e2 = s3.upload_part(Bucket="alpha", Key="mp", UploadId=uid, PartNumber=2, Body=p2)["ETag"]
        s3.upload_part(Bucket="alpha", Key="mp", UploadId=uid, PartNumber=1, Body=b"replaced soon")
        e1 = s3.upload_part(Bucket="alpha", Key="mp", UploadId=uid, PartNumber=1, Body=p1)["ETag"]
        check([p["PartNumber"] for p in s3.list_parts(Bucket="alpha", Key="mp", UploadId=uid)["Parts"]] == [1, 2],
              "list parts")
        check(any(u["UploadId"] == uid for u in s3.list_multipart_uploads(Bucket="alpha")["Uploads"]),
              "list uploads")
        expect_error("InvalidPartOrder", lambda: s3.complete_multipart_upload(
            Bucket="alpha", Key="mp", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}]}), "part order")
        expect_error("InvalidPart", lambda: s3.complete_multipart_upload(
            Bucket="alpha", Key="mp", UploadId=uid,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e2}]}), "wrong part etag")
        expect_error("NoSuchKey", lambda: s3.get_object(Bucket="alpha", Key="mp"), "nothing visible before complete")
        r = s3.complete_multipart_upload(Bucket="alpha", Key="mp", UploadId=uid, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
        md5s = hashlib.md5(bytes.fromhex(e1.strip('"')) + bytes.fromhex(e2.strip('"'))).hexdigest()
        check(r["ETag"] == f'"{md5s}-2"', "multipart etag")
        got = s3.get_object(Bucket="alpha", Key="mp")
        check(got["Body"].read() == p1 + p2 and got["Metadata"] == {"m": "1"}, "multipart object")
        check(s3.get_object(Bucket="alpha", Key="mp", PartNumber=2)["Body"].read() == p2, "get by partNumber")
        acked[("alpha", "mp")] = p1 + p2
        expect_error("NoSuchUpload", lambda: s3.upload_part(Bucket="alpha", Key="mp", UploadId=uid, PartNumber=3,
                                                             Body=b"x"), "part for completed upload")
        small = s3.create_multipart_upload(Bucket="alpha", Key="small")["UploadId"]
        a = s3.upload_part(Bucket="alpha", Key="small", UploadId=small, PartNumber=1, Body=b"tiny")["ETag"]
        b = s3.upload_part(Bucket="alpha", Key="small", UploadId=small, PartNumber=2, Body=b"tiny")["ETag"]
        expect_error("EntityTooSmall", lambda: s3.complete_multipart_upload(
            Bucket="alpha", Key="small", UploadId=small,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": a}, {"PartNumber": 2, "ETag": b}]}), "small part")
        s3.abort_multipart_upload(Bucket="alpha", Key="small", UploadId=small)
        expect_error("NoSuchUpload", lambda: s3.list_parts(Bucket="alpha", Key="small", UploadId=small),
                     "aborted upload")

        # Presigned GET and PUT; an expired one is refused; anonymous is refused.
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "alpha", "Key": "dir/obj-4096"}, ExpiresIn=60)
        check(urllib.request.urlopen(url).read() == acked[("alpha", "dir/obj-4096")], "presigned GET")
        url = s3.generate_presigned_url("put_object", Params={"Bucket": "alpha", "Key": "presigned"}, ExpiresIn=60)
        req = urllib.request.Request(url, data=b"via presigned put", method="PUT")
        check(urllib.request.urlopen(req).status == 200, "presigned PUT")
        check(s3.get_object(Bucket="alpha", Key="presigned")["Body"].read() == b"via presigned put",
              "presigned PUT stored")
        acked[("alpha", "presigned")] = b"via presigned put"
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "alpha", "Key": "presigned"}, ExpiresIn=1)
        time.sleep(2.1)
        try:
            urllib.request.urlopen(url)
            check(False, "expired presigned URL refused")
        except urllib.error.HTTPError as e:
            check(e.code == 403 and b"expired" in e.read(), "expired presigned URL refused")
        try:
            urllib.request.urlopen(f"{server.url}/alpha/presigned")
            check(False, "anonymous GET refused")
        except urllib.error.HTTPError as e:
            check(e.code == 403, "anonymous GET refused")
        s3.create_bucket(Bucket="public", ACL="public-read")
        s3.put_object(Bucket="public", Key="p", Body=b"for all", ACL="public-read")
        check(urllib.request.urlopen(f"{server.url}/public/p").read() == b"for all", "public-read anonymous GET")
        s3.put_object(Bucket="public", Key="mine", Body=b"not for all")
        try:
            urllib.request.urlopen(f"{server.url}/public/mine")
            check(False, "an object without ACL in a public-read bucket is private")
        except urllib.error.HTTPError as e:
            check(e.code == 403, "an object without ACL in a public-read bucket is private")
        acked[("public", "mine")] = b"not for all"
        s3.put_object(Bucket="alpha", Key="shared", Body=b"one public object", ACL="public-read")
        check(urllib.request.urlopen(f"{server.url}/alpha/shared").read() == b"one public object",
              "public-read object in a private bucket: anonymous GET")
        acked[("alpha", "shared")] = b"one public object"
        grants = s3.get_bucket_acl(Bucket="public")["Grants"]
        check(sorted(g["Permission"] for g in grants) == ["FULL_CONTROL", "READ"], "public-read bucket ACL")
        check([g["Permission"] for g in s3.get_object_acl(Bucket="alpha", Key="presigned")["Grants"]] ==
              ["FULL_CONTROL"], "private object ACL")
        acked[("public", "p")] = b"for all"

        # Bad input: wrong Content-MD5, malformed XML; the server keeps serving.
        expect_error("BadDigest", lambda: s3.put_object(Bucket="alpha", Key="bad", Body=b"abc",
                                                        ContentMD5="1B2M2Y8AsgTpgAmY7PhCfg=="), "Content-MD5 mismatch")
        expect_error("NoSuchKey", lambda: s3.get_object(Bucket="alpha", Key="bad"), "bad digest left nothing")
        req = urllib.request.Request(f"{server.url}/alpha", method="GET")
        try:
            urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            check(e.code == 403, "unsigned listing refused")
        # Control: the same raw PUT with its whole body is stored.
        h = signed(server, "PUT", "/alpha/raw", {"Content-Length": "100000"}, b"x" * 100000)
        r = raw_request(server, head_bytes("PUT", "/alpha/raw", h), b"x" * 100000)
        check(" 200 " in r.split("\r\n")[0], "raw signed PUT")
        check(s3.get_object(Bucket="alpha", Key="raw")["Body"].read() == b"x" * 100000, "raw PUT stored")
        acked[("alpha", "raw")] = b"x" * 100000
        # A client that disconnects mid-PUT leaves nothing visible.
        h = signed(server, "PUT", "/alpha/truncated", {"Content-Length": "10000000"}, b"x" * 10000000)
        raw_request(server, head_bytes("PUT", "/alpha/truncated", h), b"x" * 100000, read=False)
        time.sleep(0.3)
        expect_error("NoSuchKey", lambda: s3.get_object(Bucket="alpha", Key="truncated"), "truncated PUT invisible")
        # PUT without Content-Length.
        h = signed(server, "PUT", "/alpha/nolength")
        r = raw_request(server, head_bytes("PUT", "/alpha/nolength", h))
        check(" 411 " in r.split("\r\n")[0] and "MissingContentLength" in r, "missing Content-Length: 411")
        # A header section over 16 KiB.
        h = signed(server, "GET", "/alpha", {"X-Big": "y" * 20000})
        r = raw_request(server, head_bytes("GET", "/alpha", h))
        check(" 400 " in r.split("\r\n")[0] and "RequestHeaderSectionTooLarge" in r, "oversized header: 400")
        # Garbage instead of HTTP.
        r = raw_request(server, b"\x00\x01garbage\r\n\r\n")
        check(" 400 " in r.split("\r\n")[0], "garbage request: 400")
        # Malformed XML in a multipart completion.
        uid = s3.create_multipart_upload(Bucket="alpha", Key="xml")["UploadId"]
        payload = b"<CompleteMultipartUpload><Part><PartNumber>1</Part>"
        h = signed(server, "POST", f"/alpha/xml?uploadId={uid}", {"Content-Length": str(len(payload))}, payload)
        r = raw_request(server, head_bytes("POST", f"/alpha/xml?uploadId={uid}", h), payload)
        check(" 400 " in r.split("\r\n")[0] and "MalformedXML" in r, "malformed XML: 400 MalformedXML")
        # A body that does not match its signed SHA-256.
        payload = b"what was signed"
        h = signed(server, "PUT", "/alpha/sha", {"Content-Length": str(len(payload))}, b"something else")
        r = raw_request(server, head_bytes("PUT", "/alpha/sha", h), payload)
        check("XAmzContentSHA256Mismatch" in r, "x-amz-content-sha256 mismatch")
        expect_error("NoSuchKey", lambda: s3.get_object(Bucket="alpha", Key="sha"), "mismatched body invisible")
        # Additional checksums: verified on PUT, returned with checksum mode.
        for algorithm in ("CRC32", "CRC32C", "SHA1", "SHA256"):
            r = s3.put_object(Bucket="alpha", Key=f"sum-{algorithm}", Body=b"checked bytes",
                              ChecksumAlgorithm=algorithm)
            got = s3.head_object(Bucket="alpha", Key=f"sum-{algorithm}", ChecksumMode="ENABLED")
            check(got.get(f"Checksum{algorithm}") == r.get(f"Checksum{algorithm}") is not None,
                  f"x-amz-checksum-{algorithm.lower()} stored and returned")
            acked[("alpha", f"sum-{algorithm}")] = b"checked bytes"
        expect_error("BadDigest", lambda: s3.put_object(Bucket="alpha", Key="badsum", Body=b"abc",
                                                        ChecksumCRC32="AAAAAA=="), "wrong x-amz-checksum-crc32")
        expect_error("NoSuchKey", lambda: s3.get_object(Bucket="alpha", Key="badsum"), "bad checksum left nothing")
        # aws-chunked bodies: signed chunks, and unsigned chunks with a CRC32 trailer.
        payload = body(200000, "chunked")
        h, key, scope, amz_date, seed = sigv4_headers(
            server, "PUT", "/alpha/chunked",
            {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(payload))},
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        framed = aws_chunked(payload, 65536, key, scope, amz_date, seed)
        h["content-length"] = str(len(framed))
        r = raw_request(server, head_bytes("PUT", "/alpha/chunked", h), framed)
        check(" 200 " in r.split("\r\n")[0], "aws-chunked signed PUT")
        got = s3.get_object(Bucket="alpha", Key="chunked")
        check(got["Body"].read() == payload and "ContentEncoding" not in got, "aws-chunked body decoded and stored")
        acked[("alpha", "chunked")] = payload
        h, key, scope, amz_date, seed = sigv4_headers(
            server, "PUT", "/alpha/chunked-bad",
            {"Content-Encoding": "aws-chunked", "x-amz-decoded-content-length": str(len(payload))},
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
        framed = aws_chunked(payload, 65536, key, scope, amz_date, seed, tamper=True)
        h["content-length"] = str(len(framed))
        r = raw_request(server, head_bytes("PUT", "/alpha/chunked-bad", h), framed)
        check("SignatureDoesNotMatch" in r, "aws-chunked tampered chunk refused")
        expect_error("NoSuchKey", lambda: s3.get_object(Bucket="alpha", Key="chunked-bad"), "tampered chunk invisible")
        import base64
        import zlib
        crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
        for good in (True, False):
            trailer = crc if good else "AAAAAA=="
            framed = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n"
                              for p in [payload[i:i + 50000] for i in range(0, len(payload), 50000)])
            framed += f"0\r\nx-amz-checksum-crc32:{trailer}\r\n\r\n".encode()
            k = "trailer-good" if good else "trailer-bad"
            h, *_ = sigv4_headers(server, "PUT", f"/alpha/{k}",
                                  {"Content-Encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32",
                                   "x-amz-decoded-content-length": str(len(payload)),
                                   "content-length": str(len(framed))}, "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            r = raw_request(server, head_bytes("PUT", f"/alpha/{k}", h), framed)
            if good:
                check(" 200 " in r.split("\r\n")[0] and
                      s3.get_object(Bucket="alpha", Key=k)["Body"].read() == payload, "aws-chunked trailer CRC32")
                check(s3.head_object(Bucket="alpha", Key=k, ChecksumMode="ENABLED").get("ChecksumCRC32") == crc,
                      "the trailer's CRC32 is stored and returned with checksum mode")
                acked[("alpha", k)] = payload
            else:
                check("BadDigest" in r, "aws-chunked wrong trailer CRC32 refused")
        # Virtual-hosted style: the bucket in the Host header.
        h, *_ = sigv4_headers(server, "GET", "/dir/obj-4096", {}, hashlib.sha256(b"").hexdigest(),
                              host=f"alpha.localhost:{server.port}")
        r = raw_request(server, head_bytes("GET", "/dir/obj-4096", h))
        check(" 200 " in r.split("\r\n")[0] and "Content-Length: 4096" in r, "virtual-hosted-style GET")
        # A key over 1024 bytes.
        expect_error("KeyTooLongError", lambda: s3.put_object(Bucket="alpha", Key="k" * 1025, Body=b"x"),
                     "key too long")
        check(urllib.request.urlopen(f"{server.url}/health").status == 200, "health")
        metrics = urllib.request.urlopen(f"{server.url}/metrics").read().decode()
        check('tessera_s3_requests_total{op="PutObject",status="200"}' in metrics, "metrics")

        # The aws CLI: a 100 MiB cp (multipart), sync of a folder, s3api calls.
        src = os.path.join(tmp, "hundred.bin")
        with open(src, "wb") as f:
            f.write(body(100 << 20, "hundred"))
        check(aws(server, "s3", "cp", src, "s3://alpha/hundred.bin").returncode == 0, "aws s3 cp 100 MiB up")
        dst = os.path.join(tmp, "hundred.out")
        check(aws(server, "s3", "cp", "s3://alpha/hundred.bin", dst).returncode == 0, "aws s3 cp 100 MiB down")
        check(open(dst, "rb").read() == open(src, "rb").read(), "aws s3 cp round trip byte-exact")
        head = s3.head_object(Bucket="alpha", Key="hundred.bin")
        check(head["ETag"].endswith('-13"') or "-" in head["ETag"], f"multipart ETag {head['ETag']}")
        acked[("alpha", "hundred.bin")] = open(src, "rb").read()
        r = aws(server, "s3api", "create-multipart-upload", "--bucket", "alpha", "--key", "cli-abort")
        upload_id = re.search(r'"UploadId": "([^"]+)"', r.stdout).group(1)
        check(aws(server, "s3api", "abort-multipart-upload", "--bucket", "alpha", "--key", "cli-abort",
                  "--upload-id", upload_id).returncode == 0, "aws s3api abort-multipart-upload")
        r = aws(server, "s3", "presign", "s3://alpha/dir/obj-1")
        check(urllib.request.urlopen(r.stdout.strip()).read() == acked[("alpha", "dir/obj-1")], "aws s3 presign")
        r = aws(server, "s3api", "list-object-versions", "--bucket", "versions")
        check(r.returncode == 0 and v1 in r.stdout, "aws s3api list-object-versions")

        # s3cmd.
        cfg = os.path.join(tmp, "s3cfg")
        with open(cfg, "w") as f:
            f.write(f"[default]\naccess_key = {ACCESS}\nsecret_key = {SECRET}\nhost_base = 127.0.0.1:{server.port}\n"
                    f"host_bucket = 127.0.0.1:{server.port}\nuse_https = False\n")
        s3cmd = ["s3cmd", "-c", cfg, "--no-progress"]
        check(subprocess.run(s3cmd + ["put", src, "s3://alpha/s3cmd.bin"], capture_output=True).returncode == 0,
              "s3cmd put (multipart)")
        out = os.path.join(tmp, "s3cmd.out")
        check(subprocess.run(s3cmd + ["get", "--force", "s3://alpha/s3cmd.bin", out],
                             capture_output=True).returncode == 0, "s3cmd get")
        check(open(out, "rb").read() == open(src, "rb").read(), "s3cmd round trip byte-exact")
        acked[("alpha", "s3cmd.bin")] = open(src, "rb").read()
        ls = subprocess.run(s3cmd + ["ls", "s3://alpha/dir/"], capture_output=True, text=True).stdout
        check("s3://alpha/dir/obj-4096" in ls, "s3cmd ls")

        # kill -9, restart: every acknowledged object reads back byte-exact.
        server.kill9()
        server = Server(tmp).start()
        s3 = client(server)
        bad = [k for k, v in acked.items() if s3.get_object(Bucket=k[0], Key=k[1])["Body"].read() != v]
        check(not bad, f"after kill -9 and restart, {len(acked)} objects read back ({bad[:3]})")
        # A flood of unauthenticated requests is slowed down; health still answers.
        codes = []
        for _ in range(520):
            try:
                urllib.request.urlopen(f"{server.url}/")
            except urllib.error.HTTPError as e:
                codes.append(e.code)
        check(codes.count(403) == 500 and codes.count(503) == 20, "malformed-request flood throttled")
        check(urllib.request.urlopen(f"{server.url}/health").status == 200, "health during throttling")
        rc = server.stop()
        check(rc == 0, "graceful shutdown on SIGTERM")
    finally:
        if server.proc and server.proc.poll() is None:
            server.proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
