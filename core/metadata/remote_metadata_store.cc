#include "core/metadata/remote_metadata_store.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "metadata_rpc.pb.h"

namespace tessera {
namespace {

proto::MetaConditions wire(const CommitConditions& c) {
  proto::MetaConditions out;
  out.set_if_none_match_any(c.if_none_match_any);
  if (c.if_match) out.set_if_match(*c.if_match);
  return out;
}

proto::MetaUploadRef upload_ref(std::string bucket, std::string key, std::string upload_id) {
  proto::MetaUploadRef out;
  out.set_bucket(std::move(bucket));
  out.set_key(std::move(key));
  out.set_upload_id(std::move(upload_id));
  return out;
}

template <typename T>
std::vector<T> take(google::protobuf::RepeatedPtrField<T>* field) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(field->size()));
  for (T& item : *field) out.push_back(std::move(item));
  return out;
}

std::vector<std::string> take(google::protobuf::RepeatedPtrField<std::string>* field) {
  return std::vector<std::string>(std::make_move_iterator(field->begin()), std::make_move_iterator(field->end()));
}

}  // namespace

template <typename Reply, typename Request>
Task<Result<Reply>> RemoteMetadataStore::send(NodeId to, const char* method, const Request& request,
                                              const proto::MetaOnce* once, Duration wait) {
  if (once) co_return co_await call_message<Reply>(rpc_, to, "meta.once", *once, wait);
  co_return co_await call_message<Reply>(rpc_, to, method, request, wait);
}

template <typename Reply, typename Request>
Task<Result<Reply>> RemoteMetadataStore::call(const char* method, Request request, Duration probe_deadline) {
  const bool probe = probe_deadline.us > 0;  // a probe always goes out
  if (!probe && probe_failures_ >= kProbeFailuresMax) {
    co_return Status(Code::kUnavailable, "the metadata group (node " + std::to_string(servers_[leader_].value) +
                                             " first) is not answering");
  }
  Runtime& rt = rpc_.runtime();
  const Instant give_up = rt.now() + (probe ? probe_deadline : deadline_);
  const bool read = is_metadata_read(method);
  const bool anywhere = reads_anywhere_ && read;
  // A write goes as a once-write: sent again after no answer, it is
  // applied at most once.
  std::optional<proto::MetaOnce> once;
  if (!read && !probe) once = once_write(method, request.SerializeAsString());
  bool maybe_applied = false;  // an earlier copy of this write got no answer
  for (size_t attempt = 1;; ++attempt) {
    const NodeId to = anywhere ? servers_[read_rotor_++ % servers_.size()] : servers_[leader_];
    // One copy gets a third of the deadline (at most a few seconds): a
    // lost message or a dead leader must not hold the call for all of it
    // while a resend, or another replica, would answer.
    const Duration wait = std::min(give_up - rt.now(), attempt_max_);
    const Instant sent = rt.now();
    auto r = co_await send<Reply>(to, method, request, once ? &*once : nullptr, wait);
    // Concurrent calls may have moved leader_ meanwhile: account to `to`.
    const size_t asked = replica_index(to);
    // Only the RPC's own deadline times out (the store never does). A
    // replica that stopped leading before its write was decided says
    // NoAnswer: the write may yet be applied, by the next leader.
    const bool unanswered = r.code() == Code::kTimeout || (!r.is_ok() && outcome_unknown(r.status()));
    if (unanswered) {
      // Likely dead: rotation skips it for a while (hints still lead there).
      if (r.code() == Code::kTimeout) quieten(asked, rt.now());
      // Try another replica next time. A broken connection ends a copy at
      // once: pause before asking a replica that just failed so again.
      const bool ended_early = rt.now() < sent + wait;
      const bool fresh = rotate(rt.now());
      if (ended_early && (!fresh || servers_[leader_] == to)) co_await sleep(rt, kElectionPause);
      // A read, or a once-write, can simply be asked again.
      maybe_applied = true;
      if (rt.now() + kElectionPause < give_up) continue;
      co_return Status(Code::kTimeout, std::string(method) + ": no answer from the metadata node", kNoAnswer);
    }
    silences_[asked] = 0;  // it answered
    // A leader's answer is final: it checked the write's once-record first.
    if (r.is_ok() || r.status().reason() != kNotLeader) co_return r;
    follow(r.status(), asked);
    // A whole round of replicas without a leader: an election is on.
    if (attempt % servers_.size() == 0) co_await sleep(rt, kElectionPause);
    if (rt.now() + kElectionPause >= give_up) {
      // Giving up without a leader's answer: an earlier copy may yet apply.
      co_return Status(maybe_applied ? Code::kTimeout : Code::kUnavailable,
                       std::string(method) + ": the metadata group has no leader",
                       maybe_applied ? kNoAnswer : "");
    }
  }
}

