// The trace and simulator inputs an operator hands to tailor-sim and tailorctl replay: Azure
// 2019 (three CSVs, split at NUL bytes), Azure 2021, cluster files and function files. Any
// bytes must load or be refused with a message, never crash.
#include "bench/simulator/cluster_spec.h"
#include "bench/simulator/function_truth.h"
#include "common/azure_trace.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = tailor::fuzz::AsText(data, size);
  const auto parts = tailor::fuzz::SplitParts(text, 3);
  tailor::Azure2019Files files;
  files.directory = "fuzz";
  files.invocations = std::string(parts[0]);
  files.durations = std::string(parts[1]);
  files.memory = std::string(parts[2]);
  (void)tailor::ParseAzure2019(files);
  (void)tailor::ParseAzure2021("fuzz.csv", text);
  (void)tailor::sim::ParseClusterSpec(text);
  (void)tailor::sim::ParseFunctionFile(text);
  return 0;
}
