// No function in core/, prod/ or sim/ grows past 80 lines: a function that
// long hides steps that want names of their own. The scan follows braces:
// a block opened directly in a namespace or class body is a function (or
// a data initializer, told apart by its '='), and its lines are counted.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

namespace {

constexpr size_t kFunctionLinesMax = 80;

enum class Scope { kNamespace, kClass, kFunction, kOther };

// The code of a line without comments and string or character literals.
std::string code_of(const std::string& line) {
  static const std::regex literals(R"("([^"\\]|\\.)*"|'([^'\\]|\\.)*')");
  std::string code = std::regex_replace(line, literals, "\"\"");
  const size_t comment = code.find("//");
  return comment == std::string::npos ? code : code.substr(0, comment);
}

Scope scope_opened(const std::string& head, Scope enclosing) {
  static const std::regex ns(R"(\bnamespace\b)"), cls(R"(^\s*(template\s*<.*>\s*)?(class|struct|union)\b[^(]*$)");
  if (std::regex_search(head, ns)) return Scope::kNamespace;
  if (std::regex_search(head, cls)) return Scope::kClass;
  if (enclosing != Scope::kNamespace && enclosing != Scope::kClass) return Scope::kOther;
  const std::string before_paren = head.substr(0, head.find('('));
  if (before_paren.find('=') != std::string::npos && head.find("operator") == std::string::npos) return Scope::kOther;
  return head.find('(') != std::string::npos ? Scope::kFunction : Scope::kOther;
}

// "path:line: N lines" for every function of file longer than the limit.
std::vector<std::string> long_functions(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::vector<std::string> out;
  std::vector<std::pair<Scope, size_t>> scopes;  // kind, first line
  std::string line, head;                        // head: the code since the last ';', '{' or '}'
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    const size_t first_char = line.find_first_not_of(" \t");
    if (first_char != std::string::npos && line[first_char] == '#') continue;  // preprocessor
    for (char c : code_of(line) + " ") {
      if (c == '{') {
        const Scope enclosing = scopes.empty() ? Scope::kNamespace : scopes.back().first;
        scopes.emplace_back(scope_opened(head, enclosing), n);
        head.clear();
      } else if (c == '}') {
        if (scopes.empty()) continue;
        const auto [kind, first] = scopes.back();
        scopes.pop_back();
        if (kind == Scope::kFunction && n - first + 1 > kFunctionLinesMax) {
          out.push_back(file.string() + ":" + std::to_string(first) + ": " + std::to_string(n - first + 1) + " lines");
        }
        head.clear();
      } else if (c == ';') {
        head.clear();
      } else {
        head += c;
      }
    }
  }
  return out;
}

std::vector<std::string> long_functions_under(const std::filesystem::path& root) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    const auto ext = entry.path().extension();
    if (ext != ".h" && ext != ".cc") continue;
    for (std::string& f : long_functions(entry.path())) out.push_back(std::move(f));
  }
  return out;
}

TEST(FunctionSize, NoFunctionInCoreProdOrSimPasses80Lines) {
  const std::filesystem::path src(TESSERA_SOURCE_DIR);
  for (const char* dir : {"core", "prod", "sim"}) {
    const auto found = long_functions_under(src / dir);
    std::string list;
    for (const auto& f : found) list += "\n  " + f;
    EXPECT_TRUE(found.empty()) << found.size() << " function(s) longer than " << kFunctionLinesMax << " lines:" << list;
  }
}

TEST(FunctionSize, TheScanCountsFunctionsNotTablesOrClasses) {
  const auto dir = std::filesystem::temp_directory_path() / "tessera-function-size";
  std::filesystem::create_directories(dir);
  std::string body, table;
  for (int i = 0; i < 85; ++i) body += "  x += \"}{\";  // {\n";
  for (int i = 0; i < 90; ++i) table += "  {1, 2},\n";
  std::ofstream(dir / "long.cc") << "namespace a {\nclass C {\n  int f() {\n"
                                 << body << "  }\n};\nconst int kT[][2] = {\n"
                                 << table << "};\nint g(int x) {\n"
                                 << body << "  if (x) {\n  }\n}\n}  // namespace a\n";
  const auto found = long_functions(dir / "long.cc");
  std::filesystem::remove_all(dir);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_NE(found[0].find(":3: 87 lines"), std::string::npos) << found[0];
  EXPECT_NE(found[1].find("lines"), std::string::npos);
}

}  // namespace
