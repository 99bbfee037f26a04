// tessera-admin: what a Tessera cluster is doing, from a gateway's admin
// endpoint (prod/admin/admin_api.h), as tables or --json:
//   tessera-admin status | heal | scrub | gc | lost
//   tessera-admin durability [--k --m --disks ...]   (a model; no server)
// The key: --key, else TESSERA_ADMIN_KEY, else the file --key-file
// (default ./tessera-data/admin-key, where the embedded server keeps it).
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/program_options.hpp>
#include <chrono>
#include <fstream>
#include <iostream>

#include "tools/admin/durability.h"
#include "tools/admin/plot.h"
#include "tools/admin/tables.h"

namespace po = boost::program_options;
namespace http = boost::beast::http;
using nlohmann::json;
using namespace tessera::admin;

namespace {

struct Endpoint {
  std::string host, port;
};

// "http://host:port" (no TLS: the admin endpoint is the S3 port's).
std::optional<Endpoint> parse_endpoint(const std::string& url) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return std::nullopt;
  std::string rest = url.substr(scheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t colon = rest.rfind(':');
  if (colon == std::string::npos) return Endpoint{rest, "80"};
  return Endpoint{rest.substr(0, colon), rest.substr(colon + 1)};
}

// GET the report; the reply's status and body, or throws on a network error.
std::pair<unsigned, std::string> fetch(const Endpoint& e, const std::string& report, const std::string& key) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  boost::beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(30));
  stream.connect(resolver.resolve(e.host, e.port));
  http::request<http::empty_body> req{http::verb::get, "/_tessera/admin/v1/" + report, 11};
  req.set(http::field::host, e.host);
  req.set(http::field::authorization, "Bearer " + key);
  http::write(stream, req);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(stream, buffer, res);
  boost::system::error_code ec;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  return {res.result_int(), res.body()};
}

