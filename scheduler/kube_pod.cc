#include "scheduler/kube_pod.h"

#include <algorithm>

#include "common/names.h"
#include "proto/validation.h"
#include "scheduler/kube_quantity.h"

namespace tailor::scheduler {
namespace {

using nlohmann::json;

constexpr size_t kMaxNodeNameBytes = 253;  // a DNS subdomain, as Kubernetes names nodes
constexpr size_t kMaxContainers = 1000;

// At most 253 bytes of printable ASCII (the rest as '?'), for messages.
std::string Printable(std::string_view s) {
  std::string out(s.substr(0, 253));
  for (char& c : out) {
    if (c < ' ' || c > '~') c = '?';
  }
  return out;
}

Status Bad(const std::string& field, const std::string& why) {
  return InvalidArgumentError(field + " " + why).WithField(field);
}

// The value of `key` among the pod's labels, else its annotations; empty when neither has it.
Result<std::string> LabelOrAnnotation(const json& metadata, std::string_view key) {
  for (const char* where : {"labels", "annotations"}) {
    const json* map = GoField(metadata, where);
    if (map == nullptr || !map->is_object()) continue;
    auto it = map->find(std::string(key));
    if (it == map->end()) continue;
    if (!it->is_string())
      return Bad(std::string("Pod.metadata.") + where, "has a non-string value");
    return it->get<std::string>();
  }
  return std::string();
}

// Memory and CPU of one "requests" (or "overhead") map.
Result<models::Allocation> RequestsOf(const json* requests, const std::string& field) {
  models::Allocation a;
  if (requests == nullptr || !requests->is_object()) return a;
  for (const auto& [name, value] : requests->items()) {
    if (name != "memory" && name != "cpu") continue;
    const std::string where = field + "." + name;
    if (!value.is_string()) return Bad(where, "is not a quantity string");
    const std::string text = value.get<std::string>();
    if (name == "memory") {
      TAILOR_ASSIGN_OR_RETURN(a.memory_limit_bytes, ParseMemoryQuantity(text, where));
    } else {
      TAILOR_ASSIGN_OR_RETURN(uint64_t millicores, ParseCpuQuantity(text, where));
      a.cpu_millicores = static_cast<uint32_t>(std::min<uint64_t>(millicores, UINT32_MAX));
    }
  }
  return a;
}

// The sum (or, for init containers, the largest) of a container list's requests.
Result<models::Allocation> ContainersRequest(const json& spec, const char* list, bool largest) {
  models::Allocation total;
  const json* containers = GoField(spec, list);
  if (containers == nullptr || containers->is_null()) return total;
  const std::string field = std::string("Pod.spec.") + list;
  if (!containers->is_array() || containers->size() > kMaxContainers) {
    return Bad(field, "is not a list of at most 1000 containers");
  }
  for (size_t i = 0; i < containers->size(); ++i) {
    const json* resources = GoField((*containers)[i], "resources");
    const json* requests = resources != nullptr ? GoField(*resources, "requests") : nullptr;
    TAILOR_ASSIGN_OR_RETURN(
        models::Allocation a,
        RequestsOf(requests, field + "[" + std::to_string(i) + "].resources.requests"));
    if (largest) {
      total.memory_limit_bytes = std::max(total.memory_limit_bytes, a.memory_limit_bytes);
      total.cpu_millicores = std::max(total.cpu_millicores, a.cpu_millicores);
    } else {
      total.memory_limit_bytes += a.memory_limit_bytes;
      total.cpu_millicores += a.cpu_millicores;
    }
  }
  return total;
}

Result<models::Allocation> PodRequests(const json& spec) {
  TAILOR_ASSIGN_OR_RETURN(models::Allocation sum, ContainersRequest(spec, "containers", false));
  TAILOR_ASSIGN_OR_RETURN(models::Allocation init, ContainersRequest(spec, "initContainers", true));
  TAILOR_ASSIGN_OR_RETURN(models::Allocation overhead,
                          RequestsOf(GoField(spec, "overhead"), "Pod.spec.overhead"));
  models::Allocation a;
  a.memory_limit_bytes =
      std::max(sum.memory_limit_bytes, init.memory_limit_bytes) + overhead.memory_limit_bytes;
  a.cpu_millicores = std::max(sum.cpu_millicores, init.cpu_millicores) + overhead.cpu_millicores;
  return a;
}

Result<std::vector<std::string>> FeatureList(std::string_view text) {
  std::vector<std::string> features;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view f = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
    while (!f.empty() && f.back() == ' ') f.remove_suffix(1);
    if (f.empty()) continue;
    if (!IsFeatureName(f) || features.size() >= 64) {
      return Bad(std::string(kRequiresKey),
                 "must list at most 64 CPU feature names (1..32 characters of [a-z0-9_]), got " +
                     Excerpt(f));
    }
    features.emplace_back(f);
  }
  return features;
}

Result<KubePod> ParsePod(const json& pod) {
  KubePod out;
  const json* metadata = GoField(pod, "metadata");
  if (metadata == nullptr || !metadata->is_object()) return Bad("Pod.metadata", "is missing");
  auto text_of = [&metadata](const char* key) {
    const json* v = GoField(*metadata, key);
    return v != nullptr && v->is_string() ? Printable(v->get<std::string>()) : std::string();
  };
  out.namespace_name = text_of("namespace") + "/" + text_of("name");
  TAILOR_ASSIGN_OR_RETURN(out.function, LabelOrAnnotation(*metadata, kFunctionKey));
  if (out.function.empty()) return out;  // not a function: nothing else matters
  TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kFunction, out.function, std::string(kFunctionKey)));
  TAILOR_ASSIGN_OR_RETURN(out.version, LabelOrAnnotation(*metadata, kVersionKey));
  if (!out.version.empty()) {
    TAILOR_RETURN_IF_ERROR(CheckName(NameKind::kVersion, out.version, std::string(kVersionKey)));
  }
  TAILOR_ASSIGN_OR_RETURN(std::string requires_text, LabelOrAnnotation(*metadata, kRequiresKey));
  TAILOR_ASSIGN_OR_RETURN(out.required_features, FeatureList(requires_text));
  const json* spec = GoField(pod, "spec");
  if (spec != nullptr && spec->is_object()) {
    TAILOR_ASSIGN_OR_RETURN(out.requests, PodRequests(*spec));
  }
  return out;
}

