#include "cli/invoke_command.h"

#include <iostream>
#include <iterator>
#include <thread>

#include "cli/outcome_exit_code.h"
#include "cli/scheduler_connection.h"
#include "cli/table.h"
#include "common/file_util.h"
#include "proto/async_state_name.h"
#include "tailor/v1/gateway.grpc.pb.h"

namespace tailor::cli {
namespace {

Result<std::string> ReadPayload(const std::string& data) {
  if (data == "-") {
    return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  if (!data.empty() && data.front() == '@') return ReadFile(data.substr(1));
  return data;
}

void PrintRun(const v1::GatewayInvokeResponse& r) {
  const auto& rep = r.report();
  std::cerr << "node:        " << r.node_id()
            << (r.policy().empty() ? "" : " (policy " + r.policy() + ")")
            << (r.explored() ? ", explored" : "") << "\n"
            << "decision:    " << r.decision_id() << "\n"
            << "invocation:  " << rep.invocation_id() << "\n"
            << "allocation:  memory " << FormatBytes(rep.allocation().memory_limit_bytes())
            << ", cpu " << rep.allocation().cpu_millicores() << "m\n"
            << "exit:        " << rep.exit_code() << (rep.timed_out() ? " (timed out)" : "")
            << (rep.oom_killed() ? " (OOM-killed)" : "") << "\n"
            << "wall:        " << rep.wall_time_us() / 1000.0 << " ms (queued "
            << rep.queue_wait_us() / 1000.0 << " ms)\n"
            << "cpu:         user " << rep.user_cpu_us() / 1000.0 << " ms, system "
            << rep.system_cpu_us() / 1000.0 << " ms\n"
            << "peak memory: " << FormatBytes(rep.peak_memory_bytes()) << "\n";
  if (r.predicted_duration_ms() > 0) {
    std::cerr << "predicted:   " << r.predicted_duration_ms() << " ms\n";
  }
  for (const auto& a : r.attempts()) {
    if (!a.error().empty()) std::cerr << "retried:     " << a.error() << "\n";
  }
  if (!r.stderr_tail().empty()) std::cerr << "stderr:\n" << r.stderr_tail();
}


}  // namespace

int RunInvoke(const GlobalOptions& global, const InvokeOptions& options) {
  auto payload = ReadPayload(options.data);
  if (!payload.ok()) {
    std::cerr << "error: reading --data: " << payload.status().message() << "\n";
    return 2;
  }
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto stub = v1::Gateway::NewStub(ConnectToScheduler(global, address));
  v1::GatewayInvokeRequest request;
  request.set_function_name(options.function);
  request.set_function_version(options.version);
  request.set_payload(*payload);
  request.set_timeout_ms(options.function_timeout_ms);
  request.set_policy(options.policy);
  request.set_idempotency_key(options.idempotency_key);
  request.set_callback_url(options.callback_url);
  if (!options.callback_url.empty() && !options.async) {
    std::cerr << "error: --callback needs --async (a sync call answers you itself)\n";
    return 2;
  }
  grpc::ClientContext ctx;
  if (options.async) {
    SetDeadline(ctx, global);
    v1::InvokeAsyncResponse response;
    grpc::Status status = stub->InvokeAsync(&ctx, request, &response);
    if (!status.ok()) {
      std::cerr << "error: " << DescribeRpcError(status, address, "queueing " + options.function)
                << "\n";
      return 1;
    }
    if (global.output == "json") {
      std::cout << ToJson(response) << "\n";
    } else {
      std::cout << response.id() << "\n";
    }
    return 0;
  }
  // The run may take as long as the function's own timeout: wait up to 15 minutes.
  SetDeadline(ctx, global, std::chrono::minutes(15));
  v1::GatewayInvokeResponse response;
  grpc::Status status = stub->Invoke(&ctx, request, &response);
  if (!status.ok()) {
    std::cerr << "error: " << DescribeRpcError(status, address, "invoking " + options.function)
              << "\n";
    return 1;
  }
  if (global.output == "json") {
    std::cout << ToJson(response) << "\n";
  } else {
    std::cout << response.output();
    if (options.verbose) PrintRun(response);
    // -v printed the stderr already.
    PrintFailure(std::cerr, options.function, response.outcome(), response.error(),
                 options.verbose ? "" : response.stderr_tail());
  }
  return ExitCodeFor(response.outcome());
}

CLI::App* AddInvokeCommand(CLI::App& app, InvokeOptions& options) {
  auto* cmd = app.add_subcommand("invoke", "Run a function and print its output");
  cmd->add_option("function", options.function, "Function name")->required();
  cmd->add_option("--version", options.version, "Function version (default: newest)");
  cmd->add_option("-d,--data", options.data, "Payload: TEXT, @FILE, or - for stdin");
  cmd->add_flag("-v,--verbose", options.verbose,
                "Also print the node, allocation and run report (on stderr)");
  cmd->add_flag("--async", options.async, "Queue the invocation and print its id");
  cmd->add_option("--callback", options.callback_url,
                  "With --async, POST the result to this http(s) URL when it finishes "
                  "(signed; see `tailorctl functions callback-secret`)");
  cmd->add_option("--function-timeout-ms", options.function_timeout_ms,
                  "Wall-clock limit of the run (default: the manifest's)");
  cmd->add_option("--policy", options.policy, "Placement policy (default: the scheduler's)");
  cmd->add_option("--idempotency-key", options.idempotency_key,
                  "With --async, queue it once however often this is sent; without, join a "
                  "call with this key that is still running");
  cmd->footer(
      "Exit codes: 0 succeeded, 1 not run (Tailor's error), 2 usage, 3 function "
      "error, 5 timed out, 6 OOM-killed, 7 start failed, 8 agent lost, 9 output too "
      "large, 10 cancelled.");
  return cmd;
}

int RunResult(const GlobalOptions& global, const ResultOptions& options) {
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto stub = v1::Gateway::NewStub(ConnectToScheduler(global, address));
  const auto give_up = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(options.wait_timeout_ms);
  v1::AsyncResult result;
  while (true) {
    grpc::ClientContext ctx;
    SetDeadline(ctx, global);
    v1::GetResultRequest request;
    request.set_id(options.id);
    result.Clear();
    grpc::Status status = stub->GetResult(&ctx, request, &result);
    if (!status.ok()) {
      std::cerr << "error: " << DescribeRpcError(status, address, "fetching " + options.id) << "\n";
      return 1;
    }
    const bool done = result.state() == v1::ASYNC_STATE_SUCCEEDED ||
                      result.state() == v1::ASYNC_STATE_FAILED;
    if (done || !options.wait || std::chrono::steady_clock::now() > give_up) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const bool finished = result.state() == v1::ASYNC_STATE_SUCCEEDED ||
                        result.state() == v1::ASYNC_STATE_FAILED;
  if (global.output == "json") {
    std::cout << ToJson(result) << "\n";
  } else if (!finished) {
    std::cout << AsyncStateName(result.state()) << " (" << result.attempts() << " attempts)"
              << (result.error().empty() ? "" : ": " + result.error()) << "\n";
  } else {
    std::cout << result.response().output();
    PrintFailure(std::cerr, result.function_name(), result.outcome(), result.error(),
                 result.stderr_tail());
  }
  if (global.output != "json" && result.has_callback()) {
    const v1::CallbackDelivery& cb = result.callback();
    std::cerr << "callback " << cb.url() << ": " << CallbackStateName(cb.state()) << " ("
              << cb.attempts() << " tries)"
              << (cb.last_error().empty() ? "" : ": " + cb.last_error()) << "\n";
  }
  if (!finished) return kExitNotFinished;
  // An entry finished before outcomes were recorded, without a run, is a failure to run.
  if (result.state() == v1::ASYNC_STATE_FAILED && result.outcome() == v1::RUN_OUTCOME_UNSPECIFIED) {
    return kExitTailorError;
  }
  return ExitCodeFor(result.outcome());
}

CLI::App* AddResultCommand(CLI::App& app, ResultOptions& options) {
  auto* cmd = app.add_subcommand("result", "Show an async invocation's state or output");
  cmd->add_option("id", options.id, "The id `tailorctl invoke --async` printed")->required();
  cmd->add_flag("-w,--wait", options.wait, "Wait until it has finished");
  cmd->add_option("--wait-timeout-ms", options.wait_timeout_ms, "Longest wait with --wait");
  cmd->footer(
      "Exit codes: 0 succeeded, 1 not run (Tailor's error), 2 usage, 3 function "
      "error, 4 not finished yet, 5 timed out, 6 OOM-killed, 7 start failed, 8 agent "
      "lost, 9 output too large, 10 cancelled.");
  return cmd;
}

}  // namespace tailor::cli
