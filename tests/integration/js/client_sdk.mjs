// The current AWS SDK for JavaScript v3 against a running Tessera, with the
// SDK's defaults left on: CRC32 request checksums in aws-chunked trailers,
// response checksum validation, lib-storage's managed multipart upload and
// the presigner. Prints ok/FAIL lines; exits 1 on any failure.
//
// Usage: node client_sdk.mjs ENDPOINT ACCESS SECRET BUCKET
import { createHash } from "node:crypto";
import {
  S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand,
  ListObjectsV2Command, DeleteObjectsCommand, PutObjectTaggingCommand, GetObjectTaggingCommand,
  CopyObjectCommand, GetObjectAttributesCommand, CreateMultipartUploadCommand, UploadPartCommand,
  CompleteMultipartUploadCommand, ListPartsCommand, AbortMultipartUploadCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

const [endpoint, accessKeyId, secretAccessKey, bucket] = process.argv.slice(2);
const s3 = new S3Client({
  endpoint, region: "us-east-1", forcePathStyle: true, credentials: { accessKeyId, secretAccessKey },
});
const failures = [];

function check(cond, what) {
  console.log((cond ? "ok   " : "FAIL ") + what);
  if (!cond) failures.push(what);
}

// n bytes that depend on seed: a SHA-256 chain, as in s3test_util.body.
function data(n, seed) {
  const out = Buffer.alloc(n);
  let h = createHash("sha256").update(seed).digest();
  for (let at = 0; at < n;) {
    h = createHash("sha256").update(h).digest();
    for (let i = 0; i < 128 && at < n; ++i, at += 32) h.copy(out, at, 0, Math.min(32, n - at));
  }
  return out;
}

async function bytesOf(response) {
  return Buffer.from(await response.Body.transformToByteArray());
}

// Runs one named step; an exception is a failure with its message.
async function step(what, fn) {
  try {
    await fn();
  } catch (e) {
    check(false, `${what}: ${e.name}: ${e.message}`.slice(0, 400));
  }
}

async function putAndGet(size) {
  const key = `js/put-${size}`;
  const payload = data(size, key);
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: payload }));
  check(put.ChecksumCRC32 !== undefined, `PutObject of ${size} B answers with its CRC32`);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
  check(got.ChecksumCRC32 === put.ChecksumCRC32, `GetObject of ${size} B returns the stored CRC32`);
  check((await bytesOf(got)).equals(payload), `GetObject of ${size} B with checksum mode is byte-exact`);
  if (size > 2) {
    const range = await s3.send(new GetObjectCommand({
      Bucket: bucket, Key: key, Range: `bytes=1-${size - 2}`, ChecksumMode: "ENABLED",
    }));
    check((await bytesOf(range)).equals(payload.subarray(1, size - 1)), `ranged GetObject of ${size} B`);
  }
}

async function managedUpload() {
  const key = "js/managed-multipart";
  const payload = data(21 << 20, key);
  const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: key, Body: payload }, partSize: 5 << 20 });
  const done = await upload.done();
  check(/-5"?$/.test(done.ETag), `lib-storage Upload of 21 MiB in 5 MiB parts (ETag ${done.ETag})`);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
  check((await bytesOf(got)).equals(payload), "GetObject of the managed upload with checksum mode");
  const part = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 2, ChecksumMode: "ENABLED" }));
  check((await bytesOf(part)).equals(payload.subarray(5 << 20, 10 << 20)), "GetObject PartNumber=2 of it");
  const attrs = await s3.send(new GetObjectAttributesCommand({
    Bucket: bucket, Key: key, ObjectAttributes: ["ETag", "ObjectParts", "ObjectSize", "Checksum"],
  }));
  check(attrs.ObjectSize === payload.length && attrs.ObjectParts?.TotalPartsCount === 5,
    `GetObjectAttributes: size ${attrs.ObjectSize}, ${attrs.ObjectParts?.TotalPartsCount} parts`);
}