// A node name's text, from a JSON string value of 1..kMaxNodeNameBytes bytes; INVALID_ARGUMENT
// naming `field()` (built only then: a list may hold thousands of names) for anything else.
template <typename FieldName>
Result<std::string> NodeNameIn(std::string_view value_text, FieldName field) {
  auto text = JsonStringValue(value_text);
  if (!text.ok() || text->empty() || text->size() > kMaxNodeNameBytes) {
    return Bad(field(), "must be a node name of 1..253 characters");
  }
  return std::move(*text);
}

// Appends `s` as a JSON string. The names came through the JSON scanner, so they are UTF-8. Runs
// of bytes that need no escape (all of a Kubernetes node name) are appended whole.
void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  size_t plain_from = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c != '"' && c != '\\' && c >= 0x20) continue;
    out.append(s.substr(plain_from, i - plain_from));
    if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += '\\';
      out += s[i];
    }
    plain_from = i + 1;
  }
  out.append(s.substr(plain_from));
  out += '"';
}

// A NodeList's nodes, found in its text without parsing it whole.
Status ReadNodeList(std::string_view list_text, ExtenderArgs& args) {
  constexpr std::string_view kItems[] = {"items"};
  constexpr std::string_view kName[] = {"metadata", "name"};
  args.node_cache_capable = false;
  args.node_list_text = std::string(list_text);
  TAILOR_ASSIGN_OR_RETURN(auto items, FindJsonValue(args.node_list_text, kItems));
  if (!items) return Bad("Nodes", "is missing: the request must carry Nodes or NodeNames");
  args.items = *items;
  if (items->In(args.node_list_text) == "null") return OkStatus();
  auto elements = JsonArrayElements(args.node_list_text, *items);
  if (!elements.ok()) return Bad("Nodes.items", "is not a list of nodes");
  if (elements->size() > kMaxCandidateNodes) return Bad("Nodes.items", "has more than 10000 nodes");
  args.node_items = std::move(*elements);
  auto list = std::make_shared<NodeNameList>();
  list->names.reserve(args.node_items.size());
  list->quoted.reserve(args.node_items.size());
  list->text = "[";
  for (size_t i = 0; i < args.node_items.size(); ++i) {
    auto field = [i] { return "Nodes.items[" + std::to_string(i) + "].metadata.name"; };
    const std::string_view item = args.node_items[i].In(args.node_list_text);
    TAILOR_ASSIGN_OR_RETURN(auto name, FindJsonValue(item, kName));
    if (!name) return Bad(field(), "is missing");
    TAILOR_ASSIGN_OR_RETURN(std::string text, NodeNameIn(name->In(item), field));
    if (i > 0) list->text += ',';
    const size_t begin = list->text.size();
    AppendJsonString(list->text, text);
    list->quoted.push_back({begin, list->text.size()});
    list->names.push_back(std::move(text));
  }
  list->text += ']';
  args.shared_node_names = std::move(list);
  return OkStatus();
}

