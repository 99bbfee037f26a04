"""Tagging and GetObjectAttributes as boto3 calls them, run by each Python
that has boto3 (Debian's 1.26, the image's current 1.43).

Usage: client_tagging.py ENDPOINT ACCESS SECRET BUCKET
Prints ok/FAIL lines; exits 1 on any failure.
"""
import os
import sys

import boto3
import botocore
from botocore.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3test_util import body, check, exit_status  # noqa: E402

endpoint, access, secret, bucket = sys.argv[1:5]
tag = f"boto3 {boto3.__version__}"
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access, aws_secret_access_key=secret,
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def error_code(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None


def tags_of(key, **kw):
    return {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=key, **kw)["TagSet"]}


prefix = f"{tag}/"
s3.put_object(Bucket=bucket, Key=prefix + "tagged", Body=b"tagged bytes", Tagging="team=storage&note=a%20b")
check(tags_of(prefix + "tagged") == {"team": "storage", "note": "a b"}, f"{tag}: x-amz-tagging on PutObject")
got = s3.get_object(Bucket=bucket, Key=prefix + "tagged")
check(got.get("TagCount") == 2 and got["Body"].read() == b"tagged bytes", f"{tag}: GetObject TagCount")
s3.put_object_tagging(Bucket=bucket, Key=prefix + "tagged", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
check(tags_of(prefix + "tagged") == {"only": "one"}, f"{tag}: PutObjectTagging replaces the set")
too_many = {"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}
check(error_code(lambda: s3.put_object_tagging(Bucket=bucket, Key=prefix + "tagged", Tagging=too_many)) ==
      "InvalidTag", f"{tag}: 11 tags are InvalidTag")
dup = {"TagSet": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}
check(error_code(lambda: s3.put_object_tagging(Bucket=bucket, Key=prefix + "tagged", Tagging=dup)) == "InvalidTag",
      f"{tag}: a repeated key is InvalidTag")
check(tags_of(prefix + "tagged") == {"only": "one"}, f"{tag}: refused tag sets changed nothing")
check(error_code(lambda: s3.get_object_tagging(Bucket=bucket, Key=prefix + "missing")) == "NoSuchKey",
      f"{tag}: tagging of a missing key is NoSuchKey")
# CopyObject: tags follow the source unless the directive says REPLACE.
s3.copy_object(Bucket=bucket, Key=prefix + "copied", CopySource={"Bucket": bucket, "Key": prefix + "tagged"})
check(tags_of(prefix + "copied") == {"only": "one"}, f"{tag}: CopyObject copies tags by default")
s3.copy_object(Bucket=bucket, Key=prefix + "replaced", CopySource={"Bucket": bucket, "Key": prefix + "tagged"},
               TaggingDirective="REPLACE", Tagging="fresh=yes")
check(tags_of(prefix + "replaced") == {"fresh": "yes"}, f"{tag}: CopyObject with TaggingDirective REPLACE")
s3.delete_object_tagging(Bucket=bucket, Key=prefix + "tagged")
check(tags_of(prefix + "tagged") == {}, f"{tag}: DeleteObjectTagging")
check(s3.get_object(Bucket=bucket, Key=prefix + "tagged")["Body"].read() == b"tagged bytes",
      f"{tag}: tagging never touched the bytes")
# Multipart: the upload's tags land on the object; its attributes list parts.
upload = s3.create_multipart_upload(Bucket=bucket, Key=prefix + "mp", Tagging="parts=three")
parts = []
for n in (1, 2, 3):
    data = body(5 << 20 if n < 3 else 1000, f"{tag}-part{n}")
    etag = s3.upload_part(Bucket=bucket, Key=prefix + "mp", UploadId=upload["UploadId"], PartNumber=n, Body=data)
    parts.append({"PartNumber": n, "ETag": etag["ETag"]})
s3.complete_multipart_upload(Bucket=bucket, Key=prefix + "mp", UploadId=upload["UploadId"],
                             MultipartUpload={"Parts": parts})
check(tags_of(prefix + "mp") == {"parts": "three"}, f"{tag}: CreateMultipartUpload's tags on the object")
a = s3.get_object_attributes(Bucket=bucket, Key=prefix + "mp",
                             ObjectAttributes=["ETag", "ObjectParts", "StorageClass", "ObjectSize"], MaxParts=2)
check(a["ObjectSize"] == 2 * (5 << 20) + 1000 and a["StorageClass"] == "STANDARD" and a["ETag"].endswith("-3"),
      f"{tag}: GetObjectAttributes size, class, ETag of a multipart object")
p = a["ObjectParts"]
check(p["TotalPartsCount"] == 3 and p["IsTruncated"] and [x["Size"] for x in p["Parts"]] == [5 << 20, 5 << 20],
      f"{tag}: GetObjectAttributes parts, first page of 2")
rest = s3.get_object_attributes(Bucket=bucket, Key=prefix + "mp", ObjectAttributes=["ObjectParts"],
                                PartNumberMarker=p["NextPartNumberMarker"])["ObjectParts"]
check([x["PartNumber"] for x in rest["Parts"]] == [3] and not rest["IsTruncated"],
      f"{tag}: GetObjectAttributes parts, second page")
single = s3.get_object_attributes(Bucket=bucket, Key=prefix + "tagged", ObjectAttributes=["ObjectSize", "ETag"])
check(single["ObjectSize"] == len(b"tagged bytes") and "ObjectParts" not in single,
      f"{tag}: GetObjectAttributes of a single PUT")
# Bucket tagging.
tb = "tags-" + boto3.__version__.replace(".", "-")
s3.create_bucket(Bucket=tb)
check(error_code(lambda: s3.get_bucket_tagging(Bucket=tb)) == "NoSuchTagSet", f"{tag}: untagged bucket: NoSuchTagSet")
s3.put_bucket_tagging(Bucket=tb, Tagging={"TagSet": [{"Key": "cost", "Value": "center-7"}]})
check(s3.get_bucket_tagging(Bucket=tb)["TagSet"] == [{"Key": "cost", "Value": "center-7"}],
      f"{tag}: Put/GetBucketTagging")
s3.delete_bucket_tagging(Bucket=tb)
check(error_code(lambda: s3.get_bucket_tagging(Bucket=tb)) == "NoSuchTagSet", f"{tag}: DeleteBucketTagging")
s3.delete_bucket(Bucket=tb)
sys.exit(exit_status())
