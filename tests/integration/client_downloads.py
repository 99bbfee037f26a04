"""Downloads and CLI uploads as a user's boto3 and aws-cli make them, with
their default checksum settings: run by each Python that has boto3 (Debian's 1.26, the
image's current 1.43, which verifies x-amz-checksum-* on every GET).

Usage: client_downloads.py ENDPOINT ACCESS SECRET BUCKET WORKDIR AWS_BINARY
Prints ok/FAIL lines; exits 1 on any failure.
"""
import os
import subprocess
import sys

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3test_util import body as data, check, exit_status  # noqa: E402

endpoint, access, secret, bucket, workdir, aws_binary = sys.argv[1:7]

tag = f"boto3 {boto3.__version__}"
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access, aws_secret_access_key=secret,
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
env = dict(os.environ, AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION="us-east-1",
           AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
for size in (20 << 20, 200 << 20):
    key = f"{tag}/single-{size >> 20}"
    payload = data(size, key)
    # put_object is one PutObject whatever the size: the object's checksum
    # then describes the whole, and ranged GETs must not carry it.
    s3.put_object(Bucket=bucket, Key=key, Body=payload)
    dst = os.path.join(workdir, f"down-{size}")
    r = subprocess.run([aws_binary, "--endpoint-url", endpoint, "s3", "cp", f"s3://{bucket}/{key}", dst,
                        "--only-show-errors"], capture_output=True, text=True, env=env)
    ok = r.returncode == 0 and open(dst, "rb").read() == payload
    check(ok, f"{tag}: aws s3 cp of a {size >> 20} MB single-PUT object ({r.stderr.strip()[:300]})")
    os.remove(dst) if os.path.exists(dst) else None
    got = s3.get_object(Bucket=bucket, Key=key, Range="bytes=1000-2000999")["Body"].read()
    check(got == payload[1000:2001000], f"{tag}: ranged get_object of {size >> 20} MB")
    whole = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    check(whole["Body"].read() == payload, f"{tag}: full get_object with checksum mode")
    s3.download_file(bucket, key, dst)
    check(open(dst, "rb").read() == payload, f"{tag}: download_file (ranged, concurrent) of {size >> 20} MB")
    os.remove(dst)
    part = s3.get_object(Bucket=bucket, Key=key, PartNumber=1)
    check(part["Body"].read() == payload, f"{tag}: get_object PartNumber=1 of a single PUT")
# A multipart upload by the transfer manager, read back by range and part.
key = f"{tag}/multipart"
payload = data(45 << 20, key)
src = os.path.join(workdir, "multipart.src")
with open(src, "wb") as f:
    f.write(payload)
s3.upload_file(src, bucket, key)
dst = os.path.join(workdir, "multipart.dst")
s3.download_file(bucket, key, dst)
check(open(dst, "rb").read() == payload, f"{tag}: upload_file / download_file of 45 MB (multipart)")
part2 = s3.get_object(Bucket=bucket, Key=key, PartNumber=2)["Body"].read()
check(part2 == payload[8 << 20:16 << 20], f"{tag}: get_object PartNumber=2 of a multipart object")
for path in (src, dst):
    os.remove(path)
# Uploads of every size with the CLI's defaults (its multipart threshold is
# 8 MiB, its current versions send CRC32 trailers), read back with checksum
# mode: inline (<= 4 KiB), one stripe, several stripes, multipart.
for size in (0, 1000, 1 << 20, 20 << 20):
    key = f"{tag}/cli-upload-{size}"
    payload = data(size, key)
    src = os.path.join(workdir, f"up-{size}")
    with open(src, "wb") as f:
        f.write(payload)
    r = subprocess.run([aws_binary, "--endpoint-url", endpoint, "s3", "cp", src, f"s3://{bucket}/{key}",
                        "--only-show-errors"], capture_output=True, text=True, env=env)
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")["Body"].read() if r.returncode == 0 else None
    check(got == payload, f"{tag}: aws s3 cp upload of {size} B, get_object with checksum mode ({r.stderr[-300:]})")
    os.remove(src)
sys.exit(exit_status())