// A multipart upload by hand with CRC32 named at creation: the composite
// checksum comes back from completion, HEAD and GET.
async function compositeUpload() {
  const key = "js/composite-crc32";
  const payload = data(11 << 20, key);
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: "CRC32" }));
  check(created.ChecksumAlgorithm === "CRC32", `CreateMultipartUpload echoes CRC32 (${created.ChecksumAlgorithm})`);
  const parts = [];
  for (const [n, from, to] of [[1, 0, 5 << 20], [2, 5 << 20, 10 << 20], [3, 10 << 20, payload.length]]) {
    const r = await s3.send(new UploadPartCommand({
      Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: n, Body: payload.subarray(from, to),
      ChecksumAlgorithm: "CRC32",
    }));
    check(r.ChecksumCRC32 !== undefined, `UploadPart ${n} returns its CRC32`);
    parts.push({ PartNumber: n, ETag: r.ETag, ChecksumCRC32: r.ChecksumCRC32 });
  }
  const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId }));
  check(listed.Parts?.length === 3 && listed.Parts.every((p, i) => p.ChecksumCRC32 && p.ChecksumCRC32 === parts[i].ChecksumCRC32), "ListParts shows each part's CRC32");
  const done = await s3.send(new CompleteMultipartUploadCommand({
    Bucket: bucket, Key: key, UploadId: created.UploadId, MultipartUpload: { Parts: parts },
  }));
  check(/-3$/.test(done.ChecksumCRC32 ?? ""), `CompleteMultipartUpload returns a composite CRC32 (${done.ChecksumCRC32})`);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
  check(head.ChecksumCRC32 === done.ChecksumCRC32 && head.ChecksumType === "COMPOSITE",
    `HeadObject with checksum mode: ${head.ChecksumCRC32} ${head.ChecksumType}`);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
  check((await bytesOf(got)).equals(payload), "GetObject of the composite-checksum object");
  const part = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, PartNumber: 3, ChecksumMode: "ENABLED" }));
  check(part.ChecksumCRC32 !== undefined && part.ChecksumCRC32 === parts[2].ChecksumCRC32, "GetObject PartNumber=3 returns that part's CRC32");
  check((await bytesOf(part)).equals(payload.subarray(10 << 20)), "GetObject PartNumber=3 is byte-exact");
}

// CRC64NVME, full-object: the SDK can check the whole object's value.
async function fullObjectUpload() {
  const key = "js/full-crc64nvme";
  const payload = data(10 << 20, key);
  const created = await s3.send(new CreateMultipartUploadCommand({
    Bucket: bucket, Key: key, ChecksumAlgorithm: "CRC64NVME", ChecksumType: "FULL_OBJECT",
  }));
  check(created.ChecksumType === "FULL_OBJECT", `CreateMultipartUpload echoes FULL_OBJECT (${created.ChecksumType})`);
  const parts = [];
  for (const [n, from, to] of [[1, 0, 5 << 20], [2, 5 << 20, payload.length]]) {
    const r = await s3.send(new UploadPartCommand({
      Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: n, Body: payload.subarray(from, to),
      ChecksumAlgorithm: "CRC64NVME",
    }));
    parts.push({ PartNumber: n, ETag: r.ETag, ChecksumCRC64NVME: r.ChecksumCRC64NVME });
  }
  const whole = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${key}-single`, Body: payload,
    ChecksumAlgorithm: "CRC64NVME" }));
  const done = await s3.send(new CompleteMultipartUploadCommand({
    Bucket: bucket, Key: key, UploadId: created.UploadId, MultipartUpload: { Parts: parts },
    ChecksumType: "FULL_OBJECT",
  }));
  check(done.ChecksumCRC64NVME === whole.ChecksumCRC64NVME,
    `full-object CRC64NVME of the parts equals a single PUT's (${done.ChecksumCRC64NVME} ${whole.ChecksumCRC64NVME})`);
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
  check(got.ChecksumType === "FULL_OBJECT" && (await bytesOf(got)).equals(payload),
    "GetObject of it validates the full-object checksum");
}

