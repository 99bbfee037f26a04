#!/usr/bin/python3
"""Signature Version 2, as the tools that still make it sign: `aws s3
presign` of aws-cli 1.x, boto3 with signature_version "s3" (header) and
"s3-query" (presigned URLs), under Debian's boto3 1.26 and the image's
current one, and s3cmd (--signature-v2, signurl). Wrong, expired and
unknown-key signatures are refused and change nothing.

Usage: sigv2_test.py PATH/TO/tessera-server
"""
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3test_util import check, current_aws, current_python, exit_status, running_server  # noqa: E402

ACCESS, SECRET = "SIGV2ACCESSKEY000001", "sigv2secretkey00000000000000000000000001"

# Runs under each python with boto3: header-signed and query-signed V2.
BOTO_V2 = r'''
import sys, urllib.request, urllib.error
import boto3
from botocore.config import Config
endpoint, access, secret, tag, generation = sys.argv[1:6]
def client(version):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access, aws_secret_access_key=secret,
                        region_name="us-east-1",
                        config=Config(signature_version=version, s3={"addressing_style": "path"}))
failures = 0
def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + f"{tag}: {what}", flush=True)
    failures += 0 if cond else 1
s3 = client("s3")
key = f"v2/{tag}/a b+c"
body = b"x" * 100000
s3.put_object(Bucket="sigv2", Key=key, Body=body, Metadata={"who": "v2"})
got = s3.get_object(Bucket="sigv2", Key=key)
check(got["Body"].read() == body and got["Metadata"] == {"who": "v2"}, "put_object/get_object, header-signed")
check(s3.get_object(Bucket="sigv2", Key=key, Range="bytes=10-19")["Body"].read() == body[10:20], "ranged get")
url = client("s3-query").generate_presigned_url("get_object", Params={"Bucket": "sigv2", "Key": key}, ExpiresIn=300)
check("AWSAccessKeyId=" in url and "Signature=" in url, "s3-query presigns V2")
check(urllib.request.urlopen(url).read() == body, "a V2 presigned GET")
try:
    urllib.request.urlopen(url.replace("Signature=", "Signature=A"))
    check(False, "a tampered V2 signature is refused")
except urllib.error.HTTPError as e:
    check(e.code == 403 and b"SignatureDoesNotMatch" in e.read(), "a tampered V2 signature is 403 SignatureDoesNotMatch")
put_url = client("s3-query").generate_presigned_url("put_object", Params={"Bucket": "sigv2", "Key": key + ".put"},
                                                    ExpiresIn=300)
# urllib would add a form Content-Type, which the URL did not sign.
req = urllib.request.Request(put_url, data=b"presigned", method="PUT", headers={"Content-Type": ""})
check(urllib.request.urlopen(req).status == 200, "a V2 presigned PUT")
check(s3.get_object(Bucket="sigv2", Key=key + ".put")["Body"].read() == b"presigned", "its bytes stored")
if generation == "debian":
    # botocore 1.26 signs path-style sub-resources twice ("/b/k?acl?acl")
    # and ListObjectsV2 as "/b?list-type=2": S3's own rules refuse those.
    sys.exit(1 if failures else 0)
listed = s3.list_objects_v2(Bucket="sigv2", Prefix=f"v2/{tag}/")
check([o["Key"] for o in listed.get("Contents", [])] == [key, key + ".put"], "list_objects_v2 of a bucket")
s3.put_object_tagging(Bucket="sigv2", Key=key, Tagging={"TagSet": [{"Key": "t", "Value": "1"}]})
check(s3.get_object_tagging(Bucket="sigv2", Key=key)["TagSet"] == [{"Key": "t", "Value": "1"}],
      "?tagging: the sub-resource is part of the signed resource")
up = s3.create_multipart_upload(Bucket="sigv2", Key=key + ".mp")
part = s3.upload_part(Bucket="sigv2", Key=key + ".mp", UploadId=up["UploadId"], PartNumber=1, Body=b"p" * 1000)
s3.complete_multipart_upload(Bucket="sigv2", Key=key + ".mp", UploadId=up["UploadId"],
                             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
check(s3.get_object(Bucket="sigv2", Key=key + ".mp")["Body"].read() == b"p" * 1000,
      "multipart upload (uploads, partNumber+uploadId signed)")
s3.delete_objects(Bucket="sigv2", Delete={"Objects": [{"Key": key + ".put"}]})
check(s3.list_objects_v2(Bucket="sigv2", Prefix=key + ".put").get("KeyCount") == 0, "delete_objects (?delete)")
sys.exit(1 if failures else 0)
'''


def http_status(url, method="GET", data=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method)) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def cli_env():
    return dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
                AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")


def check_boto(server):
    pythons = [("/usr/bin/python3", "debian")] + ([(current_python(), "current")] if current_python() else [])
    for python, generation in pythons:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        r = subprocess.run([python, "-c", BOTO_V2, server.url, ACCESS, SECRET, generation, generation],
                           capture_output=True, text=True, env=env)
        print(r.stdout + r.stderr[-2000:], flush=True)
        check(r.returncode == 0, f"boto3 SigV2 checks under {python}")


