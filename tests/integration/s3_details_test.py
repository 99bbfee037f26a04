#!/usr/bin/python3
"""Details of S3 that tools and conformance suites check (a real server):
keys kept exactly by DeleteObjects, delete markers named on HEAD/GET, copies
onto themselves, copy ranges past the source, empty continuation tokens and
Content-MD5, retried completions.

Usage: s3_details_test.py PATH/TO/tessera-server
"""
import base64
import hashlib
import http.client
import os
import sys

import boto3
import botocore
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3test_util import body, check, exit_status, running_server  # noqa: E402

ACCESS, SECRET = "DETAILSACCESSKEY0001", "detailssecretkey000000000000000000000001"


def error_of(fn):
    """(code, status, headers) of the ClientError fn raises, or None."""
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        meta = e.response["ResponseMetadata"]
        return e.response["Error"]["Code"], meta["HTTPStatusCode"], meta.get("HTTPHeaders", {})
    return None


def raw(port, method, path, headers=None, payload=b""):
    url = f"http://127.0.0.1:{port}{path}"
    req = AWSRequest(method=method, url=url, headers=dict(headers or {}), data=payload)
    S3SigV4Auth(Credentials(ACCESS, SECRET), "s3", "us-east-1").add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=payload or None, headers=dict(req.headers.items()))
    r = conn.getresponse()
    out = r.status, r.read().decode(errors="replace")
    conn.close()
    return out


def delete_markers(s3):
    s3.create_bucket(Bucket="marked")
    s3.put_bucket_versioning(Bucket="marked", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="marked", Key="k", Body=b"v1")
    marker = s3.delete_object(Bucket="marked", Key="k")["VersionId"]
    code, status, headers = error_of(lambda: s3.head_object(Bucket="marked", Key="k"))
    check(status == 404 and headers.get("x-amz-delete-marker") == "true" and
          headers.get("x-amz-version-id") == marker, "HEAD of a deleted key: 404 naming its delete marker")
    code, status, headers = error_of(lambda: s3.get_object(Bucket="marked", Key="k"))
    check(code == "NoSuchKey" and headers.get("x-amz-delete-marker") == "true", "GET of a deleted key says so too")
    code, status, headers = error_of(lambda: s3.get_object(Bucket="marked", Key="k", VersionId=marker))
    check(status == 405 and headers.get("x-amz-delete-marker") == "true", "GET of the marker by id: 405")
    code, status, headers = error_of(lambda: s3.head_object(Bucket="marked", Key="never"))
    check(status == 404 and "x-amz-delete-marker" not in headers, "a key never written names no marker")


