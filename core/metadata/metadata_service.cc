#include "core/metadata/metadata_service.h"

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

}  // namespace

MetadataService::MetadataService(RpcEndpoint& rpc, MetadataStore& store, Gate gate, size_t reply_bytes_max)
    : store_(store), gate_(std::move(gate)), reply_bytes_max_(reply_bytes_max) {
  serve_buckets(rpc);
  serve_objects(rpc);
  serve_uploads(rpc);
  serve_stripes(rpc);
}

void MetadataService::serve(RpcEndpoint& rpc, std::string method, RpcEndpoint::Handler handler) {
  if (!gate_) return rpc.serve(std::move(method), std::move(handler));
  rpc.serve(std::move(method), [this, handler](NodeId from, std::string payload) -> Task<Result<std::string>> {
    Status open = co_await gate_();
    if (!open.is_ok()) co_return open;
    co_return co_await handler(from, std::move(payload));
  });
}

// The calls on buckets and their settings.
void MetadataService::serve_buckets(RpcEndpoint& rpc) {
  using namespace proto;
  serve(rpc, "meta.create_bucket", typed_handler<BucketRecord>([this](NodeId, BucketRecord r) {
              return store_.create_bucket(std::move(r));
            }));
  serve(rpc, "meta.get_bucket", typed_handler<MetaBucketName>([this](NodeId, MetaBucketName r) {
              return store_.get_bucket(r.bucket());
            }));
  serve(rpc, "meta.delete_bucket", typed_handler<MetaBucketName>([this](NodeId, MetaBucketName r) {
              return store_.delete_bucket(r.bucket());
            }));
  serve(rpc, "meta.list_buckets",
            typed_handler<MetaEmpty>([this](NodeId, MetaEmpty) -> Task<Result<MetaBuckets>> {
              auto all = co_await store_.list_buckets();
              if (!all.is_ok()) co_return all.status();
              MetaBuckets out;
              for (auto& b : all.value()) *out.add_buckets() = std::move(b);
              co_return out;
            }));
  serve(rpc, "meta.set_versioning", typed_handler<MetaSetVersioning>([this](NodeId, MetaSetVersioning r) {
              return store_.set_versioning(r.bucket(), r.state());
            }));
  serve(rpc, "meta.update_bucket", typed_handler<MetaUpdateBucket>([this](NodeId, MetaUpdateBucket r) {
              return store_.update_bucket(r.bucket(), std::move(*r.mutable_patch()));
            }));
}

