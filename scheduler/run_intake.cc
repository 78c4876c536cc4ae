#include "scheduler/run_intake.h"

#include "proto/validation.h"
#include "scheduler/host_class.h"

namespace tailor::scheduler {
namespace {

Status Refuse(const std::string& field, const std::string& why) {
  return InvalidArgumentError("report." + field + " " + why).WithField("report." + field);
}

// What no run on this node can have measured.
Status CheckPhysicallyPossible(const v1::RunReport& r, const v1::Node& node) {
  const uint32_t cores = node.inventory().topology().logical_cores();
  const double cpu_us = double(r.user_cpu_us()) + double(r.system_cpu_us());
  if (cores > 0 && cpu_us > double(r.wall_time_us()) * cores * 1.05 + 100'000) {
    return Refuse("user_cpu_us", "plus system_cpu_us is more than wall_time_us on all " +
                                     std::to_string(cores) + " cores of node " + r.node_id());
  }
  const uint64_t memory = node.inventory().memory_bytes();
  if (memory > 0 && double(r.peak_memory_bytes()) > double(memory) * 1.05) {
    return Refuse("peak_memory_bytes", "is more than the " + std::to_string(memory) +
                                           " bytes of memory of node " + r.node_id());
  }
  return OkStatus();
}

}  // namespace

Result<std::string> RunIntake::Check(const v1::RunReport& r) {
  TAILOR_RETURN_IF_ERROR(ValidateRunReport(r));
  auto node = nodes_.Get(r.node_id());
  if (!node.ok()) {
    return NotFoundError("report.node_id: node '" + r.node_id() + "' is not registered")
        .WithField("report.node_id");
  }
  TAILOR_RETURN_IF_ERROR(CheckPhysicallyPossible(r, *node));
  TAILOR_RETURN_IF_ERROR(placer_.CheckReportDecision(r));
  return HostClassOf(node->inventory());
}

Result<std::vector<RunIntake::Verdict>> RunIntake::Accept(
    const std::vector<const v1::RunReport*>& reports) {
  std::vector<Verdict> verdicts(reports.size());
  std::vector<RunStore::Incoming> incoming;
  std::vector<size_t> position;  // incoming[i] is reports[position[i]]
  incoming.reserve(reports.size());
  for (size_t i = 0; i < reports.size(); ++i) {
    auto host_class = Check(*reports[i]);
    if (!host_class.ok()) {
      verdicts[i].rejected = host_class.status();
      if (reject_hook_) reject_hook_(verdicts[i].rejected);
      continue;
    }
    incoming.push_back({reports[i], std::move(*host_class)});
    position.push_back(i);
  }
  if (incoming.empty()) return verdicts;
  EnterBatch();
  struct Leave {
    RunIntake* intake;
    ~Leave() { intake->LeaveBatch(); }
  } leave{this};
  TAILOR_ASSIGN_OR_RETURN(std::vector<bool> fresh, store_.Insert(incoming));
  const int64_t now_ms = ToUnixMillis(clock_.WallNow());
  for (size_t i = 0; i < incoming.size(); ++i) {
    verdicts[position[i]].fresh = fresh[i];
    if (!fresh[i]) continue;
    placer_.Observe(*incoming[i].report, incoming[i].host_class);
    if (lag_hook_ && incoming[i].report->end_unix_ms() > 0) {
      lag_hook_((now_ms - incoming[i].report->end_unix_ms()) / 1000.0, *incoming[i].report);
    }
  }
  return verdicts;
}

void RunIntake::EnterBatch() {
  std::unique_lock lock(gate_mu_);
  gate_cv_.wait(lock, [this] { return !save_starting_; });
  ++batches_in_flight_;
}

void RunIntake::LeaveBatch() {
  std::lock_guard lock(gate_mu_);
  if (--batches_in_flight_ == 0) gate_cv_.notify_all();
}

Result<int64_t> RunIntake::BeginModelSave() {
  std::unique_lock lock(gate_mu_);
  save_starting_ = true;
  gate_cv_.wait(lock, [this] { return batches_in_flight_ == 0; });
  Result<int64_t> newest = store_.NewestRowid();
  if (newest.ok()) placer_.HoldLearning();
  save_starting_ = false;
  gate_cv_.notify_all();
  return newest;
}

void RunIntake::EndModelSave() { placer_.ResumeLearning(); }

bool RunIntake::ModelSaveStarting() {
  std::lock_guard lock(gate_mu_);
  return save_starting_;
}

}  // namespace tailor::scheduler
