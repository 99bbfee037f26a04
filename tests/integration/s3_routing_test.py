#!/usr/bin/python3
"""No request may run an operation it did not name (a real tessera-server).

1. Every sub-resource of the S3 API reference, with every method, on a bucket
   and on an object: an implemented operation, or 501 NotImplemented with the
   whole state (buckets, their versioning and ACLs, every version's ETag, size
   and ACL, uploads in progress, every object's bytes) unchanged.
2. Canned ACLs: PutObjectAcl / PutBucketAcl through Debian's aws-cli 2.9, the
   image's current aws-cli (when on PATH) and s3cmd; an object's own ACL decides
   anonymous reads; grants beyond the canned shapes are 501 and change nothing.
3. Tagging calls that used to destroy objects work and leave the bytes;
   object-lock calls are refused and leave them too.

Usage: s3_routing_test.py PATH/TO/tessera-server
"""
import hashlib
import http.client
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import boto3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3test_util import check, current_aws, exit_status, running_server  # noqa: E402

ACCESS, SECRET = "ROUTEACCESSKEY000001", "routesecretkey00000000000000000000000001"

# Query parameters that select an operation, from the S3 API reference
# (kept apart from the server's own table, so a name it lacks is caught).
SUBRESOURCES = [
    "accelerate", "acl", "analytics", "attributes", "cors", "delete", "encryption", "intelligent-tiering",
    "inventory", "legal-hold", "lifecycle", "location", "logging", "metadataConfiguration",
    "metadataInventoryTable", "metadataJournalTable", "metadataTable", "metrics", "notification", "object-lock",
    "ownershipControls", "policy", "policyStatus", "publicAccessBlock", "renameObject", "replication",
    "requestPayment", "restore", "retention", "select", "session", "tagging", "torrent", "uploadId", "uploads",
    "versioning", "versions", "website", "abac", "mfa-delete", "notAnyThing",
]
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]
# (method, target, sub-resource) this server implements; all else must be 501.
IMPLEMENTED = {
    ("GET", "bucket", "location"), ("GET", "bucket", "versioning"), ("PUT", "bucket", "versioning"),
    ("GET", "bucket", "acl"), ("PUT", "bucket", "acl"), ("GET", "bucket", "versions"),
    ("GET", "bucket", "uploads"), ("POST", "bucket", "delete"), ("GET", "object", "acl"),
    ("PUT", "object", "acl"), ("POST", "object", "uploads"), ("PUT", "object", "uploadId"),
    ("POST", "object", "uploadId"), ("DELETE", "object", "uploadId"), ("GET", "object", "uploadId"),
    ("GET", "bucket", "tagging"), ("PUT", "bucket", "tagging"), ("DELETE", "bucket", "tagging"),
    ("GET", "object", "tagging"), ("PUT", "object", "tagging"), ("DELETE", "object", "tagging"),
    ("GET", "object", "attributes"),
}
# A body that any operation reading one would store or apply if it fell through.
BODY = b"<Tagging><TagSet><Tag><Key>a</Key><Value>b</Value></Tag></TagSet></Tagging>"


def send(port, method, path, body=b"", headers=None, sign=True):
    """One request, signed by botocore's SigV4 signer; returns (status, body)."""
    url = f"http://127.0.0.1:{port}{path}"
    h = dict(headers or {})
    if sign:
        req = AWSRequest(method=method, url=url, headers=h, data=body)
        S3SigV4Auth(Credentials(ACCESS, SECRET), "s3", "us-east-1").add_auth(req)
        h = dict(req.headers.items())
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body if body else None, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def grants(acl):
    return sorted((g["Grantee"].get("ID") or g["Grantee"].get("URI"), g["Permission"]) for g in acl["Grants"])


