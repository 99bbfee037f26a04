// tessera-server: the production S3 server. With no arguments it runs the
// embedded default: one process with every role (gateway, metadata,
// storage), 14 disk directories under ./tessera-data, k=10 m=4 with the
// disk as failure domain, S3 on 127.0.0.1:9000. With --cluster FILE
// --node ID it plays that node's role in a multi-process cluster.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/program_options.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "io_abstraction/random.h"
#include "proto/text_file.h"
#include "prod/asio_runtime.h"
#include "prod/server/roles.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace tessera;

namespace {

std::string random_token(Random& random, size_t n, const char* alphabet) {
  const size_t size = std::strlen(alphabet);
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(alphabet[random.below(size)]);
  return out;
}

// Credentials: the environment, else the data folder's file, else new ones
// (written there, printed once).
std::map<std::string, std::string> load_users(const fs::path& data, const std::string& users_file, Random& random) {
  std::map<std::string, std::string> users;
  auto read_file = [&](const fs::path& p) {
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) {
      const size_t colon = line.find(':');
      if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
      users[line.substr(0, colon)] = line.substr(colon + 1);
    }
  };
  if (!users_file.empty()) {
    if (!fs::exists(users_file)) throw std::runtime_error("users file " + users_file + " does not exist");
    read_file(users_file);
  }
  const char* env_key = std::getenv("TESSERA_ACCESS_KEY");
  const char* env_secret = std::getenv("TESSERA_SECRET_KEY");
  if (env_key && env_secret && *env_key && *env_secret) {
    users[env_key] = env_secret;
    return users;
  }
  if (!users.empty()) return users;
  const fs::path file = data / "credentials";
  if (fs::exists(file)) {
    read_file(file);
    if (!users.empty()) return users;
  }
  const std::string key = "TS" + random_token(random, 18, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  const std::string secret =
      random_token(random, 40, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  {
    std::ofstream out(file);
    out << key << ":" << secret << "\n";
  }
  ::chmod(file.c_str(), 0600);
  std::cout << "Generated credentials (saved in " << file.string() << "):\n"
            << "  export AWS_ACCESS_KEY_ID=" << key << "\n"
            << "  export AWS_SECRET_ACCESS_KEY=" << secret << "\n"
            << std::flush;
  users[key] = secret;
  return users;
}

std::string read_admin_key(const fs::path& file) {
  std::ifstream in(file);
  std::string key;
  std::getline(in, key);
  while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
  if (key.empty()) throw std::runtime_error(file.string() + " is empty: delete it for a new key");
  return key;
}

// The admin endpoint's key: TESSERA_ADMIN_KEY, else <data>/admin-key,
// else a new one written there (mode 0600; tessera-admin reads it there).
// Gateways of a cluster on one host share the file: it appears whole or
// not at all (link(2) of a written temporary), and the first one wins.
std::string load_admin_key(const fs::path& data, Random& random) {
  if (const char* env = std::getenv("TESSERA_ADMIN_KEY"); env && *env) return env;
  const fs::path file = data / "admin-key";
  if (fs::exists(file)) return read_admin_key(file);
  const std::string key = random_token(random, 40, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
  const fs::path temp = data / ("admin-key." + random_token(random, 12, "abcdefghijklmnopqrstuvwxyz0123456789"));
  {
    std::ofstream out(temp);
    out << key << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + temp.string());
  }
  ::chmod(temp.c_str(), 0600);
  const bool created = ::link(temp.c_str(), file.c_str()) == 0;
  const int link_errno = errno;
  fs::remove(temp);
  if (!created && link_errno != EEXIST) throw std::runtime_error("cannot create " + file.string() + ": " + std::strerror(link_errno));
  if (!created) return read_admin_key(file);
  return key;  // the banner says where it is
}

// Gateways serve the admin endpoint; other nodes need no key.
bool serves_admin(const std::optional<proto::ClusterFile>& cluster, uint32_t node) {
  if (!cluster) return true;
  for (const auto& n : cluster->nodes()) {
    if (n.id() == node) return n.role() == "gateway";
  }
  return false;
}

// The command line: every option, bound to o.
po::options_description options_for(prod::ServerOptions& o) {
  po::options_description opts(
      "tessera-server: an S3-compatible, erasure-coded object store\n\n"
      "With no arguments: one process with every role, 14 disks under ./tessera-data,\n"
      "10+4 erasure coding across disks, S3 on http://127.0.0.1:9000.\n"
      "With --cluster FILE --node ID: that node's role (gateway, metadata or storage)\n"
      "in a multi-process cluster (see clusters/ and scripts/cluster.sh).\n"
      "Credentials: TESSERA_ACCESS_KEY / TESSERA_SECRET_KEY, else --users, else generated\n"
      "once and kept in <data-dir>/credentials. The admin key (tessera-admin):\n"
      "TESSERA_ADMIN_KEY, else generated once and kept in <data-dir>/admin-key.\n\nOptions");
  opts.add_options()("help,h", "show this help")  //
      ("data-dir", po::value<std::string>(&o.data_dir)->default_value(o.data_dir),
       "data folder: disks and metadata (cluster nodes use <data-dir>/node<ID>)")  //
      ("listen", po::value<std::string>(&o.listen)->default_value(o.listen), "S3 listen address (embedded)")  //
      ("port", po::value<uint16_t>(&o.port)->default_value(o.port), "S3 port, 0 picks a free one (embedded)")  //
      ("disks", po::value<uint32_t>(&o.disks)->default_value(o.disks), "disk directories (embedded)")  //
      ("k", po::value<uint32_t>(&o.k)->default_value(o.k), "data fragments per stripe (embedded)")  //
      ("m", po::value<uint32_t>(&o.m)->default_value(o.m), "parity fragments per stripe (embedded)")  //
      ("part-mib", po::value<uint32_t>(&o.part_mib)->default_value(o.part_mib), "stripe size in MiB (embedded)")  //
      ("cluster", po::value<std::string>(), "cluster file (Protobuf text of proto/cluster.proto)")  //
      ("node", po::value<uint32_t>(), "this process's node id in the cluster file")  //
      ("print-nodes", "with --cluster: print 'id role address port s3_port' per node and exit")  //
      ("users", po::value<std::string>(), "file of access-key:secret lines (several users)")  //
      ("domain", po::value<std::string>(&o.domain)->default_value(o.domain),
       "virtual-hosted-style base domain (Host: <bucket>.<domain>)")  //
      ("region", po::value<std::string>(&o.region)->default_value(o.region), "region reported to clients")  //
      ("gc-grace-s", po::value<uint32_t>(&o.gc_grace_s)->default_value(o.gc_grace_s),
       "seconds before the fragments of overwritten or deleted objects are deleted")  //
      ("repair-interval-s", po::value<uint32_t>(&o.repair_interval_s)->default_value(o.repair_interval_s),
       "seconds between repair passes, which rebuild lost or corrupt fragments (0: off)")  //
      ("orphan-grace-s", po::value<uint32_t>(&o.orphan_grace_s)->default_value(o.orphan_grace_s),
       "repair also deletes fragments nothing has referenced for this long, e.g. of PUTs that died "
       "before their commit; keep it above the longest upload (0: off)")  //
      ("node-out-s", po::value<uint32_t>(&o.node_out_s)->default_value(o.node_out_s),
       "seconds a storage node may be silent before repair rebuilds its fragments elsewhere (0: never)")  //
      ("repair-mib-s", po::value<uint32_t>(&o.repair_mib_s)->default_value(o.repair_mib_s),
       "repair's budget of fragment bytes read and written, MiB/s")  //
      ("scrub-interval-s", po::value<uint32_t>(&o.scrub_interval_s)->default_value(o.scrub_interval_s),
       "seconds from one scrub pass (re-read and verify every fragment) to the next")  //
      ("scrub-mib-s", po::value<uint32_t>(&o.scrub_mib_s)->default_value(o.scrub_mib_s),
       "scrub's read budget per storage process, MiB/s (0: scrub off)")  //
      ("idle-timeout-s", po::value<uint32_t>(&o.idle_timeout_s)->default_value(o.idle_timeout_s),
       "a kept-alive S3 connection with no request for this long is closed")  //
      ("header-timeout-s", po::value<uint32_t>(&o.header_timeout_s)->default_value(o.header_timeout_s),
       "a request's header must arrive whole within this long of its first byte")  //
      ("body-timeout-s", po::value<uint32_t>(&o.body_timeout_s)->default_value(o.body_timeout_s),
       "an upload that sends no body byte for this long gets 400 RequestTimeout and stores nothing")  //
      ("send-timeout-s", po::value<uint32_t>(&o.send_timeout_s)->default_value(o.send_timeout_s),
       "a response the client reads nothing of for this long is cut")  //
      ("connections-max", po::value<uint32_t>(&o.connections_max)->default_value(o.connections_max),
       "open S3 connections; beyond, new ones get 503 SlowDown")  //
      ("body-buffer-mib", po::value<uint32_t>(&o.body_buffer_mib)->default_value(o.body_buffer_mib),
       "request-body bytes all uploads together may hold in memory; at the cap socket reads pause")  //
      ("log-level", po::value<std::string>()->default_value("info"),
       "info (server errors only) or debug (one JSON line per request, with its request id)");
  return opts;
}

// Reads and checks --cluster into *cluster; an exit status (2) on a problem.
std::optional<int> load_cluster(const po::variables_map& vm, std::optional<proto::ClusterFile>* cluster) {
  if (vm.count("cluster") != vm.count("node") && !(vm.count("cluster") && vm.count("print-nodes"))) {
    std::cerr << "tessera-server: --cluster and --node go together\n";
    return 2;
  }
  if (!vm.count("cluster")) return std::nullopt;
  const std::string path = vm["cluster"].as<std::string>();
  auto text = read_whole_file(path);
  cluster->emplace();
  Status parsed = text.is_ok() ? parse_text_proto(text.value(), path, &**cluster) : text.status();
  const std::string problem = parsed.is_ok() ? prod::validate_cluster(**cluster) : parsed.message();
  if (!problem.empty()) {
    std::cerr << "tessera-server: " << (parsed.is_ok() ? path + ": " : "") << problem << "\n";
    return 2;
  }
  if (vm.count("print-nodes")) {
    for (const auto& n : (*cluster)->nodes()) {
      std::cout << n.id() << " " << n.role() << " " << n.address() << " " << n.port() << " " << n.s3_port() << "\n";
    }
    return 0;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  prod::ServerOptions o;
  po::options_description opts = options_for(o);
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, opts), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "tessera-server: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << opts << "\n";
    return 0;
  }
  const std::string level = vm["log-level"].as<std::string>();
  if (level != "info" && level != "debug") {
    std::cerr << "tessera-server: --log-level must be info or debug\n";
    return 2;
  }
  o.log_requests = level == "debug";
  std::optional<proto::ClusterFile> cluster;
  if (auto done = load_cluster(vm, &cluster)) return *done;
  const fs::path data = o.data_dir;
  std::error_code fs_ec;
  fs::create_directories(data, fs_ec);
  if (fs_ec) {
    std::cerr << "tessera-server: cannot create " << data << ": " << fs_ec.message() << "\n";
    return 2;
  }
  Random random(prod::os_random_seed());
  try {
    o.users = load_users(data, vm.count("users") ? vm["users"].as<std::string>() : "", random);
    if (serves_admin(cluster, cluster ? vm["node"].as<uint32_t>() : 0)) o.admin_key = load_admin_key(data, random);
  } catch (const std::exception& e) {
    std::cerr << "tessera-server: " << e.what() << "\n";
    return 2;
  }
  if (cluster) return prod::run_cluster_node(o, *cluster, vm["node"].as<uint32_t>());
  return prod::run_embedded(o);
}
