// Tailor as a Kubernetes scheduler extender, timed as kube-scheduler uses it: for one pod, a
// `filter` call and then a `prioritize` call over real HTTP on loopback, against thousands of
// nodes, one pod after another (kube-scheduler schedules one pod at a time and calls each
// extender in turn).
//
//   build/bin/extender_load [--nodes 5000] [--seconds 10] [--bin-dir build/bin]
//                           [--mode names|nodes] [--node-names cloud|short]
//
// Starts tailor-scheduler with --kube-extender (plaintext, --insecure-allow-anyone: the
// extender verbs take no token either way), registers the nodes through the Membership API (12
// host classes), registers a function for placement only and teaches it with reports, then
// posts filter + prioritize for one pod naming every node, back to back, and prints the p50/p99
// of filter, prioritize and the two together, pods per second, the scheduler's CPU per pod and
// the request size, as one JSON object. `names` is nodeCacheCapable: true (NodeNames); `nodes`
// is nodeCacheCapable: false, where kube-scheduler sends each node whole (a realistic Node object
// of about 2 KB, without a container image list) and filter sends the passing ones back.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/process_cpu.h"
#include "bench/scheduler_process.h"
#include "tailor/v1/membership.grpc.pb.h"
#include "tailor/v1/placement.grpc.pb.h"
#include "tailor/v1/registry.grpc.pb.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

[[noreturn]] void Die(const std::string& why) { tailor::bench::Die("extender_load", why); }

// Node names as clouds give them (EKS: the private IP's DNS name, about 40 bytes), or short
// ones (`--node-names short`: "k8s-node-N", the figures before 2026-12-02's thirteenth session).
bool g_short_names = false;
std::string NodeName(int i) {
  if (g_short_names) return "k8s-node-" + std::to_string(i);
  return "ip-10-0-" + std::to_string(i / 250) + "-" + std::to_string(i % 250) +
         ".eu-west-1.compute.internal";
}