def snapshot(s3):
    """Everything a request could change, as comparable values."""
    state = {"buckets": sorted(b["Name"] for b in s3.list_buckets()["Buckets"])}
    for b in state["buckets"]:
        state[f"{b} versioning"] = s3.get_bucket_versioning(Bucket=b).get("Status")
        state[f"{b} acl"] = grants(s3.get_bucket_acl(Bucket=b))
        vs = s3.list_object_versions(Bucket=b)
        versions = sorted((v["Key"], v["VersionId"], v["ETag"], v["Size"], v["IsLatest"])
                          for v in vs.get("Versions", []))
        state[f"{b} versions"] = versions
        state[f"{b} markers"] = sorted((d["Key"], d["VersionId"], d["IsLatest"])
                                       for d in vs.get("DeleteMarkers", []))
        for key, vid, *_ in versions:
            state[f"{b}/{key}@{vid} acl"] = grants(s3.get_object_acl(Bucket=b, Key=key, VersionId=vid))
            state[f"{b}/{key}@{vid} tags"] = s3.get_object_tagging(Bucket=b, Key=key, VersionId=vid)["TagSet"]
        try:
            state[f"{b} tags"] = s3.get_bucket_tagging(Bucket=b)["TagSet"]
        except s3.exceptions.ClientError as e:
            state[f"{b} tags"] = e.response["Error"]["Code"]
        state[f"{b} uploads"] = sorted((u["Key"], u["UploadId"])
                                       for u in s3.list_multipart_uploads(Bucket=b).get("Uploads", []))
    return state


def object_bytes(s3, bucket, key):
    return hashlib.sha256(s3.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()


def enumerate_subresources(port, s3):
    """Part 1: implemented, or 501 and nothing changed. The state is compared
    after each (sub-resource, target) group of refused requests, and around
    every implemented one (which may change state, in its own way)."""
    before_bytes = {k: object_bytes(s3, "routes", k) for k in ("obj", "dir/nested")}
    state = snapshot(s3)
    refused, pending = 0, []

    def verify():
        nonlocal state, pending
        if not pending:
            return
        after = snapshot(s3)
        if after != state:
            changed = sorted(k for k in set(after) | set(state) if after.get(k) != state.get(k))
            check(False, f"one of {pending} changed {changed}")
        state, pending = after, []

    for sub in SUBRESOURCES:
        for target, path in (("bucket", "/routes"), ("object", "/routes/obj")):
            for method in METHODS:
                for query in (sub, f"{sub}=x"):
                    what = f"{method} {path}?{query}"
                    if (method, target, sub) in IMPLEMENTED:
                        verify()
                        status, _ = send(port, method, f"{path}?{query}", BODY if method in ("PUT", "POST") else b"")
                        check(status != 501, f"{what}: implemented ({status})")
                        state = snapshot(s3)
                        continue
                    status, data = send(port, method, f"{path}?{query}", BODY if method in ("PUT", "POST") else b"")
                    refused += 1
                    pending.append(what)
                    if status != 501 or (method != "HEAD" and b"<Code>NotImplemented</Code>" not in data):
                        check(False, f"{what}: status {status}, not 501 NotImplemented")
            verify()
    after_bytes = {k: object_bytes(s3, "routes", k) for k in ("obj", "dir/nested")}
    check(before_bytes == after_bytes, "every object's bytes unchanged after the enumeration")
    check(refused > 700, f"{refused} refused requests sent, each 501 with the state unchanged")


def aws_cli(binary, port, *args):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    return subprocess.run([binary, "--endpoint-url", f"http://127.0.0.1:{port}", *args], capture_output=True,
                          text=True, env=env)


def anonymous_status(port, path):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}").status
    except urllib.error.HTTPError as e:
        return e.code