// The calls on object versions and listings.
void MetadataService::serve_objects(RpcEndpoint& rpc) {
  using namespace proto;
  serve(rpc, "meta.update_object", typed_handler<MetaUpdateObject>([this](NodeId, MetaUpdateObject r) {
              const MetaObjectRef& o = r.object();
              return store_.update_object(o.bucket(), o.key(), o.version_id(), std::move(*r.mutable_patch()));
            }));
  serve(rpc, "meta.commit_object", typed_handler<MetaCommit>([this](NodeId, MetaCommit r) {
              return store_.commit_object(std::move(*r.mutable_version()), conditions_of(r.conditions()));
            }));
  serve(rpc, "meta.get_object", typed_handler<MetaObjectRef>([this](NodeId, MetaObjectRef r) {
              return store_.get_object(r.bucket(), r.key(), r.version_id());
            }));
  serve(rpc, "meta.delete_object",
            typed_handler<MetaObjectRef>([this](NodeId, MetaObjectRef r) -> Task<Result<MetaDeleted>> {
              auto d = co_await store_.delete_object(r.bucket(), r.key(), r.version_id());
              if (!d.is_ok()) co_return d.status();
              MetaDeleted out;
              out.set_version_id(d.value().version_id);
              out.set_delete_marker(d.value().delete_marker);
              if (d.value().removed) *out.mutable_removed() = std::move(*d.value().removed);
              co_return out;
            }));
  serve(rpc, "meta.list_objects",
            typed_handler<MetaListObjects>([this](NodeId, MetaListObjects r) -> Task<Result<MetaObjectList>> {
              ListRequest request{r.prefix(), r.delimiter(), r.start_after(), r.max_keys()};
              // Halve the page until its records fit one reply.
              for (;;) {
                auto page = co_await store_.list_objects(r.bucket(), request);
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
            typed_handler<MetaListVersions>([this](NodeId, MetaListVersions r) -> Task<Result<MetaVersionList>> {
              ListVersionsRequest request{r.prefix(), r.delimiter(), r.key_marker(), r.version_id_marker(),
                                          r.max_keys()};
              for (;;) {
                auto page = co_await store_.list_versions(r.bucket(), request);
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
  serve(rpc, "meta.create_upload", typed_handler<UploadRecord>([this](NodeId, UploadRecord r) {
              return store_.create_upload(std::move(r));
            }));
  serve(rpc, "meta.get_upload", typed_handler<MetaUploadRef>([this](NodeId, MetaUploadRef r) {
              return store_.get_upload(r.bucket(), r.key(), r.upload_id());
            }));
  serve(rpc, "meta.put_upload_part",
            typed_handler<MetaPutPart>([this](NodeId, MetaPutPart r) -> Task<Result<MetaReplacedPart>> {
              const MetaUploadRef& u = r.upload();
              auto replaced = co_await store_.put_upload_part(u.bucket(), u.key(), u.upload_id(),
                                                              std::move(*r.mutable_part()));
              if (!replaced.is_ok()) co_return replaced.status();
              MetaReplacedPart out;
              if (replaced.value()) *out.mutable_replaced() = std::move(*replaced.value());
              co_return out;
            }));
  serve(rpc, "meta.list_upload_parts",
            typed_handler<MetaListParts>([this](NodeId, MetaListParts r) -> Task<Result<MetaPartList>> {
              const MetaUploadRef& u = r.upload();
              uint32_t max_parts = r.max_parts();
              for (;;) {
                auto page = co_await store_.list_upload_parts(u.bucket(), u.key(), u.upload_id(), r.after_part(),
                                                              max_parts);
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
            typed_handler<MetaListUploads>([this](NodeId, MetaListUploads r) -> Task<Result<MetaUploadList>> {
              ListUploadsRequest request{r.prefix(), r.key_marker(), r.upload_id_marker(), r.max_uploads()};
              auto page = co_await store_.list_uploads(r.bucket(), request);
              if (!page.is_ok()) co_return page.status();
              MetaUploadList out;
              for (auto& u : page.value().uploads) *out.add_uploads() = std::move(u);
              out.set_truncated(page.value().truncated);
              co_return out;
            }));
  serve(rpc, "meta.abort_upload",
            typed_handler<MetaUploadRef>([this](NodeId, MetaUploadRef r) -> Task<Result<MetaPartList>> {
              auto parts = co_await store_.abort_upload(r.bucket(), r.key(), r.upload_id());
              if (!parts.is_ok()) co_return parts.status();
              MetaPartList out;
              for (auto& p : parts.value()) *out.add_parts() = std::move(p);
              // The abort is done and the store recorded the parts' stripes
              // as garbage: a list too long for a reply is left out.
              if (!fits(out)) out.clear_parts();
              co_return out;
            }));
  serve(rpc, "meta.complete_upload", typed_handler<MetaComplete>([this](NodeId, MetaComplete r) {
              std::vector<CompletedPart> parts;
              for (const auto& p : r.parts()) parts.push_back(CompletedPart{p.number(), p.etag()});
              const MetaUploadRef& u = r.upload();
              return store_.complete_upload(u.bucket(), u.key(), u.upload_id(), std::move(parts),
                                            r.min_part_bytes(), r.modified_ms(), conditions_of(r.conditions()),
                                            {r.headers().begin(), r.headers().end()});
            }));
}

// The calls on garbage records and stripe moves (GC and repair).
void MetadataService::serve_stripes(RpcEndpoint& rpc) {
  using namespace proto;
  serve(rpc, "meta.list_garbage",
            typed_handler<MetaListGarbage>([this](NodeId, MetaListGarbage r) -> Task<Result<MetaGarbageList>> {
              auto entries = co_await store_.list_garbage(r.before_ms(), r.limit());
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
  serve(rpc, "meta.remove_garbage", typed_handler<MetaRemoveGarbage>([this](NodeId, MetaRemoveGarbage r) {
              return store_.remove_garbage(std::vector<std::string>(r.ids().begin(), r.ids().end()));
            }));
  serve(rpc, "meta.discard_stripes", typed_handler<MetaDiscard>([this](NodeId, MetaDiscard r) {
              return store_.discard_stripes(
                  r.bucket(), r.key(), std::vector<StripeRecord>(r.stripes().begin(), r.stripes().end()));
            }));
  serve(rpc, "meta.move_stripe", typed_handler<MetaMoveStripe>([this](NodeId, MetaMoveStripe r) {
              const MetaStripeOwner& o = r.owner();
              return store_.move_stripe(
                  StripeOwner{o.bucket(), o.key(), o.version(), o.upload_id(), o.upload_part()}, r.fragment_version(),
                  r.number(), std::vector<FragmentLocation>(r.expected().begin(), r.expected().end()),
                  std::vector<FragmentLocation>(r.updated().begin(), r.updated().end()));
            }));
}

}  // namespace tessera
