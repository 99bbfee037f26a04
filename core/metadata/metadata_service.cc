#include "core/metadata/metadata_service.h"

#include "core/metadata/metadata_wire.h"
#include "metadata_rpc.pb.h"

namespace tessera {
namespace {

CommitConditions conditions_of(const proto::MetaConditions& c) {
  CommitConditions out;
  out.if_none_match_any = c.if_none_match_any();
  if (c.has_if_match()) out.if_match = c.if_match();
  return out;
}

Status too_large(const char* what) {
  return Status(Code::kUnavailable, std::string(what) + " is too large for one reply");
}

// A handler of a typed request, run against the store it is given.
template <typename Request, typename Fn>
MetadataService::StoreHandler on_store(Fn fn) {
  return [fn](MetadataStore& store, std::string payload) {
    return call_typed<Request, MetadataStore&>(fn, store, std::move(payload));
  };
}

std::string once_lock(OnceId id) { return std::to_string(id.client) + "/" + std::to_string(id.seq); }

}  // namespace

MetadataService::MetadataService(RpcEndpoint& rpc, KvMetadataStore& store, Gate gate, size_t reply_bytes_max)
    : rt_(rpc.runtime()),
      store_(store),
      gate_(std::move(gate)),
      reply_bytes_max_(reply_bytes_max),
      once_locks_(rpc.runtime()) {
  serve_buckets(rpc);
  serve_objects(rpc);
  serve_uploads(rpc);
  serve_stripes(rpc);
  serve_gated(rpc, "meta.once", [this](NodeId, std::string payload) { return once(std::move(payload)); });
}

void MetadataService::serve_gated(RpcEndpoint& rpc, std::string method, RpcEndpoint::Handler handler) {
  if (!gate_) return rpc.serve(std::move(method), std::move(handler));
  rpc.serve(std::move(method), [this, handler](NodeId from, std::string payload) -> Task<Result<std::string>> {
    Status open = co_await gate_();
    if (!open.is_ok()) co_return open;
    co_return co_await handler(from, std::move(payload));
  });
}

void MetadataService::serve(RpcEndpoint& rpc, std::string method, StoreHandler handler) {
  if (!is_metadata_read(method)) writes_.emplace(method, handler);
  serve_gated(rpc, std::move(method),
              [this, handler](NodeId, std::string payload) { return handler(store_, std::move(payload)); });
}

Task<Result<std::string>> MetadataService::once(std::string payload) {
  proto::MetaOnce request;
  if (!request.ParseFromString(payload)) co_return Status(Code::kInvalidArgument, "request does not parse as MetaOnce");
  auto write = writes_.find(request.method());
  if (write == writes_.end()) {
    co_return Status(Code::kInvalidArgument, "meta.once: " + request.method() + " is not a metadata write");
  }
  const OnceId id{request.client(), request.seq()};
  // A repeat that arrives while the first is still running here waits for
  // it, then finds its record.
  auto guard = co_await once_locks_.lock(once_lock(id));
  auto done = co_await store_.once_reply(id);
  if (!done.is_ok()) co_return done.status();
  if (done.value()) co_return std::move(*done.value());
  std::unique_ptr<KvMetadataStore> view = store_.once(id);
  co_return co_await write->second(*view, std::move(*request.mutable_payload()));
}

Task<void> MetadataService::forget_once_records(Duration every, Duration keep) {
  for (;;) {
    co_await sleep(rt_, every);
    if (gate_) {
      Status leading = co_await gate_();
      if (!leading.is_ok()) continue;  // only the leader writes
    }
    const int64_t horizon = rt_.unix_ms() - keep.us / 1000;
    if (horizon > 0) (void)co_await store_.forget_once(static_cast<uint64_t>(horizon));
  }
}

// The calls on buckets and their settings.
void MetadataService::serve_buckets(RpcEndpoint& rpc) {
  using namespace proto;
  serve(rpc, "meta.create_bucket",
        on_store<BucketRecord>([](MetadataStore& store, BucketRecord r) { return store.create_bucket(std::move(r)); }));
  serve(rpc, "meta.get_bucket",
        on_store<MetaBucketName>([](MetadataStore& store, MetaBucketName r) { return store.get_bucket(r.bucket()); }));
  serve(rpc, "meta.delete_bucket", on_store<MetaBucketName>([](MetadataStore& store, MetaBucketName r) {
          return store.delete_bucket(r.bucket());
        }));
  serve(rpc, "meta.list_buckets", on_store<MetaEmpty>([](MetadataStore& store, MetaEmpty) -> Task<Result<MetaBuckets>> {
          auto all = co_await store.list_buckets();
          if (!all.is_ok()) co_return all.status();
          MetaBuckets out;
          for (auto& b : all.value()) *out.add_buckets() = std::move(b);
          co_return out;
        }));
  serve(rpc, "meta.set_versioning", on_store<MetaSetVersioning>([](MetadataStore& store, MetaSetVersioning r) {
          return store.set_versioning(r.bucket(), r.state());
        }));
  serve(rpc, "meta.update_bucket", on_store<MetaUpdateBucket>([](MetadataStore& store, MetaUpdateBucket r) {
          return store.update_bucket(r.bucket(), std::move(*r.mutable_patch()));
        }));
}

// The calls on object versions and listings.
void MetadataService::serve_objects(RpcEndpoint& rpc) {
  using namespace proto;
  serve(rpc, "meta.update_object", on_store<MetaUpdateObject>([](MetadataStore& store, MetaUpdateObject r) {
          const MetaObjectRef& o = r.object();
          return store.update_object(o.bucket(), o.key(), o.version_id(), std::move(*r.mutable_patch()));
        }));
  serve(rpc, "meta.commit_object", on_store<MetaCommit>([](MetadataStore& store, MetaCommit r) {
          return store.commit_object(std::move(*r.mutable_version()), conditions_of(r.conditions()));
        }));
  serve(rpc, "meta.get_object", on_store<MetaObjectRef>([](MetadataStore& store, MetaObjectRef r) {
          return store.get_object(r.bucket(), r.key(), r.version_id());
        }));
  serve(rpc, "meta.delete_object",
        on_store<MetaObjectRef>([](MetadataStore& store, MetaObjectRef r) -> Task<Result<MetaDeleted>> {
          auto d = co_await store.delete_object(r.bucket(), r.key(), r.version_id());
          if (!d.is_ok()) co_return d.status();
          co_return wire_deleted(std::move(d).value());
        }));
  serve(rpc, "meta.list_objects",
        on_store<MetaListObjects>([this](MetadataStore& store, MetaListObjects r) -> Task<Result<MetaObjectList>> {
          ListRequest request{r.prefix(), r.delimiter(), r.start_after(), r.max_keys()};
          // Halve the page until its records fit one reply.
          for (;;) {
            auto page = co_await store.list_objects(r.bucket(), request);
            if (!page.is_ok()) co_return page.status();
            MetaObjectList out;
            for (auto& o : page.value().objects) *out.add_objects() = std::move(o);
            for (auto& p : page.value().common_prefixes) out.add_common_prefixes(std::move(p));
            out.set_truncated(page.value().truncated);
            out.set_next_marker(page.value().next_marker);
            if (fits(out)) co_return out;
            if (request.max_keys <= 1) co_return too_large("one object's record");
            request.max_keys /= 2;
          }
        }));
  serve(rpc, "meta.list_versions",
        on_store<MetaListVersions>([this](MetadataStore& store, MetaListVersions r) -> Task<Result<MetaVersionList>> {
          ListVersionsRequest request{r.prefix(), r.delimiter(), r.key_marker(), r.version_id_marker(), r.max_keys()};
          for (;;) {
            auto page = co_await store.list_versions(r.bucket(), request);
            if (!page.is_ok()) co_return page.status();
            MetaVersionList out;
            for (auto& e : page.value().versions) {
              auto* entry = out.add_versions();
              *entry->mutable_version() = std::move(e.version);
              entry->set_is_latest(e.is_latest);
            }
            for (auto& p : page.value().common_prefixes) out.add_common_prefixes(std::move(p));
            out.set_truncated(page.value().truncated);
            out.set_next_key_marker(page.value().next_key_marker);
            out.set_next_version_id_marker(page.value().next_version_id_marker);
            if (fits(out)) co_return out;
            if (request.max_keys <= 1) co_return too_large("one version's record");
            request.max_keys /= 2;
          }
        }));
}

// The calls on multipart uploads.
void MetadataService::serve_uploads(RpcEndpoint& rpc) {
  using namespace proto;
  serve(rpc, "meta.create_upload",
        on_store<UploadRecord>([](MetadataStore& store, UploadRecord r) { return store.create_upload(std::move(r)); }));
  serve(rpc, "meta.get_upload", on_store<MetaUploadRef>([](MetadataStore& store, MetaUploadRef r) {
          return store.get_upload(r.bucket(), r.key(), r.upload_id());
        }));
  serve(rpc, "meta.put_upload_part",
        on_store<MetaPutPart>([](MetadataStore& store, MetaPutPart r) -> Task<Result<MetaReplacedPart>> {
          const MetaUploadRef& u = r.upload();
          auto replaced =
              co_await store.put_upload_part(u.bucket(), u.key(), u.upload_id(), std::move(*r.mutable_part()));
          if (!replaced.is_ok()) co_return replaced.status();
          co_return wire_replaced(std::move(replaced).value());
        }));
  serve(rpc, "meta.list_upload_parts",
        on_store<MetaListParts>([this](MetadataStore& store, MetaListParts r) -> Task<Result<MetaPartList>> {
          const MetaUploadRef& u = r.upload();
          uint32_t max_parts = r.max_parts();
          for (;;) {
            auto page = co_await store.list_upload_parts(u.bucket(), u.key(), u.upload_id(), r.after_part(), max_parts);
            if (!page.is_ok()) co_return page.status();
            MetaPartList out;
            for (auto& p : page.value().parts) *out.add_parts() = std::move(p);
            out.set_truncated(page.value().truncated);
            if (fits(out)) co_return out;
            if (max_parts <= 1) co_return too_large("one part's record");
            max_parts /= 2;
          }
        }));
  serve(rpc, "meta.list_uploads",
        on_store<MetaListUploads>([](MetadataStore& store, MetaListUploads r) -> Task<Result<MetaUploadList>> {
          ListUploadsRequest request{r.prefix(), r.key_marker(), r.upload_id_marker(), r.max_uploads()};
          auto page = co_await store.list_uploads(r.bucket(), request);
          if (!page.is_ok()) co_return page.status();
          MetaUploadList out;
          for (auto& u : page.value().uploads) *out.add_uploads() = std::move(u);
          out.set_truncated(page.value().truncated);
          co_return out;
        }));
  serve(rpc, "meta.abort_upload",
        on_store<MetaUploadRef>([this](MetadataStore& store, MetaUploadRef r) -> Task<Result<MetaPartList>> {
          auto parts = co_await store.abort_upload(r.bucket(), r.key(), r.upload_id());
          if (!parts.is_ok()) co_return parts.status();
          MetaPartList out = wire_parts(std::move(parts).value());
          // The abort is done and the store recorded the parts' stripes
          // as garbage: a list too long for a reply is left out.
          if (!fits(out)) out.clear_parts();
          co_return out;
        }));
  serve(rpc, "meta.complete_upload", on_store<MetaComplete>([](MetadataStore& store, MetaComplete r) {
          std::vector<CompletedPart> parts;
          for (const auto& p : r.parts()) parts.push_back(CompletedPart{p.number(), p.etag()});
          const MetaUploadRef& u = r.upload();
          return store.complete_upload(u.bucket(), u.key(), u.upload_id(), std::move(parts), r.min_part_bytes(),
                                       r.modified_ms(), conditions_of(r.conditions()),
                                       {r.headers().begin(), r.headers().end()});
        }));
}

// The calls on garbage records and stripe moves (GC and repair).
void MetadataService::serve_stripes(RpcEndpoint& rpc) {
  using namespace proto;
  serve(rpc, "meta.list_garbage",
        on_store<MetaListGarbage>([this](MetadataStore& store, MetaListGarbage r) -> Task<Result<MetaGarbageList>> {
          auto entries = co_await store.list_garbage(r.before_ms(), r.limit());
          if (!entries.is_ok()) co_return entries.status();
          MetaGarbageList out;
          for (auto& e : entries.value()) {
            auto* entry = out.add_entries();
            entry->set_id(std::move(e.id));
            *entry->mutable_record() = std::move(e.record);
          }
          // Not cut short: a caller may take a short list for all there is.
          if (!fits(out)) co_return too_large("the garbage list");
          co_return out;
        }));
  serve(rpc, "meta.remove_garbage", on_store<MetaRemoveGarbage>([](MetadataStore& store, MetaRemoveGarbage r) {
          return store.remove_garbage(std::vector<std::string>(r.ids().begin(), r.ids().end()));
        }));
  serve(rpc, "meta.discard_stripes", on_store<MetaDiscard>([](MetadataStore& store, MetaDiscard r) {
          return store.discard_stripes(r.bucket(), r.key(),
                                       std::vector<StripeRecord>(r.stripes().begin(), r.stripes().end()));
        }));
  serve(rpc, "meta.move_stripe", on_store<MetaMoveStripe>([](MetadataStore& store, MetaMoveStripe r) {
          const MetaStripeOwner& o = r.owner();
          return store.move_stripe(StripeOwner{o.bucket(), o.key(), o.version(), o.upload_id(), o.upload_part()},
                                   r.fragment_version(), r.number(),
                                   std::vector<FragmentLocation>(r.expected().begin(), r.expected().end()),
                                   std::vector<FragmentLocation>(r.updated().begin(), r.updated().end()));
        }));
}

}  // namespace tessera
