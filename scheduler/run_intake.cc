#include "scheduler/run_intake.h"

#include "scheduler/host_class.h"

namespace tailor::scheduler {

Result<std::vector<bool>> RunIntake::Accept(const std::vector<const v1::RunReport*>& reports) {
  std::vector<RunStore::Incoming> incoming;
  incoming.reserve(reports.size());
  for (const v1::RunReport* r : reports) {
    TAILOR_RETURN_IF_ERROR(ValidateRunReport(*r));
    std::string host_class;
    if (auto node = nodes_.Get(r->node_id()); node.ok()) host_class = HostClassOf(node->inventory());
    incoming.push_back({r, std::move(host_class)});
  }
  TAILOR_ASSIGN_OR_RETURN(std::vector<bool> fresh, store_.Insert(incoming));
  const int64_t now_ms = ToUnixMillis(clock_.WallNow());
  for (size_t i = 0; i < incoming.size(); ++i) {
    if (!fresh[i]) continue;
    placer_.Observe(*incoming[i].report, incoming[i].host_class);
    if (lag_hook_ && incoming[i].report->end_unix_ms() > 0) {
      lag_hook_((now_ms - incoming[i].report->end_unix_ms()) / 1000.0, *incoming[i].report);
    }
  }
  return fresh;
}

}  // namespace tailor::scheduler
