// rpc_echo: client nodes call "echo" on random peers under the scenario's
// network faults. Checkers:
//  - rpc_exactly_one_outcome: every call issued by a node that did not
//    crash ends exactly once (a response or a timeout);
//  - rpc_no_response_without_request: every response answers a call that
//    was issued and still open, with the same token and body;
//  - rpc_liveness: after faults heal, every client completes a call.
#pragma once

#include <map>
#include <memory>

#include "sim/workload.h"

namespace tessera::sim {

// wrong_token (test only): servers answer some calls with another token,
// which rpc_no_response_without_request must report.
std::unique_ptr<Workload> make_rpc_echo(const proto::RpcEchoWorkload& config, uint32_t nodes,
                                        bool wrong_token);

}  // namespace tessera::sim