def check_aws_cli(server, key, body):
    for aws in ["/usr/bin/aws"] + ([current_aws()] if current_aws() else []):
        r = subprocess.run([aws, "--endpoint-url", server.url, "s3", "presign", f"s3://sigv2/{key}"],
                           capture_output=True, text=True, env=cli_env())
        url = r.stdout.strip()
        kind = "V2" if "AWSAccessKeyId=" in url else "V4"
        status, got = http_status(url) if url else (0, b"")
        check(status == 200 and got == body, f"aws s3 presign with {aws} ({kind}): {status} {r.stderr[-200:]}")


def check_s3cmd(server, tmp, key, body):
    cfg = os.path.join(tmp, "s3cfg")
    with open(cfg, "w") as f:
        f.write(f"[default]\naccess_key = {ACCESS}\nsecret_key = {SECRET}\nhost_base = 127.0.0.1:{server.port}\n"
                f"host_bucket = 127.0.0.1:{server.port}\nuse_https = False\nsignature_v2 = True\n")
    s3cmd = ["s3cmd", "-c", cfg, "--no-progress", "--signature-v2"]
    src, out = os.path.join(tmp, "src"), os.path.join(tmp, "out")
    with open(src, "wb") as f:
        f.write(body)
    r = subprocess.run(s3cmd + ["put", src, "s3://sigv2/s3cmd-v2"], capture_output=True, text=True)
    check(r.returncode == 0, f"s3cmd --signature-v2 put ({r.stderr[-300:]})")
    r = subprocess.run(s3cmd + ["get", "--force", "s3://sigv2/s3cmd-v2", out], capture_output=True, text=True)
    check(r.returncode == 0 and open(out, "rb").read() == body, "s3cmd --signature-v2 get, byte-exact")
    r = subprocess.run(s3cmd + ["signurl", f"s3://sigv2/{key}", "+300"], capture_output=True, text=True)
    url = r.stdout.strip()
    status, got = http_status(url) if url.startswith("http") else (0, b"")
    check(status == 200 and got == body, f"s3cmd signurl ({status} {url[:120]})")
    expired = subprocess.run(s3cmd + ["signurl", f"s3://sigv2/{key}", str(int(time.time()) - 60)],
                             capture_output=True, text=True).stdout.strip()
    status, got = http_status(expired) if expired.startswith("http") else (0, b"")
    check(status == 403 and b"expired" in got, f"an expired V2 URL is 403 ({status})")


def check_refusals(server, key):
    """Signatures that do not hold store nothing and say why."""
    url = f"{server.url}/sigv2/refused?AWSAccessKeyId={ACCESS}&Expires={int(time.time()) + 300}&Signature=AAAA"
    status, got = http_status(url, "PUT", b"nope")
    check(status == 403 and b"SignatureDoesNotMatch" in got, f"a PUT with a wrong V2 signature is 403 ({status})")
    url = f"{server.url}/sigv2/{key}?AWSAccessKeyId=NOSUCHKEY&Expires={int(time.time()) + 300}&Signature=AAAA"
    status, got = http_status(url)
    check(status == 403 and b"InvalidAccessKeyId" in got, f"an unknown V2 key is 403 InvalidAccessKeyId ({status})")
    req = urllib.request.Request(f"{server.url}/sigv2/refused", data=b"nope", method="PUT",
                                 headers={"Authorization": f"AWS {ACCESS}:AAAA", "Date": "Mon, 01 Jan 2001 00:00:00 GMT"})
    try:
        urllib.request.urlopen(req)
        status, got = 200, b""
    except urllib.error.HTTPError as e:
        status, got = e.code, e.read()
    check(status == 403 and b"RequestTimeTooSkewed" in got, f"a V2 header dated 2001 is RequestTimeTooSkewed ({status})")


def main():
    with running_server(sys.argv[1], {ACCESS: SECRET}) as server:
        subprocess.run(["/usr/bin/python3", "-c", f"""
import boto3
boto3.client("s3", endpoint_url="{server.url}", aws_access_key_id="{ACCESS}",
             aws_secret_access_key="{SECRET}", region_name="us-east-1").create_bucket(Bucket="sigv2")
"""], check=True)
        key, body = "shared/object", os.urandom(70000)
        subprocess.run(["/usr/bin/aws", "--endpoint-url", server.url, "s3", "cp", "-", f"s3://sigv2/{key}"],
                       input=body, env=cli_env(), check=True)
        check_boto(server)
        check_aws_cli(server, key, body)
        check_s3cmd(server, server.folder, key, body)
        check_refusals(server, key)
        r = subprocess.run(["/usr/bin/aws", "--endpoint-url", server.url, "s3", "ls", "s3://sigv2/refused"],
                           capture_output=True, text=True, env=cli_env())
        check("refused" not in r.stdout, "nothing was stored by the refused requests")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