proto::MetaOnce RemoteMetadataStore::once_write(const char* method, std::string payload) {
  proto::MetaOnce once;
  once.set_client(client_id_);
  once.set_seq(++once_seq_);
  once.set_method(method);
  once.set_payload(std::move(payload));
  return once;
}

void RemoteMetadataStore::quieten(size_t replica, Instant now) {
  if (servers_.size() < 2) return;
  // 3 s, doubling to 48 s for a replica silent again and again (one that
  // died, or left the group), until it answers.
  const uint32_t n = std::min<uint32_t>(silences_[replica]++, 4);
  quiet_until_[replica] = now + kQuietFor * (int64_t{1} << n);
}

bool RemoteMetadataStore::rotate(Instant now) {
  // The next replica that has not just failed to answer or to name a
  // leader; when they all have, the one that failed longest ago.
  size_t stalest = leader_;
  for (size_t step = 1; step <= servers_.size(); ++step) {
    const size_t i = (leader_ + step) % servers_.size();
    if (quiet_until_[i] <= now) {
      leader_ = i;
      return true;
    }
    if (i != leader_ && (stalest == leader_ || quiet_until_[i] < quiet_until_[stalest])) stalest = i;
  }
  leader_ = stalest;
  return false;
}

size_t RemoteMetadataStore::replica_index(NodeId node) {
  const size_t i = static_cast<size_t>(std::find(servers_.begin(), servers_.end(), node) - servers_.begin());
  if (i == servers_.size()) {
    // A replica that joined the group since this client started (it
    // replaced another): from now on it is one of the group.
    servers_.push_back(node);
    quiet_until_.emplace_back();
    silences_.push_back(0);
  }
  return i;
}

void RemoteMetadataStore::follow(const Status& not_leader, size_t asked) {
  const std::optional<uint32_t> hint = leader_hint_of(not_leader);
  if (!hint) {
    // It knows no leader (an election, or it is no longer in the group):
    // no better than a silent replica for a while.
    const Instant now = rpc_.runtime().now();
    quieten(asked, now);
    rotate(now);
    return;
  }
  // Followed even to a replica that just failed to answer: a lost message
  // looks the same as a death, and a stale hint at a dead leader lasts
  // only until its followers' election timeout.
  const size_t i = replica_index(NodeId(*hint));
  if (i != leader_) {
    leader_ = i;
  } else {
    rotate(rpc_.runtime().now());
  }
}

template <typename Request>
Task<Status> RemoteMetadataStore::call_status(const char* method, Request request) {
  auto r = co_await call<proto::MetaEmpty>(method, std::move(request));
  co_return r.is_ok() ? Status::ok() : r.status();
}

Task<Status> RemoteMetadataStore::create_bucket(proto::BucketRecord bucket) {
  co_return co_await call_status("meta.create_bucket", std::move(bucket));
}

Task<Result<proto::BucketRecord>> RemoteMetadataStore::get_bucket(std::string name) {
  proto::MetaBucketName request;
  request.set_bucket(std::move(name));
  co_return co_await call<proto::BucketRecord>("meta.get_bucket", std::move(request));
}

