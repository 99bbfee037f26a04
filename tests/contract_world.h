// ContractWorld: the same two-node setting (two runtimes and networks, one
// disk, one kv) built from the simulator's implementations or from prod's,
// so one suite of contract tests runs against both and they cannot drift.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "io_abstraction/disk.h"
#include "io_abstraction/kv.h"
#include "io_abstraction/network.h"
#include "io_abstraction/runtime.h"

namespace tessera::testing {

class ContractWorld {
 public:
  virtual ~ContractWorld() = default;
  virtual Runtime& runtime(int node) = 0;
  virtual Network& network(int node) = 0;
  virtual Disk& disk() = 0;
  virtual Kv& kv() = 0;
  // Ends node's networking as its process dying would: its connections
  // close and new ones are refused.
  virtual void stop_network(int node) = 0;
  // Drives the event loop until done() holds. Fails the test (and returns
  // false) if the world runs out of work or, in prod, of wall time.
  virtual bool drive_until(const std::function<bool()>& done) = 0;

  // Runs task on node 0 to completion and returns its result.
  template <typename T>
  T run(Task<T> task) {
    std::optional<T> out;
    runtime(0).spawn([](Task<T> t, std::optional<T>& o) -> Task<void> {
      o.emplace(co_await std::move(t));
    }(std::move(task), out));
    const bool finished = drive_until([&] { return out.has_value(); });
    ASSERT(finished);
    return std::move(*out);
  }
};

// kind: "sim" or "prod".
std::unique_ptr<ContractWorld> make_contract_world(const std::string& kind);

}  // namespace tessera::testing
