// The Kubernetes extender's request parsing (kube_pod.h, json_scan.h): any body must parse into
// ExtenderArgs whose names and node spans hold together, or be refused, never crash; what the
// scanner finds must be what a full JSON parser finds.
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_input.h"
#include "scheduler/json_scan.h"
#include "scheduler/kube_pod.h"

namespace {

void CheckArgs(const tailor::scheduler::ExtenderArgs& args) {
  if (args.node_names().size() > 10'000) std::abort();
  for (const auto& name : args.node_names()) {
    if (name.empty() || name.size() > 253) std::abort();
  }
  // The names' JSON, written back into answers as it is, reads as the names.
  const tailor::scheduler::NodeNameList& named = args.node_name_list();
  if (named.quoted.size() != named.names.size()) std::abort();
  for (size_t i = 0; i < named.names.size(); ++i) {
    const auto quoted = nlohmann::json::parse(named.QuotedName(i), nullptr, false);
    if (!quoted.is_string() || quoted.get<std::string>() != named.names[i]) std::abort();
  }
  const auto all = nlohmann::json::parse(named.text, nullptr, false);
  if (!all.is_array() || all.size() != named.names.size()) std::abort();
  if (args.node_cache_capable) return;
  const std::string_view list = args.node_list_text;
  if (args.items.begin > args.items.end || args.items.end > list.size()) std::abort();
  if (!args.node_items.empty() && args.node_items.size() != args.node_names().size()) std::abort();
  for (const auto& item : args.node_items) {
    if (item.begin < args.items.begin || item.end > args.items.end || item.begin >= item.end) {
      std::abort();
    }
    // Every node the scanner found is JSON on its own.
    if (!nlohmann::json::accept(item.In(list))) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = tailor::fuzz::AsText(data, size);
  auto args = tailor::scheduler::ParseExtenderArgs(text);
  if (args.ok()) CheckArgs(*args);
  // The same body again (its NodeNames now the thread's last list, recognised by its bytes)
  // gives the same names.
  auto again = tailor::scheduler::ParseExtenderArgs(text);
  if (again.ok() != args.ok()) std::abort();
  if (again.ok() && again->node_names() != args->node_names()) std::abort();
  // A text the scanner takes as an object must be one a full parser takes too.
  auto members = tailor::scheduler::JsonTopLevelMembers(text);
  if (members.ok() && !nlohmann::json::accept(text)) std::abort();
  return 0;
}
