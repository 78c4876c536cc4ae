// Saved model state, read at every scheduler start: any bytes must restore or be refused, never
// crash; and a policy that accepted them must still place a function on an idle cluster, with
// no more than the largest node has, and save (whole or a part at a time, as the scheduler
// does) to the same bytes, which restore.
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz/fuzz_input.h"
#include "models/cluster_index.h"
#include "models/learned_policy.h"

namespace models = tailor::models;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const models::ClusterIndex* cluster = [] {
    auto* index = new models::ClusterIndex();
    for (const char* name : {"fast", "slow"}) {
      models::HostClassInfo cls;
      cls.name = name;
      cls.cores = 4;
      models::NodeView node;
      node.node_id = std::string(name) + "0";
      node.host_class = name;
      node.capacity = {8ull << 30, 4000};
      index->Upsert(node, cls);
    }
    return index;
  }();
  models::LearnedPolicy policy(models::Objective::kPerformance);
  if (!policy.RestoreState(std::string(tailor::fuzz::AsText(data, size))).ok()) return 0;
  for (const char* fn : {"f", "g", "new"}) {
    models::PlacementRequest request;
    request.function.name = fn;
    auto decided = policy.Decide(request, *cluster);
    if (!decided.ok() || decided->allocation.memory_limit_bytes > (8ull << 30) ||
        decided->allocation.cpu_millicores > 4000) {
      std::abort();
    }
  }
  const std::string saved = policy.SaveState();
  std::unique_ptr<models::StateSave> parts = policy.StartSave();
  while (!parts->WriteSome(1)) {
  }
  if (std::move(*parts).Take() != saved) std::abort();
  models::LearnedPolicy again(models::Objective::kPerformance);
  if (!again.RestoreState(saved).ok()) std::abort();
  return 0;
}