std::string find_key(const po::variables_map& vm) {
  if (vm.count("key")) return vm["key"].as<std::string>();
  if (const char* env = std::getenv("TESSERA_ADMIN_KEY"); env && *env) return env;
  const std::string file = vm["key-file"].as<std::string>();
  std::ifstream in(file);
  std::string key;
  if (!in || !std::getline(in, key) || key.empty()) {
    throw std::runtime_error("no admin key: pass --key, set TESSERA_ADMIN_KEY, or point --key-file at the "
                             "server's <data-dir>/admin-key (" + file + " cannot be read)");
  }
  return key;
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int report_command(const std::string& command, const po::variables_map& vm) {
  const std::string url = vm["endpoint"].as<std::string>();
  const auto endpoint = parse_endpoint(url);
  if (!endpoint) {
    std::cerr << "tessera-admin: --endpoint must look like http://127.0.0.1:9000, not " << url << "\n";
    return 2;
  }
  const auto [status, body] = fetch(*endpoint, command, find_key(vm));
  json r = json::parse(body, nullptr, false);
  if (r.is_discarded()) {
    std::cerr << "tessera-admin: " << url << " answered " << status << " with something not JSON (is it a Tessera "
              << "gateway?): " << body.substr(0, 200) << "\n";
    return 1;
  }
  if (status != 200) {
    std::cerr << "tessera-admin: " << url << " answered " << status << " " << r.value("error", "") << ": "
              << r.value("message", "") << "\n";
    return 1;
  }
  if (vm.count("json")) {
    std::cout << r.dump(2) << "\n";
  } else if (command == "status") {
    std::cout << render_status(r);
  } else if (command == "heal") {
    std::cout << render_heal(r);
  } else if (command == "scrub") {
    std::cout << render_scrub(r);
  } else if (command == "gc") {
    std::cout << render_gc(r, now_ms());
  } else {
    std::cout << render_lost(r);
  }
  return 0;
}

po::options_description durability_options(DurabilityInputs& in, double& disk_tib, double& repair_mib_s) {
  po::options_description d("durability (a Markov model; see tools/admin/durability.h)");
  d.add_options()("k", po::value<uint32_t>(&in.k)->default_value(in.k), "data fragments per stripe")  //
      ("m", po::value<uint32_t>(&in.m)->default_value(in.m), "parity fragments per stripe")            //
      ("disks", po::value<uint32_t>(&in.disks)->default_value(in.disks), "disks stripes spread over")   //
      ("stripes", po::value<double>(&in.stripes)->default_value(1e6, "1e6"), "stripes stored")          //
      ("afr", po::value<double>(&in.afr)->default_value(in.afr), "annual failure rate of a disk")       //
      ("disk-tib", po::value<double>(&disk_tib)->default_value(1), "TiB a failed disk held")            //
      ("repair-mib-s", po::value<double>(&repair_mib_s)->default_value(64), "repair budget, MiB/s")     //
      ("detect-h", po::value<double>(&in.detect_hours)->default_value(in.detect_hours),
       "hours from a failure to its rebuild starting")  //
      ("plot", po::value<std::string>(), "also write a PNG of nines against repair time for several k+m (gnuplot)");
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  DurabilityInputs in;
  double disk_tib = 1, repair_mib_s = 64;
  po::options_description opts(
      "tessera-admin: what a Tessera cluster is doing\n\n"
      "  tessera-admin status      storage nodes and disks: state and fill; the metadata group\n"
      "  tessera-admin heal        repair: damaged stripes by fragments left, traffic left, ETA\n"
      "  tessera-admin scrub       each storage node's scrub pass and corruption found\n"
      "  tessera-admin gc          garbage waiting for collection, the next pass\n"
      "  tessera-admin lost        stripes with fewer than k fragments anywhere\n"
      "  tessera-admin durability  annual durability (nines) and MTTDL of a k+m layout\n\nOptions");
  opts.add_options()("help,h", "show this help")  //
      ("endpoint", po::value<std::string>()->default_value(
                       std::getenv("TESSERA_ADMIN_ENDPOINT") ? std::getenv("TESSERA_ADMIN_ENDPOINT") : "http://127.0.0.1:9000"),
       "a gateway's S3 address (or TESSERA_ADMIN_ENDPOINT)")  //
      ("key", po::value<std::string>(), "the admin key (else TESSERA_ADMIN_KEY, else --key-file)")  //
      ("key-file", po::value<std::string>()->default_value("./tessera-data/admin-key"), "file holding the admin key")  //
      ("json", "print the report as JSON")  //
      ("command", po::value<std::string>(), "");
  opts.add(durability_options(in, disk_tib, repair_mib_s));
  po::positional_options_description positional;
  positional.add("command", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << "tessera-admin: " << e.what() << " (see --help)\n";
    return 2;
  }
  if (vm.count("help") || !vm.count("command")) {
    std::cout << opts << "\n";
    return vm.count("help") ? 0 : 2;
  }
  const std::string command = vm["command"].as<std::string>();
  if (command == "durability") {
    in.disk_bytes = disk_tib * double(1ull << 40);
    in.repair_bytes_per_s = repair_mib_s * double(1u << 20);
    if (const std::string problem = check(in); !problem.empty()) {
      std::cerr << "tessera-admin: " << problem << "\n";
      return 2;
    }
    const Durability d = compute(in);
    if (vm.count("json")) {
      std::cout << json{{"repair_hours", d.repair_hours},       {"loss_coverage", d.loss_coverage},
                        {"mttdl_years", d.mttdl_years},         {"annual_loss_probability", d.annual_loss_probability},
                        {"nines", d.nines}}.dump(2) << "\n";
    } else {
      std::cout << render_durability(in, d);
    }
    if (vm.count("plot")) {
      const std::string png = vm["plot"].as<std::string>();
      if (const std::string problem = plot_durability(in, png); !problem.empty()) {
        std::cerr << "tessera-admin: " << problem << "\n";
        return 1;
      }
      if (!vm.count("json")) std::cout << "Plot written to " << png << " (its data in " << png << ".csv)\n";
    }
    return 0;
  }
  if (command != "status" && command != "heal" && command != "scrub" && command != "gc" && command != "lost") {
    std::cerr << "tessera-admin: no command '" << command << "' (status, heal, scrub, gc, lost, durability; see --help)\n";
    return 2;
  }
  try {
    return report_command(command, vm);
  } catch (const std::exception& e) {
    std::cerr << "tessera-admin: " << e.what() << "\n";
    return 1;
  }
}