// The last NodeNames list each thread read: kube-scheduler sends the same thousands of names
// pod after pod, and comparing their bytes costs far less than reading them again. (At most one
// list of kMaxCandidateNodes names per HTTP thread.)
std::shared_ptr<const NodeNameList>& LastNodeNames() {
  thread_local std::shared_ptr<const NodeNameList> last;
  return last;
}

// NodeNames, read in the body's text (thousands of names: no document is built).
Status ReadNodeNames(std::string_view body, JsonSpan list_span, ExtenderArgs& args) {
  auto elements = JsonArrayElements(body, list_span);
  if (!elements.ok()) return Bad("NodeNames", "must be a list of node names");
  if (elements->size() > kMaxCandidateNodes) return Bad("NodeNames", "has more than 10000 nodes");
  auto list = std::make_shared<NodeNameList>();
  list->text.assign(list_span.In(body));
  list->names.reserve(elements->size());
  list->quoted.reserve(elements->size());
  for (size_t i = 0; i < elements->size(); ++i) {
    auto field = [i] { return "NodeNames[" + std::to_string(i) + "]"; };
    const JsonSpan element = (*elements)[i];
    TAILOR_ASSIGN_OR_RETURN(std::string name, NodeNameIn(element.In(body), field));
    list->names.push_back(std::move(name));
    list->quoted.push_back({element.begin - list_span.begin, element.end - list_span.begin});
  }
  args.shared_node_names = list;
  LastNodeNames() = std::move(list);
  return OkStatus();
}

}  // namespace

const NodeNameList& ExtenderArgs::node_name_list() const {
  static const NodeNameList kNone{{}, "[]", {}};
  return shared_node_names ? *shared_node_names : kNone;
}

const std::vector<std::string>& ExtenderArgs::node_names() const { return node_name_list().names; }

std::shared_ptr<const std::vector<std::string>> ExtenderArgs::shared_names() const {
  if (shared_node_names == nullptr) return std::make_shared<const std::vector<std::string>>();
  return {shared_node_names, &shared_node_names->names};
}

const json* GoField(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  if (auto it = object.find(std::string(key)); it != object.end()) return &*it;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (EqualIgnoringAsciiCase(it.key(), key)) return &*it;
  }
  return nullptr;
}

json* GoField(json& object, std::string_view key) {
  return const_cast<json*>(GoField(static_cast<const json&>(object), key));
}

Result<ExtenderArgs> ParseExtenderArgs(std::string_view body) {
  // The body is walked once to check it is a JSON object and find its members; Pod is small
  // and parsed, NodeNames (thousands of names) and Nodes (a NodeList of megabytes) are only
  // scanned.
  const std::shared_ptr<const NodeNameList> last = LastNodeNames();
  auto members = JsonTopLevelMembers(body, last ? std::string_view(last->text) : "");
  if (!members.ok()) return Bad("body", "is not a JSON object (ExtenderArgs)");
  ExtenderArgs args;
  const JsonMember* pod_member = FindJsonMember(*members, "Pod");
  if (pod_member == nullptr) return Bad("Pod", "is missing");
  const json pod = json::parse(pod_member->value.In(body), nullptr, /*allow_exceptions=*/false);
  if (!pod.is_object()) return Bad("Pod", "is missing");
  TAILOR_ASSIGN_OR_RETURN(args.pod, ParsePod(pod));
  const JsonMember* names = FindJsonMember(*members, "NodeNames");
  if (names != nullptr && names->value.In(body) != "null") {
    if (names->is_checked_value) {
      args.shared_node_names = last;
      return args;
    }
    TAILOR_RETURN_IF_ERROR(ReadNodeNames(body, names->value, args));
    return args;
  }
  const JsonMember* nodes = FindJsonMember(*members, "Nodes");
  if (nodes == nullptr || nodes->value.In(body) == "null") {
    return Bad("Nodes", "is missing: the request must carry Nodes or NodeNames");
  }
  TAILOR_RETURN_IF_ERROR(ReadNodeList(nodes->value.In(body), args));
  return args;
}

}  // namespace tailor::scheduler
