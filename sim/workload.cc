#include "sim/workload.h"

#include "sim/workloads/heartbeat.h"
#include "sim/workloads/objects.h"
#include "sim/workloads/rpc_echo.h"

namespace tessera::sim {

std::unique_ptr<Workload> make_workload(const proto::Scenario& scenario, uint32_t node_count,
                                        const proto::RunOptions& options) {
  switch (scenario.workload().kind_case()) {
    case proto::Workload::kRpcEcho:
      return make_rpc_echo(scenario.workload().rpc_echo(), node_count, options.broken_variant() == "echo_wrong_token");
    case proto::Workload::kHeartbeat:
      return make_heartbeat(scenario.workload().heartbeat(), node_count);
    case proto::Workload::kObjects:
      return make_objects(scenario, node_count, options.broken_variant());
    case proto::Workload::KIND_NOT_SET:
      break;
  }
  ASSERT(false && "validate_scenario admits only known workloads");
  return nullptr;
}

std::vector<std::string> broken_variants(const proto::Scenario& scenario) {
  switch (scenario.workload().kind_case()) {
    case proto::Workload::kRpcEcho:
      return {"echo_wrong_token"};
    case proto::Workload::kObjects:
      return objects_broken_variants();
    default:
      return {};
  }
}

}  // namespace tessera::sim
