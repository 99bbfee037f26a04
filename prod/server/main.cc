// tessera-server: the production S3 server. With no arguments it runs the
// embedded default: one process with every role (gateway, metadata,
// storage), 14 disk directories under ./tessera-data, k=10 m=4 with the
// disk as failure domain, S3 on 127.0.0.1:9000.
#include <sys/stat.h>

#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "core/gateway/object_gateway.h"
#include "core/storage/storage_service.h"
#include "prod/asio_runtime.h"
#include "prod/file_disk.h"
#include "prod/local_network.h"
#include "prod/rocks_kv.h"
#include "prod/s3/http_server.h"

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

void log(const std::string& level, const std::string& msg) {
  std::cerr << "{\"level\":\"" << level << "\",\"msg\":\"" << msg << "\"}" << std::endl;
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
    if (!users.empty()) {
      log("info", "credentials from " + file.string());
      return users;
    }
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

}  // namespace

int main(int argc, char** argv) {
  po::options_description opts(
      "tessera-server: an S3-compatible, erasure-coded object store\n\n"
      "With no arguments: one process with every role, 14 disks under ./tessera-data,\n"
      "10+4 erasure coding across disks, S3 on http://127.0.0.1:9000.\n"
      "Credentials: TESSERA_ACCESS_KEY / TESSERA_SECRET_KEY, else generated once and\n"
      "kept in <data-dir>/credentials.\n\nOptions");
  opts.add_options()("help,h", "show this help")                                                      //
      ("data-dir", po::value<std::string>()->default_value("./tessera-data"), "data folder: disks and metadata")  //
      ("listen", po::value<std::string>()->default_value("127.0.0.1"), "S3 listen address")            //
      ("port", po::value<uint16_t>()->default_value(9000), "S3 port (0 picks a free one)")              //
      ("disks", po::value<uint32_t>()->default_value(14), "disk directories in the data folder")        //
      ("k", po::value<uint32_t>()->default_value(10), "data fragments per stripe (STANDARD class)")    //
      ("m", po::value<uint32_t>()->default_value(4), "parity fragments per stripe (STANDARD class)")   //
      ("part-mib", po::value<uint32_t>()->default_value(8), "stripe size in MiB")                      //
      ("users", po::value<std::string>(), "file of access-key:secret lines (several users)")          //
      ("domain", po::value<std::string>()->default_value("localhost"),
       "virtual-hosted-style base domain (Host: <bucket>.<domain>)")                                      //
      ("region", po::value<std::string>()->default_value("us-east-1"), "region reported to clients")  //
      ("log-level", po::value<std::string>()->default_value("info"),
       "info (server errors only) or debug (one JSON line per request, with its request id)");
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
  const uint32_t disks_n = vm["disks"].as<uint32_t>(), k = vm["k"].as<uint32_t>(), m = vm["m"].as<uint32_t>();
  if (k < 1 || m < 1 || k + m > disks_n || k + m > 32) {
    std::cerr << "tessera-server: need 1 <= k, 1 <= m, k + m <= 32 and k + m <= --disks (" << disks_n << ")\n";
    return 2;
  }
  const fs::path data = vm["data-dir"].as<std::string>();
  std::error_code fs_ec;
  fs::create_directories(data, fs_ec);
  if (fs_ec) {
    std::cerr << "tessera-server: cannot create " << data << ": " << fs_ec.message() << "\n";
    return 2;
  }

  boost::asio::io_context io;
  prod::AsioRuntime rt(io, 2, prod::os_random_seed());
  std::map<std::string, std::string> users;
  try {
    users = load_users(data, vm.count("users") ? vm["users"].as<std::string>() : "", rt.random());
  } catch (const std::exception& e) {
    std::cerr << "tessera-server: " << e.what() << "\n";
    return 2;
  }

  prod::LocalNetwork net(io, NodeId(0));
  RpcEndpoint rpc(rt, net);
  std::vector<std::unique_ptr<prod::FileDisk>> disks;
  std::vector<Disk*> disk_ptrs;
  std::vector<DiskInfo> infos;
  for (uint32_t d = 0; d < disks_n; ++d) {
    char name[16];
    std::snprintf(name, sizeof name, "disk%02u", d);
    auto disk = prod::FileDisk::open(io, (data / name).string());
    if (!disk.is_ok()) {
      std::cerr << "tessera-server: " << disk.status().to_string() << "\n";
      return 2;
    }
    disk_ptrs.push_back(disk.value().get());
    disks.push_back(std::move(disk).value());
    const auto space = fs::space(data / name, fs_ec);
    infos.push_back(DiskInfo{DiskRef{0, d}, 0, d, fs_ec ? (1ull << 40) : space.capacity, 0, true});
  }
  StorageService storage(rt, rpc, disk_ptrs);
  auto kv = prod::RocksKv::open(io, (data / "metadata").string());
  if (!kv.is_ok()) {
    std::cerr << "tessera-server: " << kv.status().to_string() << "\n";
    return 2;
  }
  KvMetadataStore metadata(rt, *kv.value());
  GatewayConfig config;
  config.storage_classes = {StorageClass{"STANDARD", k, m, FailureDomain::kDisk},
                            StorageClass{"REDUCED_REDUNDANCY", std::min(k, disks_n - 2), 2, FailureDomain::kDisk}};
  config.part_bytes = uint64_t{vm["part-mib"].as<uint32_t>()} << 20;
  config.fragment_deadline = Duration::seconds(60);
  ObjectGateway gateway(rt, rpc, metadata, infos, config);
  prod::s3::S3Config s3_config;
  s3_config.users = users;
  s3_config.domain = vm["domain"].as<std::string>();
  s3_config.region = vm["region"].as<std::string>();
  const std::string level = vm["log-level"].as<std::string>();
  if (level != "info" && level != "debug") {
    std::cerr << "tessera-server: --log-level must be info or debug\n";
    return 2;
  }
  s3_config.log_requests = level == "debug";
  prod::s3::S3Service s3(rt, gateway, s3_config);
  prod::s3::HttpServer server(rt, io, s3, [&] {
    std::map<std::string, double> g;
    const auto& st = gateway.stats();
    g["tessera_fragments_written_total"] = static_cast<double>(st.fragments_written);
    g["tessera_fragment_write_failures_total"] = static_cast<double>(st.fragment_write_failures);
    g["tessera_fragments_read_total"] = static_cast<double>(st.fragments_read);
    g["tessera_fragment_read_failures_total"] = static_cast<double>(st.fragment_read_failures);
    g["tessera_stripes_decoded_total"] = static_cast<double>(st.parts_decoded);
    for (uint32_t d = 0; d < disks_n; ++d) {
      char name[16];
      std::snprintf(name, sizeof name, "disk%02u", d);
      std::error_code ec;
      const auto space = fs::space(data / name, ec);
      if (!ec && space.capacity > 0) {
        g["tessera_disk_fill_ratio{disk=\"" + std::string(name) + "\"}"] =
            1.0 - static_cast<double>(space.available) / static_cast<double>(space.capacity);
      }
    }
    return g;
  });
  const std::string address = vm["listen"].as<std::string>();
  if (Status s = server.listen(address, vm["port"].as<uint16_t>()); !s.is_ok()) {
    std::cerr << "tessera-server: " << s.message() << "\n";
    return 2;
  }
  server.start();
  server.set_ready(true);
  std::cout << "Tessera S3 on http://" << address << ":" << server.port() << " (data in " << data.string() << ", "
            << k << "+" << m << " over " << disks_n << " disks)\n"
            << std::flush;

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  std::function<void()> drain;
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    log("info", "shutting down: draining in-flight requests");
    server.begin_shutdown();
    drain = [&] {
      if (server.in_flight() == 0) {
        io.stop();
        return;
      }
      rt.post_after(Duration::millis(50), drain);
    };
    drain();
  });
  io.run();
  rt.stop();
  log("info", "stopped");
  return 0;
}
