// The one rule: nothing under core/ (or io_abstraction/) reaches Asio,
// RocksDB, threads, clocks, OS randomness or the environment except through
// io_abstraction's interfaces. This scans the sources so the rule cannot rot.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

namespace {

struct Banned {
  const char* pattern;
  const char* why;
};

const Banned kBanned[] = {
    {R"(#\s*include\s*[<"]boost/asio)", "Asio belongs in prod/"},
    {R"(#\s*include\s*[<"]rocksdb/)", "RocksDB belongs in prod/"},
    {R"(#\s*include\s*"(prod|sim)/)", "core/ is what prod/ and sim/ both run: it includes neither"},
    {R"(#\s*include\s*<thread>)", "threads: use Runtime::offload"},
    {R"(#\s*include\s*<(mutex|condition_variable|future|atomic)>)", "threads: use Runtime"},
    {R"(#\s*include\s*<chrono>)", "clocks: use Runtime::now"},
    {R"(#\s*include\s*<random>)", "randomness: use Runtime::random"},
    {R"(#\s*include\s*<(ctime|time\.h|sys/time\.h|unistd\.h|fstream|filesystem|cstdio)>)", "IO: use Disk/Kv"},
    {R"(\b(std::)?s?rand\s*\()", "randomness: use Runtime::random"},
    {R"(\bgetenv\s*\()", "configuration is passed in, not read from the environment"},
    {R"(\b(time|gettimeofday|clock_gettime|clock)\s*\()", "clocks: use Runtime::now"},
    {R"(system_clock|steady_clock|high_resolution_clock|random_device)", "clocks/randomness"},
    {R"(\bunordered_(map|set)\b)", "iteration order must not depend on hashing"},
    {R"(\?[^:;]*co_await)", "GCC 12 destroys the temporaries of a co_await inside ?: twice"},
    {R"(\b(fopen|open|read|write|socket|connect)\s*\(\s*[^)]*\b(O_|SOCK_|\"))", "IO: use io_abstraction"},
};

std::vector<std::string> violations_in(const std::filesystem::path& root) {
  static const std::vector<std::regex> patterns = [] {
    std::vector<std::regex> v;
    for (const Banned& b : kBanned) v.emplace_back(b.pattern);
    return v;
  }();
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const auto ext = entry.path().extension();
    if (ext != ".h" && ext != ".cc") continue;
    std::ifstream in(entry.path());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      // An exemption is written where it happens, with its reason.
      if (line.find("// one-rule-exempt:") != std::string::npos) continue;
      const auto comment = line.find("//");
      const std::string code = comment == std::string::npos ? line : line.substr(0, comment);
      for (size_t i = 0; i < patterns.size(); ++i) {
        if (std::regex_search(code, patterns[i])) {
          out.push_back(entry.path().string() + ":" + std::to_string(n) + ": " + kBanned[i].why + ": " + line);
        }
      }
    }
  }
  return out;
}

TEST(OneRule, CoreDoesIoOnlyThroughTheAbstraction) {
  const std::filesystem::path src(TESSERA_SOURCE_DIR);
  for (const char* dir : {"core", "io_abstraction"}) {
    const auto v = violations_in(src / dir);
    EXPECT_TRUE(v.empty()) << v.size() << " violation(s), first: " << (v.empty() ? "" : v[0]);
  }
}

TEST(OneRule, TheScannerCatchesABannedInclude) {
  const auto dir = std::filesystem::temp_directory_path() / "tessera-one-rule";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "bad.cc") << "#include <chrono>\nint f() { return rand(); }\n"
                                  "#include <thread>  // one-rule-exempt: shown to be skipped\n"
                                  "#include \"sim/sim_disk.h\"\n#include \"prod/rocks_kv.h\"\n";
  const auto v = violations_in(dir);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(v.size(), 4u);
}

}  // namespace
