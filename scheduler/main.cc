// tailor-scheduler: the central scheduler.
#include <iostream>

#include "common/command_line.h"
#include "common/file_util.h"
#include "common/logging.h"
#include "common/malloc_tuning.h"
#include "common/signals.h"
#include "common/version.h"
#include "scheduler/scheduler_server.h"

int main(int argc, char** argv) {
  using namespace tailor;
  BlockTerminationSignals();
  CLI::App app{"tailor-scheduler: Tailor's central scheduler (nodes, functions, placement, invocations)"};
  app.set_version_flag("--version", kTailorVersion);
  CommonOptions common;
  SetUpCommandLine(app, common);

  scheduler::SchedulerOptions opts;
  int64_t lease_timeout_ms = 5000;
  int64_t heartbeat_interval_ms = 1000;
  std::string address_file;
  app.add_option("--listen", opts.listen_address, "gRPC listen address (port 0: any free port)");
  app.add_option("--data-dir", opts.data_dir, "Directory for the SQLite database and bundles");
  app.add_flag("--init", opts.init_database,
               "Start a new, empty cluster even in an empty scheduler.db (refused otherwise)");
  app.add_option("--lease-timeout-ms", lease_timeout_ms,
                 "Heartbeat silence after which a node is unhealthy")
      ->check(CLI::Range(int64_t{50}, int64_t{3'600'000}));
  app.add_option("--heartbeat-interval-ms", heartbeat_interval_ms,
                 "Heartbeat interval asked of agents")
      ->check(CLI::Range(int64_t{10}, int64_t{600'000}));
  app.add_option("--address-file", address_file, "Write the bound address to this file");
  std::string metrics_address_file, http_address_file;
  app.add_option("--metrics-listen", opts.metrics_listen,
                 "Prometheus metrics endpoint, plain HTTP without authentication (host:port; "
                 "empty: none)");
  app.add_option("--metrics-address-file", metrics_address_file,
                 "Write the metrics endpoint's host:port here");
  app.add_option("--http-listen", opts.http_listen,
                 "HTTP webhook endpoint for async invocations (host:port; empty: none)");
  app.add_option("--http-address-file", http_address_file,
                 "Write the webhook endpoint's host:port here");
  app.add_flag("--kube-extender", opts.kube_extender,
               "Serve the Kubernetes scheduler extender verbs /kube/v1/filter and "
               "/kube/v1/prioritize on the HTTP endpoint (docs/kubernetes.md)");
  app.add_option("--kube-extender-policy", opts.extender.policy,
                 "Policy the extender ranks nodes by (empty: --policy)");
  app.add_option("--policy", opts.placer.default_policy,
                 "Default placement policy: performance, efficiency, balanced, least-loaded, round-robin");
  app.add_option("--exploration", opts.placer.policy_settings.exploration,
                 "Scale of performance's and balanced's value of information (0: always exploit; "
                 "efficiency always does)")
      ->check(CLI::Range(0.0, 10.0));
  app.add_option("--max-attempts", opts.gateway.max_attempts,
                 "Agents tried per invocation when one fails before the function starts")
      ->check(CLI::Range(1u, 20u));
  app.add_option("--async-workers", opts.dispatcher.workers,
                 "Async invocations run at once by the dispatcher")
      ->check(CLI::Range(1u, 256u));
  app.add_option("--async-max-attempts", opts.dispatcher.max_attempts,
                 "Tries of an async invocation that could not run before it fails")
      ->check(CLI::Range(1u, 100u));
  int64_t async_deadline_s = 3600, admission_wait_ms = 10'000;
  app.add_option("--async-deadline-s", async_deadline_s,
                 "An async invocation not run this long after it was accepted fails (NOT_RUN)")
      ->check(CLI::Range(int64_t{1}, int64_t{30} * 24 * 3600));
  app.add_option("--admission-wait-ms", admission_wait_ms,
                 "How long a sync call with no deadline of its own waits for capacity")
      ->check(CLI::Range(int64_t{0}, int64_t{600'000}));
  app.add_option("--admission-max-waiting", opts.admission.max_waiting,
                 "Calls that may wait for capacity at once; beyond it: RESOURCE_EXHAUSTED")
      ->check(CLI::Range(size_t{0}, size_t{1'000'000}));
  app.add_option("--async-max-pending", opts.async_queue.max_pending,
                 "Async invocations queued or running at once; beyond it: HTTP 429 / "
                 "RESOURCE_EXHAUSTED (0: no bound)")
      ->check(CLI::Range(int64_t{0}, int64_t{100'000'000}));
  app.add_flag("--callback-allow-private", opts.callbacks.allow_private,
               "Let completion callbacks reach loopback, private and link-local addresses");
  app.add_option("--callback-max-attempts", opts.callbacks.max_attempts,
                 "Tries of a completion callback before it is FAILED")
      ->check(CLI::Range(1u, 100u));
  int64_t callback_backoff_ms = 1000;
  app.add_option("--callback-initial-backoff-ms", callback_backoff_ms,
                 "Wait after a callback's first failed try (doubling after each, up to 5 min)")
      ->check(CLI::Range(int64_t{10}, int64_t{600'000}));
  app.add_flag("--insecure-allow-anyone", opts.security.insecure,
               "INSECURE: no TLS and no authentication; anyone who reaches a port controls the "
               "cluster (only for tests on an isolated host)");
  app.add_option("--tls-dir", opts.security.tls_dir,
                 "The scheduler's ca.crt, tls.crt, tls.key (default: its own CA, made in "
                 "<data-dir>/pki at first start)");
  app.add_option("--tls-dns-name", opts.security.extra_dns_names,
                 "Extra DNS name for the certificate the scheduler makes itself (repeatable)");
  app.add_option("--tls-ip", opts.security.extra_ips,
                 "Extra IP address for the certificate the scheduler makes itself (repeatable)");
  app.add_option("--tenant-max-concurrent", opts.tenants.max_concurrent_invocations,
                 "Invocations one tenant may have running at once (0: no limit)")
      ->check(CLI::Range(0u, 10'000'000u));
  app.add_option("--tenant-max-pending", opts.async_queue.max_pending_per_tenant,
                 "Async invocations one tenant may have queued or running (0: no limit)")
      ->check(CLI::Range(int64_t{0}, int64_t{100'000'000}));
  app.add_option("--max-bundle-bytes", opts.functions.max_bundle_bytes,
                 "Largest bundle archive `tailorctl deploy` may upload");
  app.add_option("--max-payload-bytes", opts.gateway_service.max_payload_bytes,
                 "Largest invocation payload");
  app.add_option("--max-runs", opts.runs.max_runs,
                 "Raw run reports kept (oldest deleted beyond this)");

  if (auto exit_code = ParseCommandLine(app, common, argc, argv)) return *exit_code;
  if (heartbeat_interval_ms >= lease_timeout_ms) {
    std::cerr << "error: --heartbeat-interval-ms (" << heartbeat_interval_ms
              << ") must be shorter than --lease-timeout-ms (" << lease_timeout_ms << ")\n";
    return 2;
  }
  opts.dispatcher.deadline = std::chrono::seconds(async_deadline_s);
  opts.callbacks.initial_backoff = std::chrono::milliseconds(callback_backoff_ms);
  opts.gateway.admission_wait = std::chrono::milliseconds(admission_wait_ms);
  opts.gateway.max_admission_wait =
      std::max(opts.gateway.max_admission_wait, opts.gateway.admission_wait);
  opts.registry.lease_timeout = std::chrono::milliseconds(lease_timeout_ms);
  opts.registry.heartbeat_interval = std::chrono::milliseconds(heartbeat_interval_ms);

  // Before any thread: rankings of thousands of nodes reuse their buffers (malloc_tuning.h).
  if (!KeepFreedMemoryForReuse()) log::Warn("malloc thresholds not set; running with defaults", {});
  auto server = scheduler::SchedulerServer::Start(opts, RealClock::Get());
  if (!server.ok()) {
    log::Error("cannot start scheduler", {{"error", server.status()}});
    return 1;
  }
  for (const auto& [file, address] :
       {std::pair{address_file, (*server)->address()},
        std::pair{metrics_address_file, (*server)->metrics_address()},
        std::pair{http_address_file, (*server)->http_address()}}) {
    if (file.empty()) continue;
    Status s = WriteFileAtomically(file, address + "\n");
    if (!s.ok()) {
      log::Error("cannot write address file", {{"file", file}, {"error", s}});
      return 1;
    }
  }
  int sig = WaitForTerminationSignal();
  log::Info("scheduler stopping", {{"signal", sig}});
  (*server)->Stop();
  return 0;
}
