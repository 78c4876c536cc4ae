// Every message that enters a scheduler or an agent from the network, as protobuf bytes: the
// first byte picks the message. Validation must never crash; and a run report it accepts, taught
// to a learning policy, must never push the allocation past the largest node nor make the
// function unplaceable (no single report can).
#include <cstdlib>
#include <memory>

#include "fuzz/fuzz_input.h"
#include "models/cluster_index.h"
#include "models/learned_policy.h"
#include "proto/validation.h"
#include "scheduler/run_observation.h"

namespace {

namespace models = tailor::models;

struct World {
  models::ClusterIndex cluster;
  models::LearnedPolicy policy{models::Objective::kPerformance};
  models::Resources largest;
  World() {
    for (int i = 0; i < 2; ++i) {
      models::HostClassInfo cls;
      cls.name = i == 0 ? "fast" : "slow";
      cls.features = i == 0 ? std::vector<std::string>{"aes"} : std::vector<std::string>{};
      cls.cores = 4;
      models::NodeView node;
      node.node_id = "n" + std::to_string(i);
      node.host_class = cls.name;
      node.features = cls.features;
      node.capacity = {8ull << 30, 4000};
      cluster.Upsert(node, cls);
    }
    largest = cluster.Largest();
  }
};

void LearnFrom(tailor::v1::RunReport& report) {
  static World world;
  report.set_function_name("f");  // one function: the policy's state stays bounded
  models::RunObservation o = tailor::scheduler::ObservationOf(report, "fast");
  world.policy.Observe(o);
  models::PlacementRequest request;
  request.function.name = "f";
  auto decided = world.policy.Decide(request, world.cluster);
  if (!decided.ok()) std::abort();  // an idle cluster can always take it
  if (decided->allocation.memory_limit_bytes > world.largest.memory_bytes ||
      decided->allocation.cpu_millicores > world.largest.cpu_millicores) {
    std::abort();
  }
}

template <typename Message>
bool Parse(std::string_view bytes, Message& m) {
  return m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes = tailor::fuzz::AsText(data + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      tailor::v1::RunReport r;
      if (Parse(bytes, r) && tailor::ValidateRunReport(r).ok()) LearnFrom(r);
      break;
    }
    case 1: {
      tailor::v1::RegisterRequest r;
      if (Parse(bytes, r)) (void)tailor::ValidateRegisterRequest(r);
      break;
    }
    case 2: {
      tailor::v1::HeartbeatRequest r;
      if (Parse(bytes, r)) (void)tailor::ValidateHeartbeatRequest(r);
      break;
    }
    case 3: {
      tailor::v1::PlaceRequest r;
      if (Parse(bytes, r)) (void)tailor::ValidatePlaceRequest(r);
      break;
    }
    case 4: {
      tailor::v1::GatewayInvokeRequest r;
      if (Parse(bytes, r)) (void)tailor::ValidateGatewayInvokeRequest(r);
      break;
    }
    case 5: {
      tailor::internal::v1::InvokeRequest r;
      if (Parse(bytes, r)) (void)tailor::ValidateAgentInvokeRequest(r);
      break;
    }
  }
  return 0;
}