Task<Status> RemoteMetadataStore::delete_bucket(std::string name) {
  proto::MetaBucketName request;
  request.set_bucket(std::move(name));
  co_return co_await call_status("meta.delete_bucket", std::move(request));
}

Task<Result<std::vector<proto::BucketRecord>>> RemoteMetadataStore::list_buckets() {
  auto r = co_await call<proto::MetaBuckets>("meta.list_buckets", proto::MetaEmpty());
  if (!r.is_ok()) co_return r.status();
  co_return take(r.value().mutable_buckets());
}

Task<Status> RemoteMetadataStore::set_versioning(std::string bucket, proto::Versioning state) {
  proto::MetaSetVersioning request;
  request.set_bucket(std::move(bucket));
  request.set_state(state);
  co_return co_await call_status("meta.set_versioning", std::move(request));
}

Task<Status> RemoteMetadataStore::update_bucket(std::string bucket, proto::BucketPatch patch) {
  proto::MetaUpdateBucket request;
  request.set_bucket(std::move(bucket));
  *request.mutable_patch() = std::move(patch);
  co_return co_await call_status("meta.update_bucket", std::move(request));
}

Task<Result<proto::ObjectVersion>> RemoteMetadataStore::update_object(std::string bucket, std::string key,
                                                                      std::string version_id,
                                                                      proto::ObjectPatch patch) {
  proto::MetaUpdateObject request;
  request.mutable_object()->set_bucket(std::move(bucket));
  request.mutable_object()->set_key(std::move(key));
  request.mutable_object()->set_version_id(std::move(version_id));
  *request.mutable_patch() = std::move(patch);
  co_return co_await call<proto::ObjectVersion>("meta.update_object", std::move(request));
}

Task<Result<proto::ObjectVersion>> RemoteMetadataStore::commit_object(proto::ObjectVersion version,
                                                                      CommitConditions conditions) {
  proto::MetaCommit request;
  *request.mutable_version() = std::move(version);
  *request.mutable_conditions() = wire(conditions);
  co_return co_await call<proto::ObjectVersion>("meta.commit_object", std::move(request));
}

Task<Result<proto::ObjectVersion>> RemoteMetadataStore::get_object(std::string bucket, std::string key,
                                                                   std::string version_id) {
  proto::MetaObjectRef request;
  request.set_bucket(std::move(bucket));
  request.set_key(std::move(key));
  request.set_version_id(std::move(version_id));
  co_return co_await call<proto::ObjectVersion>("meta.get_object", std::move(request));
}

Task<Result<DeleteResult>> RemoteMetadataStore::delete_object(std::string bucket, std::string key,
                                                              std::string version_id) {
  proto::MetaObjectRef request;
  request.set_bucket(std::move(bucket));
  request.set_key(std::move(key));
  request.set_version_id(std::move(version_id));
  auto r = co_await call<proto::MetaDeleted>("meta.delete_object", std::move(request));
  if (!r.is_ok()) co_return r.status();
  DeleteResult out;
  out.version_id = r.value().version_id();
  out.delete_marker = r.value().delete_marker();
  if (r.value().has_removed()) out.removed = std::move(*r.value().mutable_removed());
  co_return out;
}

Task<Result<ListResult>> RemoteMetadataStore::list_objects(std::string bucket, ListRequest request) {
  proto::MetaListObjects wire_request;
  wire_request.set_bucket(std::move(bucket));
  wire_request.set_prefix(std::move(request.prefix));
  wire_request.set_delimiter(std::move(request.delimiter));
  wire_request.set_start_after(std::move(request.start_after));
  wire_request.set_max_keys(request.max_keys);
  auto r = co_await call<proto::MetaObjectList>("meta.list_objects", std::move(wire_request));
  if (!r.is_ok()) co_return r.status();
  ListResult out;
  out.objects = take(r.value().mutable_objects());
  out.common_prefixes = take(r.value().mutable_common_prefixes());
  out.truncated = r.value().truncated();
  out.next_marker = r.value().next_marker();
  co_return out;
}