def acls_and_tagging(port, s3, binary, tag):
    """Parts 2 and 3 with one aws CLI."""
    key = "acl-" + tag.replace(" ", "-")
    payload = os.urandom(300000)
    s3.put_object(Bucket="routes", Key=key, Body=payload)
    digest = hashlib.sha256(payload).hexdigest()

    def same_bytes(what):
        check(object_bytes(s3, "routes", key) == digest, f"{tag}: {what} left the object's bytes")

    r = aws_cli(binary, port, "s3api", "put-object-acl", "--bucket", "routes", "--key", key, "--acl", "private")
    check(r.returncode == 0, f"{tag}: put-object-acl --acl private ({r.stderr.strip()[:200]})")
    same_bytes("put-object-acl")
    check(anonymous_status(port, f"/routes/{key}") == 403, f"{tag}: private object refused anonymously")
    r = aws_cli(binary, port, "s3api", "put-object-acl", "--bucket", "routes", "--key", key, "--acl", "public-read")
    check(r.returncode == 0, f"{tag}: put-object-acl --acl public-read")
    check(anonymous_status(port, f"/routes/{key}") == 200, f"{tag}: public-read object read anonymously")
    r = aws_cli(binary, port, "s3api", "get-object-acl", "--bucket", "routes", "--key", key)
    check(r.returncode == 0 and "AllUsers" in r.stdout and "FULL_CONTROL" in r.stdout,
          f"{tag}: get-object-acl shows owner FULL_CONTROL and AllUsers READ")
    r = aws_cli(binary, port, "s3api", "put-object-acl", "--bucket", "routes", "--key", key, "--grant-write",
                "id=someone-else")
    check(r.returncode != 0 and "NotImplemented" in r.stderr, f"{tag}: --grant-write refused with NotImplemented")
    check(anonymous_status(port, f"/routes/{key}") == 200, f"{tag}: a refused grant changed nothing")
    r = aws_cli(binary, port, "s3api", "put-object-acl", "--bucket", "routes", "--key", key, "--acl",
                "authenticated-read")
    check(r.returncode != 0 and "NotImplemented" in r.stderr, f"{tag}: canned authenticated-read refused (501)")
    r = aws_cli(binary, port, "s3api", "put-object-tagging", "--bucket", "routes", "--key", key, "--tagging",
                "TagSet=[{Key=team,Value=storage},{Key=tier,Value=gold}]")
    check(r.returncode == 0, f"{tag}: put-object-tagging ({r.stderr.strip()[:200]})")
    same_bytes("put-object-tagging")
    r = aws_cli(binary, port, "s3api", "get-object-tagging", "--bucket", "routes", "--key", key)
    check(r.returncode == 0 and '"storage"' in r.stdout and '"gold"' in r.stdout,
          f"{tag}: get-object-tagging shows both tags")
    r = aws_cli(binary, port, "s3api", "get-object", "--bucket", "routes", "--key", key, "/dev/null")
    check(r.returncode == 0 and '"TagCount": 2' in r.stdout, f"{tag}: get-object counts the tags")
    r = aws_cli(binary, port, "s3api", "delete-object-tagging", "--bucket", "routes", "--key", key)
    check(r.returncode == 0, f"{tag}: delete-object-tagging")
    same_bytes("delete-object-tagging")
    r = aws_cli(binary, port, "s3api", "get-object-tagging", "--bucket", "routes", "--key", key)
    check(r.returncode == 0 and "storage" not in r.stdout, f"{tag}: no tags after delete-object-tagging")
    r = aws_cli(binary, port, "s3api", "put-object-retention", "--bucket", "routes", "--key", key, "--retention",
                "Mode=GOVERNANCE,RetainUntilDate=2030-01-01T00:00:00Z")
    check(r.returncode != 0 and "NotImplemented" in r.stderr, f"{tag}: put-object-retention answers NotImplemented")
    same_bytes("put-object-retention")
    r = aws_cli(binary, port, "s3api", "put-bucket-acl", "--bucket", "routes", "--acl", "public-read")
    check(r.returncode == 0, f"{tag}: put-bucket-acl --acl public-read")
    check(anonymous_status(port, "/routes") == 200, f"{tag}: public-read bucket listed anonymously")
    r = aws_cli(binary, port, "s3api", "put-bucket-acl", "--bucket", "routes", "--acl", "private")
    check(r.returncode == 0 and anonymous_status(port, "/routes") == 403, f"{tag}: put-bucket-acl --acl private")


