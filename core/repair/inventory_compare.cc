#include "core/repair/inventory_compare.h"

#include <algorithm>
#include <set>

namespace tessera {

namespace {

// Bytes of one name in an answer against 16 summaries: a node the disk
// holds fewer names under than this is listed, not descended.
constexpr uint64_t kListBelow = InventoryTree::kFanout * 24 / 48;

struct Differing {
  InventoryNode node;
  InventorySummary actual;
};

class Comparer {
 public:
  Comparer(const InventoryTree& expected, InventoryAsk& ask, InventoryDiff& diff)
      : expected_(expected), ask_(ask), diff_(diff) {}

  Task<Status> run() {
    std::vector<InventoryNode> descend = {InventoryNode{}};
    while (!descend.empty()) {
      std::vector<InventoryNode> next;
      for (size_t from = 0; from < descend.size(); from += kInventoryNodesPerRequest) {
        const size_t to = std::min(descend.size(), from + kInventoryNodesPerRequest);
        std::vector<InventoryNode> chunk(descend.begin() + from, descend.begin() + to);
        Status s = co_await descend_into(std::move(chunk), next);
        if (!s.is_ok()) co_return s;
      }
      Status s = co_await list_pending();
      if (!s.is_ok()) co_return s;
      descend = std::move(next);
    }
    co_return Status::ok();
  }

 private:
  Task<Result<proto::InventoryTreeResponse>> send(proto::InventoryTreeRequest request) {
    ++diff_.messages;
    diff_.bytes += request.ByteSizeLong();
    auto r = co_await ask_(std::move(request));
    if (!r.is_ok()) co_return r.status();
    diff_.bytes += r.value().ByteSizeLong();
    for (const std::string& name : r.value().corrupt()) diff_.corrupt.push_back(name);
    if (r.value().disk_failed()) co_return Status(Code::kDiskGone, "the disk failed");
    if (r.value().unavailable()) co_return Status(Code::kUnavailable, "the disk's inventory tree is being built");
    co_return r;
  }

  Task<Status> descend_into(std::vector<InventoryNode> nodes, std::vector<InventoryNode>& next) {
    proto::InventoryTreeRequest req;
    for (const InventoryNode& n : nodes) {
      req.add_levels(n.level);
      req.add_prefixes(n.prefix);
    }
    auto r = co_await send(std::move(req));
    if (!r.is_ok()) co_return r.status();
    const proto::InventoryTreeResponse& a = r.value();
    const size_t want = nodes.size() * InventoryTree::kFanout;
    if (static_cast<size_t>(a.counts_size()) != want || static_cast<size_t>(a.sums_hi_size()) != want ||
        static_cast<size_t>(a.sums_lo_size()) != want) {
      co_return Status(Code::kInternal, "malformed inventory tree answer");
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
      const std::array<InventorySummary, InventoryTree::kFanout> mine = expected_.children(nodes[i]);
      for (uint32_t d = 0; d < InventoryTree::kFanout; ++d) {
        const size_t j = i * InventoryTree::kFanout + d;
        const InventorySummary theirs{a.counts(j), a.sums_hi(j), a.sums_lo(j)};
        if (theirs != mine[d]) classify(Differing{nodes[i].child(d), theirs}, mine[d], next);
      }
    }
    co_return Status::ok();
  }

  // A node whose summaries differ: everything expected is missing (the disk
  // holds nothing there), list it, or look one level deeper.
  void classify(const Differing& d, const InventorySummary& mine, std::vector<InventoryNode>& next) {
    if (d.actual.count == 0) {
      for (std::string& name : expected_.names(d.node)) diff_.missing.push_back(std::move(name));
      return;
    }
    const bool few = d.actual.count <= kListBelow || (mine.count == 0 && d.actual.count <= kInventoryNamesPerRequest);
    if (few || d.node.level == InventoryTree::kMaxLevel) {
      to_list_.push_back(d);
    } else {
      next.push_back(d.node);
    }
  }

  Task<Status> list_pending() {
    std::vector<Differing> pending = std::move(to_list_);
    to_list_.clear();
    for (size_t from = 0; from < pending.size();) {
      size_t to = from;
      uint64_t names = 0;
      while (to < pending.size() && (to == from || names + pending[to].actual.count <= kInventoryNamesPerRequest)) {
        names += pending[to++].actual.count;
      }
      std::vector<Differing> chunk(pending.begin() + from, pending.begin() + to);
      Status s = co_await list(std::move(chunk));
      if (!s.is_ok()) co_return s;
      from = to;
    }
    co_return Status::ok();
  }

  Task<Status> list(std::vector<Differing> nodes) {
    proto::InventoryTreeRequest req;
    req.set_names(true);
    for (const Differing& d : nodes) {
      req.add_levels(d.node.level);
      req.add_prefixes(d.node.prefix);
    }
    auto r = co_await send(std::move(req));
    if (!r.is_ok()) co_return r.status();
    if (static_cast<size_t>(r.value().names_size()) != nodes.size()) {
      co_return Status(Code::kInternal, "malformed inventory names answer");
    }
    for (size_t i = 0; i < nodes.size(); ++i) {
      const auto& listed = r.value().names(static_cast<int>(i)).names();
      std::set<std::string> theirs(listed.begin(), listed.end());
      for (std::string& name : expected_.names(nodes[i].node)) {
        if (theirs.erase(name) == 0) diff_.missing.push_back(std::move(name));
      }
      for (const std::string& name : theirs) diff_.extra.push_back(name);
    }
    co_return Status::ok();
  }

  const InventoryTree& expected_;
  InventoryAsk& ask_;
  InventoryDiff& diff_;
  std::vector<Differing> to_list_;
};

}  // namespace

Task<Status> compare_inventory(const InventoryTree& expected, InventoryAsk ask, InventoryDiff* out) {
  *out = InventoryDiff{};
  Comparer c(expected, ask, *out);
  Status s = co_await c.run();
  std::sort(out->missing.begin(), out->missing.end());
  std::sort(out->extra.begin(), out->extra.end());
  co_return s;
}

}  // namespace tessera