Task<Result<ListVersionsResult>> RemoteMetadataStore::list_versions(std::string bucket, ListVersionsRequest request) {
  proto::MetaListVersions wire_request;
  wire_request.set_bucket(std::move(bucket));
  wire_request.set_prefix(std::move(request.prefix));
  wire_request.set_delimiter(std::move(request.delimiter));
  wire_request.set_key_marker(std::move(request.key_marker));
  wire_request.set_version_id_marker(std::move(request.version_id_marker));
  wire_request.set_max_keys(request.max_keys);
  auto r = co_await call<proto::MetaVersionList>("meta.list_versions", std::move(wire_request));
  if (!r.is_ok()) co_return r.status();
  ListVersionsResult out;
  for (auto& e : *r.value().mutable_versions()) {
    out.versions.push_back(VersionEntry{std::move(*e.mutable_version()), e.is_latest()});
  }
  out.common_prefixes = take(r.value().mutable_common_prefixes());
  out.truncated = r.value().truncated();
  out.next_key_marker = r.value().next_key_marker();
  out.next_version_id_marker = r.value().next_version_id_marker();
  co_return out;
}

Task<Status> RemoteMetadataStore::create_upload(proto::UploadRecord upload) {
  co_return co_await call_status("meta.create_upload", std::move(upload));
}

Task<Result<proto::UploadRecord>> RemoteMetadataStore::get_upload(std::string bucket, std::string key,
                                                                  std::string upload_id) {
  co_return co_await call<proto::UploadRecord>("meta.get_upload",
                                               upload_ref(std::move(bucket), std::move(key), std::move(upload_id)));
}

Task<Result<std::optional<proto::UploadPartRecord>>> RemoteMetadataStore::put_upload_part(
    std::string bucket, std::string key, std::string upload_id, proto::UploadPartRecord part) {
  proto::MetaPutPart request;
  *request.mutable_upload() = upload_ref(std::move(bucket), std::move(key), std::move(upload_id));
  *request.mutable_part() = std::move(part);
  auto r = co_await call<proto::MetaReplacedPart>("meta.put_upload_part", std::move(request));
  if (!r.is_ok()) co_return r.status();
  std::optional<proto::UploadPartRecord> replaced;
  if (r.value().has_replaced()) replaced = std::move(*r.value().mutable_replaced());
  co_return replaced;
}

Task<Result<ListPartsResult>> RemoteMetadataStore::list_upload_parts(std::string bucket, std::string key,
                                                                     std::string upload_id, uint32_t after_part,
                                                                     uint32_t max_parts) {
  proto::MetaListParts request;
  *request.mutable_upload() = upload_ref(std::move(bucket), std::move(key), std::move(upload_id));
  request.set_after_part(after_part);
  request.set_max_parts(max_parts);
  auto r = co_await call<proto::MetaPartList>("meta.list_upload_parts", std::move(request));
  if (!r.is_ok()) co_return r.status();
  ListPartsResult out;
  out.parts = take(r.value().mutable_parts());
  out.truncated = r.value().truncated();
  co_return out;
}

Task<Result<ListUploadsResult>> RemoteMetadataStore::list_uploads(std::string bucket, ListUploadsRequest request) {
  proto::MetaListUploads wire_request;
  wire_request.set_bucket(std::move(bucket));
  wire_request.set_prefix(std::move(request.prefix));
  wire_request.set_key_marker(std::move(request.key_marker));
  wire_request.set_upload_id_marker(std::move(request.upload_id_marker));
  wire_request.set_max_uploads(request.max_uploads);
  auto r = co_await call<proto::MetaUploadList>("meta.list_uploads", std::move(wire_request));
  if (!r.is_ok()) co_return r.status();
  ListUploadsResult out;
  out.uploads = take(r.value().mutable_uploads());
  out.truncated = r.value().truncated();
  co_return out;
}

