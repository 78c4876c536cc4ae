// Validation: what a well-formed message is, for every message that enters a scheduler or an
// agent from outside (RPCs, the HTTP endpoint, spooled reports). Each function checks one
// message on its own: strings bounded, names of the grammar (common/names.h), numbers finite
// and within what any host or run can have, enums known, times in order. Errors are
// INVALID_ARGUMENT naming the field (Status::field()), never echoing a long value.
//
// What needs more than the message (the node a report names exists, its CPU time fits that
// node's cores, a decision id was issued here) is checked by the scheduler where it knows the
// node (scheduler/run_intake.h).
//
// The bounds, in one place:
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"
#include "tailor/internal/v1/agent.pb.h"
#include "tailor/v1/gateway.pb.h"
#include "tailor/v1/membership.pb.h"
#include "tailor/v1/placement.pb.h"
#include "tailor/v1/registry.pb.h"
#include "tailor/v1/run_report.pb.h"

namespace tailor {

inline constexpr uint64_t kMaxBytesOfAnything = uint64_t{1} << 50;  // 1 PiB: memory, files
inline constexpr int64_t kMaxRunTimeUs = int64_t{7} * 24 * 3600 * 1'000'000;  // a week
inline constexpr int64_t kMaxUnixMs = int64_t{32503680000000};  // the year 3000
inline constexpr uint32_t kMaxInvocationsPerNode = 100'000;
inline constexpr uint32_t kMaxCoresPerNode = 65'536;
inline constexpr size_t kMaxCandidateNodes = 10'000;
inline constexpr size_t kMaxReportsPerBatch = 1'000;

Status ValidateNodeLoad(const v1::NodeLoad& load, std::string_view prefix);
Status ValidateInventory(const v1::HostInventory& inventory, std::string_view prefix);
Status ValidateAllocation(const v1::Allocation& allocation, std::string_view prefix);
// A host:port an agent can be reached at.
Status ValidateAddress(std::string_view address, std::string_view field);

Status ValidateRegisterRequest(const v1::RegisterRequest& request);
Status ValidateHeartbeatRequest(const v1::HeartbeatRequest& request);
// A whole run report on its own: names, a known outcome (not UNSPECIFIED or NOT_RUN), times
// and figures within bounds and in order.
Status ValidateRunReport(const v1::RunReport& report, std::string_view prefix = "report");
Status ValidateRankRequest(const v1::RankRequest& r);
Status ValidateRegisterFunctionRequest(const v1::RegisterFunctionRequest& r);
Status ValidatePlaceRequest(const v1::PlaceRequest& request);
Status ValidateGatewayInvokeRequest(const v1::GatewayInvokeRequest& request);
Status ValidateAgentInvokeRequest(const internal::v1::InvokeRequest& request);

}  // namespace tailor
