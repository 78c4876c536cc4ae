#include "cli/schedules_command.h"

#include <iostream>

#include "cli/scheduler_connection.h"
#include "cli/table.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "tailor/v1/registry.grpc.pb.h"

namespace tailor::cli {
namespace {

std::string FormatUnixMs(int64_t ms) {
  if (ms <= 0) return "-";
  const std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

int Create(const GlobalOptions& global, v1::Registry::Stub& stub, const std::string& address,
           const SchedulesOptions& options) {
  v1::CreateScheduleRequest request;
  v1::Schedule* s = request.mutable_schedule();
  s->set_name(options.name);
  s->set_function_name(options.function);
  s->set_function_version(options.version);
  s->set_expression(options.expression);
  if (!options.data_file.empty()) {
    auto data = ReadFile(options.data_file);
    if (!data.ok()) {
      std::cerr << "error: " << data.status().message() << "\n";
      return 2;
    }
    s->set_payload(*data);
  } else {
    s->set_payload(options.data);
  }
  grpc::ClientContext ctx;
  SetDeadline(ctx, global);
  v1::Schedule created;
  grpc::Status status = stub.CreateSchedule(&ctx, request, &created);
  if (!status.ok()) {
    std::cerr << "error: " << DescribeRpcError(status, address, "creating " + options.name) << "\n";
    return 1;
  }
  if (global.output == "json") {
    std::cout << ToJson(created) << "\n";
    return 0;
  }
  std::cout << "schedule " << created.name() << ": " << created.function_name() << " on "
            << created.expression() << ", first at " << FormatUnixMs(created.next_fire_unix_ms())
            << "\n";
  return 0;
}

int List(const GlobalOptions& global, v1::Registry::Stub& stub, const std::string& address) {
  grpc::ClientContext ctx;
  SetDeadline(ctx, global);
  v1::ListSchedulesResponse response;
  grpc::Status status = stub.ListSchedules(&ctx, v1::ListSchedulesRequest(), &response);
  if (!status.ok()) {
    std::cerr << "error: " << DescribeRpcError(status, address, "listing schedules") << "\n";
    return 1;
  }
  if (global.output == "json") {
    std::cout << ToJson(response) << "\n";
    return 0;
  }
  Table table({"SCHEDULE", "FUNCTION", "EXPRESSION", "NEXT", "LAST", "LAST INVOCATION"});
  for (const auto& s : response.schedules()) {
    table.AddRow(
        {s.name(),
         s.function_name() + (s.function_version().empty() ? "" : "@" + s.function_version()),
         s.expression(), FormatUnixMs(s.next_fire_unix_ms()), FormatUnixMs(s.last_fired_unix_ms()),
         s.last_invocation_id()});
  }
  table.Print(std::cout);
  return 0;
}

}  // namespace

int RunSchedules(const GlobalOptions& global, const SchedulesOptions& options) {
  const std::string address = ResolveSchedulerAddress(global.scheduler, global.config_scheduler);
  auto stub = v1::Registry::NewStub(ConnectToScheduler(global, address));
  if (*options.create) return Create(global, *stub, address, options);
  if (*options.remove_cmd) {
    grpc::ClientContext ctx;
    SetDeadline(ctx, global);
    v1::DeleteScheduleRequest request;
    request.set_name(options.remove);
    v1::DeleteScheduleResponse response;
    grpc::Status status = stub->DeleteSchedule(&ctx, request, &response);
    if (!status.ok()) {
      std::cerr << "error: " << DescribeRpcError(status, address, "deleting " + options.remove)
                << "\n";
      return 1;
    }
    std::cout << "deleted schedule " << options.remove << "\n";
    return 0;
  }
  return List(global, *stub, address);
}

CLI::App* AddSchedulesCommand(CLI::App& app, SchedulesOptions& options) {
  auto* cmd = app.add_subcommand("schedules", "List, create and delete function schedules");
  options.create = cmd->add_subcommand("create", "Invoke a function on a rate or cron expression");
  options.create->add_option("name", options.name, "Unique name of the schedule")->required();
  options.create->add_option("function", options.function, "Function to invoke")->required();
  options.create
      ->add_option("--expression", options.expression,
                   "rate(5 minutes) or cron(0/15 * * * ? *), UTC, as EventBridge writes them")
      ->required();
  options.create->add_option("--version", options.version, "Version (default: the newest)");
  auto* data = options.create->add_option("--data", options.data, "The event each firing sends");
  options.create->add_option("--data-file", options.data_file, "Read the event from a file")
      ->excludes(data);
  options.remove_cmd = cmd->add_subcommand("delete", "Delete a schedule");
  options.remove_cmd->add_option("name", options.remove, "Schedule name")->required();
  return cmd;
}

}  // namespace tailor::cli
