// Every message that enters is checked on its own: each bad field is refused with its name,
// and nothing huge is echoed back.
#include "proto/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

namespace tailor {
namespace {

using ::testing::HasSubstr;

v1::RunReport GoodReport() {
  v1::RunReport r;
  r.set_invocation_id("inv-1");
  r.set_function_name("sha256");
  r.set_node_id("n1");
  r.set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  r.set_start_unix_ms(1'700'000'000'000);
  r.set_end_unix_ms(1'700'000'000'050);
  r.set_wall_time_us(50'000);
  r.set_user_cpu_us(40'000);
  r.set_peak_memory_bytes(64 << 20);
  return r;
}

TEST(RunReportValidationTest, AWholePlausibleReportPasses) {
  EXPECT_TRUE(ValidateRunReport(GoodReport()).ok()) << ValidateRunReport(GoodReport());
}

TEST(RunReportValidationTest, APlatformsReportNeedsOnlyTheDocumentedFields) {
  v1::RunReport r;
  r.set_invocation_id("run-1");
  r.set_function_name("resize");
  r.set_node_id("n1");
  r.set_outcome(v1::RUN_OUTCOME_SUCCEEDED);
  r.set_wall_time_us(12'000);
  EXPECT_TRUE(ValidateRunReport(r).ok()) << ValidateRunReport(r);
  // A failed run needs no wall time.
  r.set_outcome(v1::RUN_OUTCOME_FUNCTION_ERROR);
  r.set_exit_code(1);
  r.clear_wall_time_us();
  EXPECT_TRUE(ValidateRunReport(r).ok()) << ValidateRunReport(r);
}

TEST(RunReportValidationTest, EachImpossibleFieldIsRefusedByName) {
  struct Case {
    std::function<void(v1::RunReport&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](auto& r) { r.clear_invocation_id(); }, "report.invocation_id"},
      {[](auto& r) { r.set_function_name(".."); }, "report.function_name"},
      {[](auto& r) { r.set_function_version(".."); }, "report.function_version"},
      {[](auto& r) { r.set_node_id(std::string(1 << 20, 'n')); }, "report.node_id"},
      {[](auto& r) { r.set_outcome(static_cast<v1::RunOutcome>(99)); }, "report.outcome"},
      {[](auto& r) { r.set_outcome(v1::RUN_OUTCOME_UNSPECIFIED); }, "report.outcome"},
      {[](auto& r) { r.set_outcome(v1::RUN_OUTCOME_NOT_RUN); }, "report.outcome"},
      {[](auto& r) { r.set_exit_code(3); }, "report.outcome"},  // SUCCEEDED with exit 3
      {[](auto& r) { r.set_end_unix_ms(r.start_unix_ms() - 1); }, "report.end_unix_ms"},
      {[](auto& r) { r.set_wall_time_us(-5); }, "report.wall_time_us"},
      {[](auto& r) { r.clear_wall_time_us(); }, "report.wall_time_us"},  // SUCCEEDED needs it
      {[](auto& r) { r.set_wall_time_us(10'000'000); }, "report.wall_time_us"},  // > end-start
      {[](auto& r) { r.set_user_cpu_us(std::numeric_limits<int64_t>::max()); },
       "report.user_cpu_us"},
      {[](auto& r) { r.set_peak_memory_bytes(UINT64_MAX); }, "report.peak_memory_bytes"},
      {[](auto& r) {
         r.set_cpu_periods(1);
         r.set_cpu_throttled_periods(2);
       },
       "report.cpu_throttled_periods"},
      {[](auto& r) { r.mutable_node_load_at_start()->set_cpu_utilization(std::nan("")); },
       "report.node_load_at_start.cpu_utilization"},
      {[](auto& r) { r.mutable_node_load_at_start()->set_running_invocations(UINT32_MAX); },
       "report.node_load_at_start.running_invocations"},
      {[](auto& r) { r.mutable_allocation()->set_memory_limit_bytes(100); },
       "report.allocation.memory_limit_bytes"},
      {[](auto& r) { r.mutable_allocation()->set_cache_class("../../etc"); },
       "report.allocation.cache_class"},
      {[](auto& r) { r.set_error_message(std::string(5000, 'e')); }, "report.error_message"},
      {[](auto& r) { r.set_start_kind(static_cast<v1::StartKind>(7)); }, "report.start_kind"},
      {[](auto& r) { r.set_init_duration_us(-1); }, "report.init_duration_us"},
  };
  for (const auto& c : cases) {
    v1::RunReport r = GoodReport();
    c.spoil(r);
    Status s = ValidateRunReport(r);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.field;
    EXPECT_EQ(s.field(), c.field) << s;
    EXPECT_LT(s.message().size(), 400u) << "no huge value echoed: " << c.field;
  }
}

TEST(MembershipValidationTest, RegisterAndHeartbeatRefuseWhatNoHostHas) {
  v1::RegisterRequest reg;
  reg.set_node_id("n1");
  reg.set_address("10.0.0.7:7401");
  reg.mutable_inventory()->set_hostname("host-7");
  EXPECT_TRUE(ValidateRegisterRequest(reg).ok()) << ValidateRegisterRequest(reg);
  auto field_of = [](v1::RegisterRequest r) { return ValidateRegisterRequest(r).field(); };
  v1::RegisterRequest big_host = reg;
  big_host.mutable_inventory()->set_hostname(std::string(1 << 20, 'h'));
  EXPECT_EQ(field_of(big_host), "inventory.hostname");
  v1::RegisterRequest no_port = reg;
  no_port.set_address("10.0.0.7");
  EXPECT_EQ(field_of(no_port), "address");
  v1::RegisterRequest bad_port = reg;
  bad_port.set_address("h:99999");
  EXPECT_EQ(field_of(bad_port), "address");
  v1::RegisterRequest cores = reg;
  cores.mutable_inventory()->mutable_topology()->set_logical_cores(UINT32_MAX);
  EXPECT_EQ(field_of(cores), "inventory.topology.logical_cores");
  v1::RegisterRequest speed = reg;
  speed.mutable_inventory()->mutable_emulation()->set_cpu_speed_factor(
      std::numeric_limits<double>::infinity());
  EXPECT_EQ(field_of(speed), "inventory.emulation.cpu_speed_factor");
  v1::RegisterRequest feature = reg;
  (*feature.mutable_inventory()->mutable_cpu_features())["AES; drop"] = true;
  EXPECT_EQ(field_of(feature), "inventory.cpu_features");

  v1::HeartbeatRequest hb;
  hb.set_node_id("n1");
  hb.mutable_load()->set_cpu_utilization(0.5);
  EXPECT_TRUE(ValidateHeartbeatRequest(hb).ok());
  hb.mutable_load()->set_cpu_utilization(std::nan(""));
  EXPECT_EQ(ValidateHeartbeatRequest(hb).field(), "load.cpu_utilization");
  hb.mutable_load()->set_cpu_utilization(0.5);
  hb.mutable_load()->set_memory_total_bytes(100);
  hb.mutable_load()->set_memory_used_bytes(200);
  EXPECT_EQ(ValidateHeartbeatRequest(hb).field(), "load.memory_used_bytes");
  hb.mutable_load()->set_memory_used_bytes(50);
  hb.mutable_load()->mutable_pressure()->set_io_full_avg10(-1);
  EXPECT_EQ(ValidateHeartbeatRequest(hb).field(), "load.pressure.io_full_avg10");
  hb.mutable_load()->mutable_pressure()->set_io_full_avg10(0);
  auto* warm = hb.mutable_load()->add_warm_functions();
  warm->set_function_name("words");
  warm->set_function_version("1");
  warm->set_idle_instances(2);
  EXPECT_TRUE(ValidateHeartbeatRequest(hb).ok()) << ValidateHeartbeatRequest(hb);
  warm->set_function_name("../x");
  EXPECT_EQ(ValidateHeartbeatRequest(hb).field(), "load.warm_functions[0].function_name");
  warm->set_function_name("words");
  for (int i = 0; i < 1024; ++i) *hb.mutable_load()->add_warm_functions() = *warm;
  EXPECT_EQ(ValidateHeartbeatRequest(hb).field(), "load.warm_functions");
}

TEST(RequestValidationTest, PlaceAndInvokeRequestsAreCheckedFieldByField) {
  v1::PlaceRequest place;
  place.set_function_name("f");
  EXPECT_TRUE(ValidatePlaceRequest(place).ok());
  place.add_candidate_node_ids("ok");
  place.add_candidate_node_ids("../x");
  EXPECT_EQ(ValidatePlaceRequest(place).field(), "candidate_node_ids[1]");
  place.clear_candidate_node_ids();
  place.add_required_features("AES");
  EXPECT_EQ(ValidatePlaceRequest(place).field(), "required_features[0]");
  place.clear_required_features();
  place.set_policy("Performance!");
  EXPECT_EQ(ValidatePlaceRequest(place).field(), "policy");

  v1::GatewayInvokeRequest invoke;
  invoke.set_function_name("f");
  invoke.set_timeout_ms(4'000'000'000u);
  EXPECT_EQ(ValidateGatewayInvokeRequest(invoke).field(), "timeout_ms");
  invoke.set_timeout_ms(0);
  invoke.set_idempotency_key("has space");
  EXPECT_EQ(ValidateGatewayInvokeRequest(invoke).field(), "idempotency_key");

  internal::v1::InvokeRequest agent;
  agent.set_function_name("f");
  agent.set_bundle_digest("not-hex");
  EXPECT_EQ(ValidateAgentInvokeRequest(agent).field(), "bundle_digest");
  agent.clear_bundle_digest();
  agent.set_timeout_ms(4'000'000'000u);
  EXPECT_THAT(ValidateAgentInvokeRequest(agent).message(), HasSubstr("timeout_ms"));
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

TEST(MembershipValidationTest, AKubernetesNodeNameIsADnsSubdomainOrNothing) {
  v1::RegisterRequest r;
  r.set_node_id("tailor-agent-x7k2p");
  r.set_address("10.0.0.1:7401");
  r.mutable_inventory()->set_kubernetes_node("ip-10-0-3-7.ec2.internal");
  EXPECT_TRUE(ValidateRegisterRequest(r).ok()) << ValidateRegisterRequest(r);
  for (const std::string bad :
       {std::string("Upper"), std::string("a/b"), std::string("a b"), std::string(254, 'a')}) {
    r.mutable_inventory()->set_kubernetes_node(bad);
    const Status s = ValidateRegisterRequest(r);
    EXPECT_EQ(s.field(), "inventory.kubernetes_node") << bad << ": " << s;
  }
}

}  // namespace
}  // namespace tailor