def copies(s3):
    s3.put_object(Bucket="details", Key="src", Body=b"0123456789", Metadata={"a": "1"})
    err = error_of(lambda: s3.copy_object(Bucket="details", Key="src", CopySource="details/src"))
    check(err and err[0] == "InvalidRequest", "CopyObject onto itself unchanged: InvalidRequest")
    s3.copy_object(Bucket="details", Key="src", CopySource="details/src", MetadataDirective="REPLACE",
                   Metadata={"a": "2"})
    check(s3.head_object(Bucket="details", Key="src")["Metadata"] == {"a": "2"},
          "CopyObject onto itself with REPLACE changes the metadata")
    up = s3.create_multipart_upload(Bucket="details", Key="pc")["UploadId"]
    err = error_of(lambda: s3.upload_part_copy(Bucket="details", Key="pc", UploadId=up, PartNumber=1,
                                               CopySource="details/src", CopySourceRange="bytes=0-10"))
    check(err and err[0] == "InvalidRange", "UploadPartCopy past the source's end: InvalidRange")
    got = s3.upload_part_copy(Bucket="details", Key="pc", UploadId=up, PartNumber=1, CopySource="details/src",
                              CopySourceRange="bytes=2-5")
    s3.complete_multipart_upload(Bucket="details", Key="pc", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": got["CopyPartResult"]["ETag"]}]})
    check(s3.get_object(Bucket="details", Key="pc")["Body"].read() == b"2345", "UploadPartCopy of bytes 2-5")


def retried_completion(s3):
    up = s3.create_multipart_upload(Bucket="details", Key="mp")["UploadId"]
    e1 = s3.upload_part(Bucket="details", Key="mp", UploadId=up, PartNumber=1, Body=body(5 << 20, "p1"))["ETag"]
    e2 = s3.upload_part(Bucket="details", Key="mp", UploadId=up, PartNumber=2, Body=b"tail")["ETag"]
    parts = {"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]}
    first = s3.complete_multipart_upload(Bucket="details", Key="mp", UploadId=up, MultipartUpload=parts)
    again = s3.complete_multipart_upload(Bucket="details", Key="mp", UploadId=up, MultipartUpload=parts)
    check(again["ETag"] == first["ETag"], "a retried CompleteMultipartUpload answers 200 with the same ETag")
    err = error_of(lambda: s3.complete_multipart_upload(Bucket="details", Key="mp", UploadId="not-an-upload",
                                                        MultipartUpload=parts))
    check(err and err[0] == "NoSuchUpload", "another upload id is still NoSuchUpload")


def multipart_checksums(s3):
    """SHA-256 named at creation (boto3 1.26 knows no CRC64NVME): each part's
    checksum is returned and listed, completion gives the composite."""
    up = s3.create_multipart_upload(Bucket="details", Key="sums", ChecksumAlgorithm="SHA256")
    check(up.get("ChecksumAlgorithm") == "SHA256", "CreateMultipartUpload echoes SHA256")
    chunks = [body(5 << 20, "s1"), b"last part"]
    parts = []
    for n, chunk in enumerate(chunks, 1):
        got = s3.upload_part(Bucket="details", Key="sums", UploadId=up["UploadId"], PartNumber=n, Body=chunk,
                             ChecksumAlgorithm="SHA256")
        want = base64.b64encode(hashlib.sha256(chunk).digest()).decode()
        check(got.get("ChecksumSHA256") == want, f"UploadPart {n} returns its SHA256")
        parts.append({"PartNumber": n, "ETag": got["ETag"], "ChecksumSHA256": want})
    err = error_of(lambda: s3.upload_part(Bucket="details", Key="sums", UploadId=up["UploadId"], PartNumber=3,
                                          Body=b"x", ChecksumAlgorithm="CRC32"))
    check(err and err[0] == "InvalidRequest", "a CRC32 part in a SHA256 upload: InvalidRequest")
    listed = s3.list_parts(Bucket="details", Key="sums", UploadId=up["UploadId"])
    check([p.get("ChecksumSHA256") for p in listed["Parts"]] == [p["ChecksumSHA256"] for p in parts],
          "ListParts shows the part checksums")
    wrong = [dict(parts[0]), dict(parts[1], ChecksumSHA256=parts[0]["ChecksumSHA256"])]
    err = error_of(lambda: s3.complete_multipart_upload(Bucket="details", Key="sums", UploadId=up["UploadId"],
                                                        MultipartUpload={"Parts": wrong}))
    check(err and err[0] == "InvalidPart", "completing with a wrong part checksum: InvalidPart")
    done = s3.complete_multipart_upload(Bucket="details", Key="sums", UploadId=up["UploadId"],
                                        MultipartUpload={"Parts": parts})
    raws = b"".join(base64.b64decode(p["ChecksumSHA256"]) for p in parts)
    composite = base64.b64encode(hashlib.sha256(raws).digest()).decode() + "-2"
    check(done.get("ChecksumSHA256") == composite, f"the composite checksum ({done.get('ChecksumSHA256')})")
    head = s3.head_object(Bucket="details", Key="sums", ChecksumMode="ENABLED")
    check(head.get("ChecksumSHA256") == composite, "HEAD with checksum mode returns it")
    part2 = s3.get_object(Bucket="details", Key="sums", PartNumber=2, ChecksumMode="ENABLED")
    check(part2.get("ChecksumSHA256") == parts[1]["ChecksumSHA256"] and part2["Body"].read() == chunks[1],
          "GET partNumber=2 returns part 2's checksum")
    attrs = s3.get_object_attributes(Bucket="details", Key="sums", ObjectAttributes=["ObjectParts", "Checksum"])
    check([p.get("ChecksumSHA256") for p in attrs["ObjectParts"]["Parts"]] == [p["ChecksumSHA256"] for p in parts],
          "GetObjectAttributes lists the parts with their checksums")


def listings(s3):
    s3.put_object(Bucket="details", Key="a b/c", Body=b"x")
    v1 = s3.list_objects(Bucket="details", Prefix="a b/")
    check(v1.get("Prefix") == "a b/" and [o["Key"] for o in v1["Contents"]] == ["a b/c"],
          f"V1 returns Prefix as sent ({v1.get('Prefix')!r})")
    v2 = s3.list_objects_v2(Bucket="details", Prefix="a b/")
    check(v2.get("Prefix") == "a b/", f"V2 Prefix ({v2.get('Prefix')!r})")
    s3.delete_object(Bucket="details", Key="a b/c")


def main():
    with running_server(sys.argv[1], {ACCESS: SECRET}) as server:
        s3 = boto3.client("s3", endpoint_url=server.url, aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                          region_name="us-east-1", config=Config(s3={"addressing_style": "path"},
                                                                 retries={"max_attempts": 1}))
        s3.create_bucket(Bucket="details")
        for key in (" ", "  two", "tab\tkey"):
            s3.put_object(Bucket="details", Key=key, Body=b"x")
        r = s3.delete_objects(Bucket="details", Delete={"Objects": [{"Key": " "}, {"Key": "  two"},
                                                                    {"Key": "tab\tkey"}]})
        check(sorted(d["Key"] for d in r.get("Deleted", [])) == sorted([" ", "  two", "tab\tkey"]),
              "DeleteObjects reports the keys exactly")
        left = [o["Key"] for o in s3.list_objects_v2(Bucket="details").get("Contents", [])]
        check(left == [], f"and deleted them, whitespace keys included ({left})")
        status, text = raw(server.port, "GET", "/details?list-type=2&continuation-token=")
        check(status == 200 and "<ListBucketResult" in text, "an empty ContinuationToken is none")
        status, text = raw(server.port, "PUT", "/details/md5", {"Content-MD5": ""}, b"abc")
        check(status == 400 and "InvalidDigest" in text, "an empty Content-MD5: InvalidDigest")
        delete_markers(s3)
        copies(s3)
        retried_completion(s3)
        multipart_checksums(s3)
        listings(s3)
        digest = hashlib.sha256(s3.get_object(Bucket="details", Key="mp")["Body"].read()).hexdigest()
        check(digest == hashlib.sha256(body(5 << 20, "p1") + b"tail").hexdigest(), "the completed object reads back")
    return exit_status()


if __name__ == "__main__":
    sys.exit(main())
