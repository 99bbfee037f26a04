// The process around a node: the S3 front end over its gateway (HTTP, its
// bounds, /metrics, readiness), log lines, and the loop until a signal.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "core/node/node.h"
#include "prod/admin/admin_api.h"
#include "prod/asio_runtime.h"
#include "prod/s3/http_server.h"
#include "prod/server/roles.h"

namespace tessera::prod {

void log_line(const std::string& level, const std::string& msg);

// Logs the metadata replica's state each time it changes: leader,
// follower, recovering after its disk was lost (it casts no vote until it
// has caught up), halted.
Task<void> log_replica_state(AsioRuntime& rt, const RaftReplica& replica);

// The background settings of a node from the options: GC, repair (with its
// orphan sweep), scrub, and the log lines each pass writes.
void plan_background(const ServerOptions& o, NodePlan& plan);

struct FrontEnd {
  std::unique_ptr<s3::S3Service> s3;
  std::unique_ptr<s3::HttpServer> server;
  std::unique_ptr<AdminApi> admin;
};

// Serves S3 for node's gateway on address:port, and the admin endpoint
// (prod/admin/admin_api.h) with o.admin_key. extra_metrics (may be empty)
// adds gauges to /metrics; replicas are the metadata group's replicas in
// this process (the admin status shows them). Ready at once, or while the
// metadata node answers when the node's metadata is remote.
Result<FrontEnd> start_front_end(boost::asio::io_context& io, AsioRuntime& rt, const ServerOptions& o, Node& node,
                                 const std::string& address, uint16_t port,
                                 std::function<std::map<std::string, double>()> extra_metrics,
                                 std::vector<const RaftReplica*> replicas = {});

// Runs the loop until SIGINT/SIGTERM, then drains in-flight requests.
void serve_until_signal(boost::asio::io_context& io, AsioRuntime& rt, s3::HttpServer* server);

}  // namespace tessera::prod
