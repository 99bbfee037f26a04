#include "sim/sim_network.h"

#include <algorithm>

#include <utility>

#include "sim/hash.h"
#include "sim/latency.h"

namespace tessera::sim {

SimNetwork::SimNetwork(SimWorld& world, const proto::NetworkModel& model,
                       std::vector<NodeLocation> locations, uint64_t seed)
    : world_(world), model_(model), locations_(std::move(locations)),
      receivers_(locations_.size()), link_broken_(locations_.size()), down_(locations_.size(), false),
      connected_(locations_.size()) {
  streams_.reserve(locations_.size());
  for (uint32_t i = 0; i < locations_.size(); ++i) {
    streams_.emplace_back(mix_seed(seed, 0x4E455400000000ull + i));
  }
}

void SimNetwork::set_receiver(uint32_t node, Network::Receiver receiver) {
  ASSERT(node < receivers_.size());
  receivers_[node] = std::move(receiver);
}

void SimNetwork::set_link_broken(uint32_t node, Network::LinkBroken on_broken) {
  ASSERT(node < link_broken_.size());
  link_broken_[node] = std::move(on_broken);
}

void SimNetwork::node_stopped(uint32_t node) {
  ASSERT(node < down_.size());
  down_[node] = true;
  // Its kernel closes what it had open: each peer hears one latency later
  // (unless a partition swallows that too).
  for (uint32_t from : connected_[node]) {
    if (!model_.crashes_unnoticed() && !down_[from] && !blocked(node, from)) {
      report_broken(from, node, latency(node, from));
    }
  }
  connected_[node].clear();
  for (auto& open : connected_) open.erase(node);
}

void SimNetwork::node_started(uint32_t node) {
  ASSERT(node < down_.size());
  down_[node] = false;
}

void SimNetwork::report_broken(uint32_t at, uint32_t peer, Duration delay) {
  world_.schedule(delay, EventKind::kDeliver, at, world_.incarnation(at), mix64(peer, 0x4C494E4B00000000ull),
                  [this, at, peer] {
                    ++stats_.links_broken;
                    if (link_broken_[at]) link_broken_[at](NodeId(peer));
                  });
}

bool SimNetwork::blocked(uint32_t from, uint32_t to) const {
  for (const Partition& p : partitions_) {
    const bool a_from = p.side_a[from];
    const bool a_to = p.side_a[to];
    if (a_from && !a_to) return true;
    if (!p.one_way && !a_from && a_to) return true;
  }
  return false;
}

uint64_t SimNetwork::add_partition(std::vector<bool> side_a, bool one_way) {
  ASSERT(side_a.size() == locations_.size());
  const uint64_t id = next_partition_id_++;
  partitions_.push_back(Partition{id, std::move(side_a), one_way});
  return id;
}

uint32_t SimNetwork::link_loss_ppm(uint32_t from, uint32_t to) const {
  uint32_t ppm = 0;
  for (const proto::LinkLoss& l : model_.link_loss()) {
    if ((l.a() == from && l.b() == to) || (!l.one_way() && l.a() == to && l.b() == from)) {
      ppm = std::max(ppm, l.loss_ppm());
    }
  }
  return ppm;
}

void SimNetwork::heal_partition(uint64_t id) {
  std::erase_if(partitions_, [id](const Partition& p) { return p.id == id; });
}

Duration SimNetwork::latency(uint32_t from, uint32_t to) {
  const NodeLocation& a = locations_[from];
  const NodeLocation& b = locations_[to];
  const proto::LatencyRange& range = a.rack == b.rack   ? model_.same_rack()
                                     : a.zone == b.zone ? model_.same_zone()
                                                        : model_.cross_zone();
  return sample_latency(streams_[from], range);
}

void SimNetwork::send(uint32_t from, uint32_t to, Message msg) {
  ASSERT(from < locations_.size());
  ++stats_.sent;
  if (to >= locations_.size()) {
    ++stats_.lost;  // no such node: like an unroutable address
    return;
  }
  if (blocked(from, to)) {
    ++stats_.partitioned;
    return;
  }
  if (down_[to]) {
    // Refused: the sender hears a round trip later; the message is lost
    // (at delivery, as for a node that dies while it travels).
    if (!model_.crashes_unnoticed()) report_broken(from, to, latency(from, to) + latency(to, from));
  } else {
    connected_[to].insert(from);
  }
  Random& rng = streams_[from];
  if (!loss_stopped_ && (rng.chance_ppm(model_.loss_ppm()) || rng.chance_ppm(link_loss_ppm(from, to)))) {
    ++stats_.lost;
    return;
  }
  Duration delay = latency(from, to);
  if (rng.chance_ppm(model_.reorder_ppm()) && model_.reorder_delay_max_us() > 0) {
    ++stats_.reordered;
    delay = delay + Duration::micros(static_cast<int64_t>(
                        rng.between(1, model_.reorder_delay_max_us())));
  }
  if (rng.chance_ppm(model_.duplicate_ppm())) {
    ++stats_.duplicated;
    deliver_later(from, to, latency(from, to), msg);
  }
  deliver_later(from, to, delay, std::move(msg));
}

void SimNetwork::deliver_later(uint32_t from, uint32_t to, Duration delay, Message msg) {
  uint64_t detail = mix64(from, msg.call_id);
  detail = hash_bytes(msg.method, detail);
  detail = hash_bytes(msg.payload, mix64(detail, msg.is_response ? 1 : 0));
  world_.schedule(delay, EventKind::kDeliver, to, kAnyIncarnation, detail,
                  [this, from, to, msg = std::move(msg)]() mutable {
                    if (!receivers_[to]) {
                      ++stats_.to_down_node;
                      return;
                    }
                    ++stats_.delivered;
                    receivers_[to](NodeId(from), std::move(msg));
                  });
}

}  // namespace tessera::sim
