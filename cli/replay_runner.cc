#include "cli/replay_runner.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "proto/run_outcome_name.h"

namespace tailor::cli {
namespace {

using Steady = std::chrono::steady_clock;

double MsSince(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

}  // namespace

std::vector<CallRecord> RunReplay(v1::Gateway::StubInterface& gateway,
                                  const std::vector<WorkloadFunction>& workload,
                                  const Schedule& schedule, const ReplayRunOptions& options,
                                  const ReplayProgress& progress, std::string* stopped_by) {
  const size_t total = schedule.calls.size();
  std::vector<CallRecord> records(total);
  for (size_t i = 0; i < total; ++i) {
    records[i].function = schedule.calls[i].function;
    records[i].scheduled_ms = schedule.calls[i].at_ms;
  }
  std::mutex mu;
  std::condition_variable ready, finished;
  std::deque<size_t> due;  // calls whose time has come, waiting for a sender
  bool dispatching = true;
  std::atomic<bool> stop{false};
  std::string stop_reason;  // guarded by mu
  std::atomic<size_t> done{0}, failed{0};
  const Steady::time_point start = Steady::now();

  auto send = [&](size_t i) {
    const ScheduledCall& call = schedule.calls[i];
    CallRecord& r = records[i];
    v1::GatewayInvokeRequest request;
    request.set_function_name(workload[call.function].name);
    request.set_payload(workload[call.function].payload);
    request.set_policy(options.policy);
    v1::GatewayInvokeResponse response;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(options.call_deadline_ms));
    r.sent_ms = MsSince(start);
    const grpc::Status status = gateway.Invoke(&ctx, request, &response);
    r.latency_ms = MsSince(start) - r.sent_ms;
    if (!status.ok()) {
      r.error = status.error_message();
      if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
          status.error_code() == grpc::StatusCode::NOT_FOUND) {
        std::lock_guard lock(mu);
        if (!stop.exchange(true)) stop_reason = status.error_message();
      }
    } else {
      const v1::RunReport& rep = response.report();
      r.node_id = response.node_id();
      r.decision_id = response.decision_id();
      r.explored = response.explored();
      r.predicted_ms = response.predicted_duration_ms();
      r.wall_ms = rep.wall_time_us() / 1000.0;
      r.cpu_ms = (rep.user_cpu_us() + rep.system_cpu_us()) / 1000.0;
      r.peak_memory_bytes = rep.peak_memory_bytes();
      r.memory_limit_bytes = rep.allocation().memory_limit_bytes();
      r.cpu_millicores = rep.allocation().cpu_millicores();
      r.ok = response.outcome() == v1::RUN_OUTCOME_SUCCEEDED;
      if (!r.ok) r.error = RunOutcomeName(response.outcome()) + ": " + response.error();
    }
    if (!r.ok) failed.fetch_add(1);
    done.fetch_add(1);
    std::lock_guard lock(mu);
    finished.notify_all();
  };

  std::vector<std::thread> senders;
  const uint32_t n_senders = std::max<uint32_t>(1, options.concurrency);
  for (uint32_t s = 0; s < n_senders; ++s) {
    senders.emplace_back([&] {
      for (;;) {
        size_t i;
        {
          std::unique_lock lock(mu);
          ready.wait(lock, [&] { return !due.empty() || !dispatching; });
          if (due.empty()) return;
          i = due.front();
          due.pop_front();
        }
        send(i);
      }
    });
  }

  // This thread releases calls at their time and reports progress while it waits.
  auto last_progress = Steady::now();
  auto report_progress = [&] {
    if (progress && Steady::now() - last_progress >= options.progress_every) {
      progress(done.load(), failed.load(), total);
      last_progress = Steady::now();
    }
  };
  size_t released = 0;
  for (size_t i = 0; i < total && !stop.load(); ++i) {
    const auto due_at = start + std::chrono::duration_cast<Steady::duration>(
                                    std::chrono::duration<double, std::milli>(
                                        schedule.calls[i].at_ms));
    while (Steady::now() < due_at && !stop.load()) {
      std::unique_lock lock(mu);
      finished.wait_until(lock, std::min(due_at, Steady::now() + options.progress_every));
      lock.unlock();
      report_progress();
    }
    if (stop.load()) break;
    {
      std::lock_guard lock(mu);
      due.push_back(i);
    }
    ++released;
    ready.notify_one();
  }
  {
    std::lock_guard lock(mu);
    dispatching = false;
  }
  ready.notify_all();
  // Calls never released count as done for the wait (they were not sent).
  while (done.load() < released) {
    std::unique_lock lock(mu);
    finished.wait_for(lock, options.progress_every, [&] { return done.load() >= released; });
    lock.unlock();
    report_progress();
  }
  for (auto& t : senders) t.join();
  if (progress) progress(done.load(), failed.load(), total);
  if (stopped_by != nullptr) {
    std::lock_guard lock(mu);
    *stopped_by = stop_reason;
  }
  return records;
}

}  // namespace tailor::cli