def acl_rules(port, s3):
    """An object's own ACL decides anonymous reads, whatever its bucket's."""
    s3.create_bucket(Bucket="open", ACL="public-read")
    s3.put_object(Bucket="open", Key="secret", Body=b"private in a public bucket", ACL="private")
    s3.put_object(Bucket="open", Key="plain", Body=b"no ACL given")
    s3.put_object(Bucket="open", Key="shown", Body=b"public", ACL="public-read")
    check(anonymous_status(port, "/open/secret") == 403, "private object in a public-read bucket: 403")
    check(anonymous_status(port, "/open/plain") == 403, "object without ACL in a public-read bucket: private")
    check(anonymous_status(port, "/open/shown") == 200, "public-read object: anonymous GET")
    status, _ = send(port, "HEAD", "/open/shown", sign=False)
    check(status == 200, "public-read object: anonymous HEAD")
    status, _ = send(port, "HEAD", "/open/secret", sign=False)
    check(status == 403, "private object: anonymous HEAD refused")
    check(anonymous_status(port, "/open") == 200, "public-read bucket: anonymous listing")
    status, _ = send(port, "PUT", "/open/anon", b"x", sign=False)
    check(status == 403, "public-read bucket: anonymous PUT refused")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "open", "Key": "secret"}, ExpiresIn=60)
    check(urllib.request.urlopen(url).read() == b"private in a public bucket", "presigned GET of a private object")
    # s3cmd sets ACLs with a grant-list body.
    cfg = os.path.join(tempfile.mkdtemp(prefix="s3cfg-"), "cfg")
    with open(cfg, "w") as f:
        f.write(f"[default]\naccess_key = {ACCESS}\nsecret_key = {SECRET}\nhost_base = 127.0.0.1:{port}\n"
                f"host_bucket = 127.0.0.1:{port}\nuse_https = False\n")
    r = subprocess.run(["s3cmd", "-c", cfg, "setacl", "--acl-public", "s3://open/secret"], capture_output=True,
                       text=True)
    check(r.returncode == 0 and anonymous_status(port, "/open/secret") == 200,
          f"s3cmd setacl --acl-public ({r.stderr.strip()[:200]})")
    r = subprocess.run(["s3cmd", "-c", cfg, "setacl", "--acl-private", "s3://open/secret"], capture_output=True,
                       text=True)
    check(r.returncode == 0 and anonymous_status(port, "/open/secret") == 403, "s3cmd setacl --acl-private")
    check(s3.get_object(Bucket="open", Key="secret")["Body"].read() == b"private in a public bucket",
          "ACL changes left the bytes")


def main():
    with running_server(sys.argv[1], {ACCESS: SECRET}) as server:
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{server.port}", aws_access_key_id=ACCESS,
                          aws_secret_access_key=SECRET, region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                        retries={"max_attempts": 1}))
        s3.create_bucket(Bucket="routes")
        s3.put_object(Bucket="routes", Key="obj", Body=b"the object's bytes" * 1000)
        s3.put_object(Bucket="routes", Key="dir/nested", Body=b"nested")
        enumerate_subresources(server.port, s3)
        acls_and_tagging(server.port, s3, "/usr/bin/aws", "aws-cli 2.9")
        current = current_aws()
        if current:
            acls_and_tagging(server.port, s3, current, "current aws-cli")
        else:
            print("note: no current aws-cli on PATH besides Debian's; checked with aws-cli 2.9 only")
        acl_rules(server.port, s3)
        log = server.stop_and_log()
        lines = [line for line in log.splitlines() if '"status":501' in line]
        routed_away = [line for line in lines if '"op":"NotImplemented"' in line]
        check(len(routed_away) > 700 and all('"level":"info"' in line for line in lines),
              f"{len(lines)} 501s logged at info, {len(routed_away)} as NotImplemented")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
