// KubePod: what Tailor's Kubernetes scheduler extender reads from the JSON kube-scheduler sends
// (k8s.io/kube-scheduler/extender/v1 ExtenderArgs{Pod, Nodes, NodeNames}, with the Pod and the
// NodeList in Kubernetes' own JSON), apart from the HTTP server and the placer, so that the
// parsing of untrusted requests is pure, unit-tested and fuzzed (fuzz/kube_extender_fuzz.cc).
//
// A pod is a Tailor function when it carries the label or annotation kFunctionKey (label
// first); kVersionKey names a version (else the newest) and kRequiresKey a comma-separated list
// of CPU features the node must have. Its resource requests (the sum over its containers, or
// the largest init container's when that is more, plus the pod's overhead) are the allocation
// it is placed for. Keys are matched as Go's encoding/json matches them: exact, else ignoring
// case.
//
// Thread-safety: thread-safe. Each thread remembers the last NodeNames list it read and
// reuses its names when the same bytes come again (the answer is the same either way).
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "models/placement_policy.h"
#include "scheduler/json_scan.h"

namespace tailor::scheduler {

inline constexpr std::string_view kFunctionKey = "tailor.dev/function";
inline constexpr std::string_view kVersionKey = "tailor.dev/function-version";
inline constexpr std::string_view kRequiresKey = "tailor.dev/requires";

struct KubePod {
  std::string namespace_name;  // "namespace/name", for messages
  std::string function;        // empty: not a Tailor function
  std::string version;         // empty: the newest
  std::vector<std::string> required_features;
  models::Allocation requests;  // memory and CPU requested
};

// The candidate nodes' names, decoded, and as JSON to be written back into answers.
struct NodeNameList {
  std::vector<std::string> names;
  // A JSON array of the names: NodeNames' text as it was sent, or written from a NodeList's
  // names. Each name's own JSON string in it (a valid one that decodes to the name, escapes as
  // sent) is at quoted[i], so answers copy names without escaping them again.
  std::string text;
  std::vector<JsonSpan> quoted;
  std::string_view QuotedName(size_t i) const { return quoted[i].In(text); }
};

struct ExtenderArgs {
  KubePod pod;
  // The candidate nodes, in the order sent. Shared, never changed: the thread that read them
  // keeps the same list for the next request naming the same nodes (kube-scheduler sends the
  // same thousands of names pod after pod), so a request does not copy them.
  std::shared_ptr<const NodeNameList> shared_node_names;
  const std::vector<std::string>& node_names() const;
  const NodeNameList& node_name_list() const;
  // node_names(), shared with the list (the same object for the same list).
  std::shared_ptr<const std::vector<std::string>> shared_names() const;
  // nodeCacheCapable: kube-scheduler sent NodeNames (and wants NodeNames back); else it sent
  // a NodeList, kept as text (it may be megabytes: it is scanned, not parsed whole) to send the
  // nodes that pass back as they came.
  bool node_cache_capable = true;
  std::string node_list_text;
  JsonSpan items;                    // the NodeList's items array, in node_list_text
  std::vector<JsonSpan> node_items;  // each Node, in node_list_text, as node_names
};

// INVALID_ARGUMENT, naming the field, for a body that is not ExtenderArgs: not JSON, no Pod,
// neither Nodes nor NodeNames, more than kMaxCandidateNodes nodes, a node without a name, a
// function or version name outside Tailor's grammar, or requests that are not quantities.
Result<ExtenderArgs> ParseExtenderArgs(std::string_view body);

// The member of a JSON object as Go's encoding/json finds a struct field: the exact key, else
// one equal ignoring ASCII case; null when none (or `object` is not an object).
const nlohmann::json* GoField(const nlohmann::json& object, std::string_view key);
nlohmann::json* GoField(nlohmann::json& object, std::string_view key);

}  // namespace tailor::scheduler