Task<Result<std::vector<proto::UploadPartRecord>>> RemoteMetadataStore::abort_upload(std::string bucket,
                                                                                     std::string key,
                                                                                     std::string upload_id) {
  auto r = co_await call<proto::MetaPartList>("meta.abort_upload",
                                              upload_ref(std::move(bucket), std::move(key), std::move(upload_id)));
  if (!r.is_ok()) co_return r.status();
  co_return take(r.value().mutable_parts());
}

Task<Result<proto::ObjectVersion>> RemoteMetadataStore::complete_upload(std::string bucket, std::string key,
                                                                        std::string upload_id,
                                                                        std::vector<CompletedPart> parts,
                                                                        uint64_t min_part_bytes, uint64_t modified_ms,
                                                                        CommitConditions conditions,
                                                                        std::vector<proto::MetadataEntry> headers) {
  proto::MetaComplete request;
  *request.mutable_upload() = upload_ref(std::move(bucket), std::move(key), std::move(upload_id));
  for (CompletedPart& p : parts) {
    auto* part = request.add_parts();
    part->set_number(p.number);
    part->set_etag(std::move(p.etag));
  }
  request.set_min_part_bytes(min_part_bytes);
  request.set_modified_ms(modified_ms);
  *request.mutable_conditions() = wire(conditions);
  for (auto& h : headers) *request.add_headers() = std::move(h);
  co_return co_await call<proto::ObjectVersion>("meta.complete_upload", std::move(request));
}

Task<Result<std::vector<GarbageEntry>>> RemoteMetadataStore::list_garbage(uint64_t before_ms, size_t limit) {
  proto::MetaListGarbage request;
  request.set_before_ms(before_ms);
  request.set_limit(limit);
  auto r = co_await call<proto::MetaGarbageList>("meta.list_garbage", std::move(request));
  if (!r.is_ok()) co_return r.status();
  std::vector<GarbageEntry> out;
  for (auto& e : *r.value().mutable_entries()) {
    out.push_back(GarbageEntry{std::move(*e.mutable_id()), std::move(*e.mutable_record())});
  }
  co_return out;
}

Task<Status> RemoteMetadataStore::remove_garbage(std::vector<std::string> ids) {
  proto::MetaRemoveGarbage request;
  for (std::string& id : ids) request.add_ids(std::move(id));
  co_return co_await call_status("meta.remove_garbage", std::move(request));
}

Task<Status> RemoteMetadataStore::discard_stripes(std::string bucket, std::string key,
                                                  std::vector<proto::StripeRecord> stripes) {
  proto::MetaDiscard request;
  request.set_bucket(std::move(bucket));
  request.set_key(std::move(key));
  for (proto::StripeRecord& s : stripes) *request.add_stripes() = std::move(s);
  co_return co_await call_status("meta.discard_stripes", std::move(request));
}

Task<Status> RemoteMetadataStore::move_stripe(StripeOwner owner, uint64_t fragment_version, uint32_t number,
                                              std::vector<proto::FragmentLocation> expected,
                                              std::vector<proto::FragmentLocation> updated) {
  proto::MetaMoveStripe request;
  auto* o = request.mutable_owner();
  o->set_bucket(std::move(owner.bucket));
  o->set_key(std::move(owner.key));
  o->set_version(owner.version);
  o->set_upload_id(std::move(owner.upload_id));
  o->set_upload_part(owner.upload_part);
  request.set_fragment_version(fragment_version);
  request.set_number(number);
  for (auto& l : expected) *request.add_expected() = std::move(l);
  for (auto& l : updated) *request.add_updated() = std::move(l);
  co_return co_await call_status("meta.move_stripe", std::move(request));
}

Task<Status> RemoteMetadataStore::probe(Duration deadline) {
  // A bucket that cannot exist: NoSuchBucket is an answer like any other.
  proto::MetaBucketName request;
  auto r = co_await call<proto::BucketRecord>("meta.get_bucket", std::move(request), deadline);
  const bool answered = r.is_ok() || r.code() == Code::kNotFound;
  probe_failures_ = answered ? 0 : probe_failures_ + 1;
  co_return answered ? Status::ok() : r.status();
}

}  // namespace tessera