// A Node as kube-scheduler sends it with nodeCacheCapable: false (fields of a real kubelet's
// node, no container images).
json KubeNode(int i) {
  const std::string name = NodeName(i);
  auto condition = [](const char* type, const char* status, const char* reason) {
    return json{{"type", type},
                {"status", status},
                {"lastHeartbeatTime", "2026-12-01T03:00:00Z"},
                {"lastTransitionTime", "2026-11-20T10:00:00Z"},
                {"reason", reason},
                {"message", std::string("kubelet reports ") + reason}};
  };
  const json resources = {{"cpu", "16"},
                          {"memory", "65842424Ki"},
                          {"pods", "110"},
                          {"ephemeral-storage", "203070420Ki"},
                          {"hugepages-2Mi", "0"}};
  return {{"metadata",
           {{"name", name},
            {"uid", "6c0f6f5e-1f8e-4a55-9d1b-" + std::to_string(100000000000 + i)},
            {"resourceVersion", std::to_string(900000 + i)},
            {"creationTimestamp", "2026-11-20T10:00:00Z"},
            {"labels",
             {{"kubernetes.io/hostname", name},
              {"kubernetes.io/os", "linux"},
              {"kubernetes.io/arch", "amd64"},
              {"node.kubernetes.io/instance-type", "m6i.4xlarge"},
              {"topology.kubernetes.io/zone", "zone-" + std::to_string(i % 3)},
              {"topology.kubernetes.io/region", "region-1"}}},
            {"annotations",
             {{"node.alpha.kubernetes.io/ttl", "0"},
              {"volumes.kubernetes.io/controller-managed-attach-detach", "true"}}}}},
          {"spec",
           {{"podCIDR", "10.244." + std::to_string(i % 250) + ".0/24"},
            {"providerID", "aws:///zone/i-0" + std::to_string(i)}}},
          {"status",
           {{"capacity", resources},
            {"allocatable", resources},
            {"conditions",
             json::array({condition("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                          condition("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                          condition("PIDPressure", "False", "KubeletHasSufficientPID"),
                          condition("Ready", "True", "KubeletReady")})},
            {"addresses", json::array({{{"type", "InternalIP"}, {"address", "10.0.0.1"}},
                                       {{"type", "Hostname"}, {"address", name}}})},
            {"nodeInfo",
             {{"machineID", "ec2d3b5a1c9e4f7b8a6d2e0f1c3b5a7d"},
              {"systemUUID", "ec2d3b5a-1c9e-4f7b-8a6d-2e0f1c3b5a7d"},
              {"bootID", "0f6a2b4c-8d1e-4f3a-9b5c-7d2e1f0a3b4c"},
              {"kernelVersion", "6.1.0-27-amd64"},
              {"osImage", "Debian GNU/Linux 12 (bookworm)"},
              {"containerRuntimeVersion", "containerd://1.7.22"},
              {"kubeletVersion", "v1.31.2"},
              {"kubeProxyVersion", "v1.31.2"},
              {"operatingSystem", "linux"},
              {"architecture", "amd64"}}}}}};
}

void RegisterNodes(grpc::Channel& channel, int nodes) {
  const std::vector<std::vector<const char*>> feature_sets = {
      {"aes", "avx2", "avx512f", "sha_ni"}, {"aes", "avx2"}, {"avx2"}, {}};
  auto membership = tailor::v1::Membership::NewStub(
      std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  for (int i = 0; i < nodes; ++i) {
    grpc::ClientContext ctx;
    tailor::v1::RegisterRequest req;
    req.set_node_id(NodeName(i));
    req.set_address("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":7401");
    auto* inv = req.mutable_inventory();
    inv->mutable_cpu()->set_model_name("Bench CPU " + std::to_string(i % 3));
    inv->mutable_topology()->set_logical_cores(16);
    inv->set_memory_bytes(64ull << 30);
    for (const char* f : feature_sets[i % feature_sets.size()]) {
      (*inv->mutable_cpu_features())[f] = true;
    }
    tailor::v1::RegisterResponse resp;
    const grpc::Status s = membership->Register(&ctx, req, &resp);
    if (!s.ok()) Die("register failed: " + s.error_message());
  }
}

// A placement-only function, taught by 20 reports per node of the first 120 nodes (every
// class): faster where AES-NI is.
void RegisterAndTeach(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext ctx;
  tailor::v1::RegisterFunctionRequest r;
  r.set_name("thumbnail");
  r.set_version("1");
  r.set_timeout_ms(5000);
  tailor::v1::DeployResponse reply;
  const grpc::Status s = tailor::v1::Registry::NewStub(channel)->RegisterFunction(&ctx, r, &reply);
  if (!s.ok()) Die("RegisterFunction failed: " + s.error_message());
  auto placement = tailor::v1::Placement::NewStub(channel);
  for (int i = 0; i < 120 * 20; ++i) {
    const int node = i % 120;
    grpc::ClientContext rctx;
    tailor::v1::ReportRequest req;
    auto* rep = req.mutable_report();
    rep->set_invocation_id("teach-" + std::to_string(i));
    rep->set_function_name("thumbnail");
    rep->set_node_id(NodeName(node));
    rep->set_outcome(tailor::v1::RUN_OUTCOME_SUCCEEDED);
    rep->set_wall_time_us(node % 4 < 2 ? 20'000 : 60'000);
    tailor::v1::ReportResponse resp;
    const grpc::Status rs = placement->Report(&rctx, req, &resp);
    if (!rs.ok()) Die("Report failed: " + rs.error_message());
  }
}

std::string RequestBody(int nodes, bool names) {
  json pod = {
      {"metadata",
       {{"name", "thumbnail-7d9f"},
        {"namespace", "faas"},
        {"labels", {{"tailor.dev/function", "thumbnail"}}}}},
      {"spec",
       {{"containers",
         json::array({{{"name", "fn"},
                       {"resources", {{"requests", {{"cpu", "500m"}, {"memory", "256Mi"}}}}}}})}}}};
  json args = {{"Pod", std::move(pod)}};
  if (names) {
    json list = json::array();
    for (int i = 0; i < nodes; ++i) list.push_back(NodeName(i));
    args["NodeNames"] = std::move(list);
    args["Nodes"] = nullptr;
  } else {
    json items = json::array();
    for (int i = 0; i < nodes; ++i) items.push_back(KubeNode(i));
    args["Nodes"] = {{"kind", "NodeList"}, {"apiVersion", "v1"}, {"items", std::move(items)}};
    args["NodeNames"] = nullptr;
  }
  return args.dump();
}

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * (v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  int nodes = 5000;
  double seconds = 10;
  std::string bin_dir = "build/bin", mode = "names", names = "cloud";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--nodes"))
      nodes = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds"))
      seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--bin-dir"))
      bin_dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--mode"))
      mode = argv[i + 1];
    else if (!std::strcmp(argv[i], "--node-names"))
      names = argv[i + 1];
    else
      Die(std::string("unknown flag ") + argv[i]);
  }
  if (mode != "names" && mode != "nodes") Die("--mode must be names or nodes");
  if (names != "cloud" && names != "short") Die("--node-names must be cloud or short");
  g_short_names = names == "short";
  if (nodes < 1 || nodes > 10'000) Die("--nodes must be 1..10000 (the most a pod may name)");
  char tmpl[] = "/tmp/tailor-extender-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  auto scheduler = tailor::bench::StartSchedulerProcess(
      bin_dir, dir, {"--insecure-allow-anyone", "--kube-extender", "--http-listen", "127.0.0.1:0"});
  auto channel = grpc::CreateChannel(scheduler.address, grpc::InsecureChannelCredentials());
  RegisterNodes(*channel, nodes);
  RegisterAndTeach(channel);

  const std::string body = RequestBody(nodes, mode == "names");
  const std::string host = scheduler.http_address.substr(0, scheduler.http_address.rfind(':'));
  httplib::Client http(host, std::stoi(scheduler.http_address.substr(host.size() + 1)));
  http.set_keep_alive(true);
  http.set_read_timeout(30, 0);
  std::vector<double> filter_us, prioritize_us, pod_us;
  size_t failures = 0, passed = 0;
  // The scheduler's own CPU per pod: steadier than latency on a VM the client shares.
  const double cpu_before = tailor::bench::ProcessCpuSeconds(scheduler.pid);
  const auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < seconds) {
    const auto t0 = Clock::now();
    auto f = http.Post("/kube/v1/filter", body, "application/json");
    const auto t1 = Clock::now();
    auto p = http.Post("/kube/v1/prioritize", body, "application/json");
    const auto t2 = Clock::now();
    if (!f || f->status != 200 || !p || p->status != 200) {
      ++failures;
      continue;
    }
    const json filtered = json::parse(f->body);
    if (!filtered["Error"].get<std::string>().empty()) ++failures;
    passed = mode == "names" ? filtered["NodeNames"].size() : filtered["Nodes"]["items"].size();
    filter_us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
    prioritize_us.push_back(std::chrono::duration<double, std::micro>(t2 - t1).count());
    pod_us.push_back(std::chrono::duration<double, std::micro>(t2 - t0).count());
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double scheduler_cpu_s = tailor::bench::ProcessCpuSeconds(scheduler.pid) - cpu_before;
  const json out = {
      {"nodes", nodes},
      {"mode", mode},
      {"node_names", names},
      {"request_bytes", body.size()},
      {"pods", pod_us.size()},
      {"failures", failures},
      {"nodes_passing_filter", passed},
      {"pods_per_second", pod_us.size() / elapsed},
      {"scheduler_cpu_us_per_pod", pod_us.empty() ? 0.0 : scheduler_cpu_s * 1e6 / pod_us.size()},
      {"filter_p50_us", Percentile(filter_us, 0.5)},
      {"filter_p99_us", Percentile(filter_us, 0.99)},
      {"prioritize_p50_us", Percentile(prioritize_us, 0.5)},
      {"prioritize_p99_us", Percentile(prioritize_us, 0.99)},
      {"pod_p50_us", Percentile(pod_us, 0.5)},
      {"pod_p99_us", Percentile(pod_us, 0.99)}};
  std::printf("%s\n", out.dump(2).c_str());
  tailor::bench::StopSchedulerProcess(scheduler);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return failures == 0 ? 0 : 1;
}
