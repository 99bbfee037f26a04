// The roles a tessera-server process plays. The embedded default is one
// process with all of them over an in-process network; in a cluster each
// process reads the cluster file and plays its node's role over TCP.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "cluster.pb.h"

namespace tessera::prod {

struct ServerOptions {
  std::string data_dir = "./tessera-data";
  std::string listen = "127.0.0.1";
  uint16_t port = 9000;
  uint32_t disks = 14;
  uint32_t k = 10;
  uint32_t m = 4;
  uint32_t part_mib = 8;
  std::map<std::string, std::string> users;  // access key -> secret
  std::string admin_key;                     // the admin endpoint's bearer key
  std::string domain = "localhost";
  std::string region = "us-east-1";
  bool log_requests = false;
  // Fragments that became garbage are deleted after this long (reads in
  // flight may still be using them).
  uint32_t gc_grace_s = 300;
  // Repair (gateway): a pass every repair_interval_s (0: off), rebuilding
  // at most repair_mib_s. Scrub (storage): re-reads every fragment once per
  // scrub_interval_s at most scrub_mib_s per node (0: off).
  uint32_t repair_interval_s = 60;
  // Repair passes also delete fragments nothing has referenced for this
  // long (a PUT that died before its commit); longer than any PUT (0: off).
  uint32_t orphan_grace_s = 86400;
  uint32_t repair_mib_s = 64;
  // A storage node silent this long counts out: repair rebuilds what it
  // held on other disks (Ceph's mon_osd_down_out_interval); one back
  // sooner (a restart, a flap) was only down (0: never out).
  uint32_t node_out_s = 600;
  uint32_t scrub_interval_s = 86400;
  uint32_t scrub_mib_s = 16;
  // What one S3 client may hold (s3::HttpLimits).
  uint32_t idle_timeout_s = 60;
  uint32_t header_timeout_s = 20;
  uint32_t body_timeout_s = 20;
  uint32_t send_timeout_s = 60;
  uint32_t connections_max = 1000;
  uint32_t body_buffer_mib = 256;
};

// Each returns the process exit status: 0 after a clean shutdown (SIGINT or
// SIGTERM), 2 when it cannot start (a message on stderr says why).
int run_embedded(const ServerOptions& options);
int run_cluster_node(const ServerOptions& options, const proto::ClusterFile& cluster, uint32_t node_id);

// "" when the cluster file can run, else what is wrong with it.
std::string validate_cluster(const proto::ClusterFile& cluster);

}  // namespace tessera::prod
