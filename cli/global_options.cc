#include "cli/global_options.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

namespace tailor::cli {

void SetDeadline(grpc::ClientContext& ctx, const GlobalOptions& global,
                 std::chrono::milliseconds at_least) {
  const auto timeout = std::max(std::chrono::milliseconds(global.timeout_ms), at_least);
  ctx.set_deadline(std::chrono::system_clock::now() + timeout);
}

std::string ToJson(const google::protobuf::Message& message, bool pretty) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = pretty;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace tailor::cli