async function wrongChecksums() {
  const key = "js/wrong";
  let error;
  try {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "abc", ChecksumCRC32: "AAAAAA==" }));
  } catch (e) {
    error = e;
  }
  check(error?.name === "BadDigest" && error.$metadata?.httpStatusCode === 400,
    `a wrong x-amz-checksum-crc32 is 400 BadDigest (${error?.name})`);
  const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ChecksumAlgorithm: "CRC32" }));
  const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId, PartNumber: 1,
    Body: "part", ChecksumAlgorithm: "CRC32" }));
  error = undefined;
  try {
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId,
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: r.ETag, ChecksumCRC32: "AAAAAA==" }] } }));
  } catch (e) {
    error = e;
  }
  check(error?.name === "InvalidPart", `completing with a wrong part CRC32 is InvalidPart (${error?.name})`);
  await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: created.UploadId }));
  error = undefined;
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (e) {
    error = e;
  }
  check(error?.$metadata?.httpStatusCode === 404, "nothing was stored under the key");
}

// The SDK signs the CRC32 of the empty body into a presigned PUT (it has
// no body at signing time): S3, R2 and MinIO refuse the upload with
// BadDigest, and so do we; the documented remedy is a presigning client with
// requestChecksumCalculation WHEN_REQUIRED.
async function presigned() {
  const key = "js/presigned";
  const payload = data(100000, key);
  const defaultUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 });
  const refused = await fetch(defaultUrl, { method: "PUT", body: payload });
  check(refused.status === 400 && (await refused.text()).includes("BadDigest"),
    `a presigned PUT signed with the empty body's CRC32 is 400 BadDigest (${refused.status})`);
  const presigner = new S3Client({ endpoint, region: "us-east-1", forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey }, requestChecksumCalculation: "WHEN_REQUIRED" });
  const putUrl = await getSignedUrl(presigner, new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 });
  const put = await fetch(putUrl, { method: "PUT", body: payload });
  check(put.status === 200, `presigned PUT (${put.status})`);
  const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: 300 });
  const got = await fetch(getUrl);
  check(got.status === 200 && Buffer.from(await got.arrayBuffer()).equals(payload), `presigned GET (${got.status})`);
  const tampered = await fetch(getUrl.replace("js%2Fpresigned", "js%2Fother").replace("js/presigned", "js/other"));
  check(tampered.status === 403, `a presigned URL for another key is refused (${tampered.status})`);
}

async function everyday() {
  const key = "js/everyday";
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "hello", Tagging: "team=storage" }));
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  check(tags.TagSet?.[0]?.Key === "team", "PutObject Tagging, GetObjectTagging");
  await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: [{ Key: "a", Value: "b" }] } }));
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${key}-copy`, CopySource: `${bucket}/${key}` }));
  const copied = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}-copy`, ChecksumMode: "ENABLED" }));
  check((await copied.Body.transformToString()) === "hello", "CopyObject");
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "js/everyday" }));
  check(listed.KeyCount === 2, `ListObjectsV2 (${listed.KeyCount} keys)`);
  const deleted = await s3.send(new DeleteObjectsCommand({ Bucket: bucket,
    Delete: { Objects: [{ Key: key }, { Key: `${key}-copy` }] } }));
  check(deleted.Deleted?.length === 2 && !deleted.Errors, "DeleteObjects (its Content-MD5 or CRC32 checked)");
}

await step("CreateBucket", () => s3.send(new CreateBucketCommand({ Bucket: bucket })));
// Inline (at most 4 KiB), one stripe, many stripes.
for (const size of [0, 1000, 1 << 20, 70 << 20]) await step(`put/get ${size}`, () => putAndGet(size));
await step("managed upload", managedUpload);
await step("composite checksum upload", compositeUpload);
await step("full-object checksum upload", fullObjectUpload);
await step("wrong checksums", wrongChecksums);
await step("presigned URLs", presigned);
await step("everyday operations", everyday);
console.log(`${failures.length} failures`);
process.exit(failures.length ? 1 : 0);
