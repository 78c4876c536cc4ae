#include "scheduler/kube_pod.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tailor::scheduler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ExtenderArgs as kube-scheduler sends it with nodeCacheCapable: true.
std::string ArgsWithNames(const std::string& pod) {
  return R"({"Pod":)" + pod + R"(,"Nodes":null,"NodeNames":["n1","n2"]})";
}

constexpr char kFunctionPod[] = R"({
  "metadata": {"name": "resize-7f9", "namespace": "faas",
               "labels": {"tailor.dev/function": "resize", "app": "x"},
               "annotations": {"tailor.dev/function-version": "3",
                               "tailor.dev/requires": "aes, avx2"}},
  "spec": {
    "containers": [
      {"name": "fn", "resources": {"requests": {"cpu": "500m", "memory": "128Mi"},
                                   "limits": {"cpu": "2", "memory": "1Gi"}}},
      {"name": "proxy", "resources": {"requests": {"cpu": "100m", "memory": "32Mi"}}}],
    "initContainers": [
      {"name": "warm", "resources": {"requests": {"cpu": "1", "memory": "64Mi"}}}],
    "overhead": {"memory": "16Mi"}
  }})";

TEST(KubePodTest, ReadsTheFunctionVersionFeaturesAndRequests) {
  auto args = ParseExtenderArgs(ArgsWithNames(kFunctionPod));
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->pod.namespace_name, "faas/resize-7f9");
  EXPECT_EQ(args->pod.function, "resize");
  EXPECT_EQ(args->pod.version, "3");
  EXPECT_THAT(args->pod.required_features, ElementsAre("aes", "avx2"));
  // Containers sum to 600m and 160 MiB; the init container's 1000m is larger; plus overhead.
  EXPECT_EQ(args->pod.requests.cpu_millicores, 1000u);
  EXPECT_EQ(args->pod.requests.memory_limit_bytes, (160ull + 16) << 20);
  EXPECT_TRUE(args->node_cache_capable);
  EXPECT_THAT(args->node_names(), ElementsAre("n1", "n2"));
}

// The names of a list sent again are the ones it carries, whatever came between: the same
// list after another pod, a list that differs in one name or in its escapes, a bad list.
TEST(KubePodTest, TheSameNodeNamesSentAgainReadTheSameAndAChangedListIsReadAnew) {
  auto names_of = [](const std::string& pod, const std::string& names) {
    auto args = ParseExtenderArgs(R"({"Pod":)" + pod + R"(,"NodeNames":)" + names + "}");
    EXPECT_TRUE(args.ok()) << args.status();
    return args.ok() ? args->node_names() : std::vector<std::string>{};
  };
  const std::string other_pod = R"({"metadata":{"name":"web"}})";
  EXPECT_THAT(names_of(kFunctionPod, R"(["n1","n2","n3"])"), ElementsAre("n1", "n2", "n3"));
  EXPECT_THAT(names_of(other_pod, R"(["n1","n2","n3"])"), ElementsAre("n1", "n2", "n3"));
  EXPECT_THAT(names_of(kFunctionPod, R"(["n1","n2","n4"])"), ElementsAre("n1", "n2", "n4"));
  EXPECT_THAT(names_of(kFunctionPod, R"(["n1","n2","n\u0034"])"), ElementsAre("n1", "n2", "n4"));
  EXPECT_THAT(names_of(kFunctionPod, R"(["n1", "n2"])"), ElementsAre("n1", "n2"));
  EXPECT_FALSE(
      ParseExtenderArgs(R"({"Pod":)" + std::string(kFunctionPod) + R"(,"NodeNames":["n1",""]})")
          .ok());
  EXPECT_THAT(names_of(kFunctionPod, R"(["n1", "n2"])"), ElementsAre("n1", "n2"));
}

// A list sent again is shared with the request that read it, not copied, and a request keeps
// its names after the thread has read other lists.
TEST(KubePodTest, TheSameNodeNamesSentAgainAreSharedAndOutliveTheNextList) {
  auto args_of = [](const std::string& names) {
    return ParseExtenderArgs(R"({"Pod":)" + std::string(kFunctionPod) + R"(,"NodeNames":)" + names +
                             "}");
  };
  auto first = args_of(R"(["s1","s2"])");
  auto again = args_of(R"(["s1","s2"])");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(again->shared_node_names.get(), first->shared_node_names.get());
  EXPECT_EQ(again->shared_names(), first->shared_names());  // the placer knows it by this
  auto other = args_of(R"(["s3"])");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->shared_node_names.get(), first->shared_node_names.get());
  EXPECT_THAT(first->node_names(), ElementsAre("s1", "s2"));
  EXPECT_THAT(other->node_names(), ElementsAre("s3"));
  EXPECT_TRUE(ExtenderArgs{}.node_names().empty());
}

// Each name's JSON text is kept as sent (escapes included), to be written back unchanged.
TEST(KubePodTest, NodeNamesKeepTheirJsonTextAsSent) {
  const std::string names = R"([ "s\u0031" , "a\"b"])";
  auto args = ParseExtenderArgs(R"({"Pod":)" + std::string(kFunctionPod) + R"(,"NodeNames":)" +
                                names + "}");
  ASSERT_TRUE(args.ok()) << args.status();
  const NodeNameList& list = args->node_name_list();
  EXPECT_EQ(list.text, names);
  EXPECT_THAT(list.names, ElementsAre("s1", "a\"b"));
  EXPECT_EQ(list.QuotedName(0), R"("s\u0031")");
  EXPECT_EQ(list.QuotedName(1), R"("a\"b")");
  EXPECT_EQ(ExtenderArgs{}.node_name_list().text, "[]");
}

TEST(KubePodTest, AFunctionNamedByAnAnnotationAndKeysInAnyCaseAreRead) {
  auto args = ParseExtenderArgs(
      R"({"pod":{"metadata":{"name":"p","annotations":{"tailor.dev/function":"f"}}},)"
      R"("nodenames":["a"]})");
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_EQ(args->pod.function, "f");
  EXPECT_EQ(args->pod.requests.cpu_millicores, 0u);  // no requests: BestEffort
  EXPECT_THAT(args->node_names(), ElementsAre("a"));
}

TEST(KubePodTest, APodWithoutTheLabelIsNotAFunction) {
  auto args = ParseExtenderArgs(ArgsWithNames(
      R"({"metadata":{"name":"web","labels":{"app":"web"}},)"
      R"("spec":{"containers":[{"resources":{"requests":{"cpu":"not-checked"}}}]}})"));
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_TRUE(args->pod.function.empty());
}

TEST(KubePodTest, ANodeListIsKeptToBeSentBack) {
  auto args = ParseExtenderArgs(
      R"({"Pod":{"metadata":{"name":"p"}},"Nodes":{"kind":"NodeList","apiVersion":"v1",)"
      R"("metadata":{},"items":[{"metadata":{"name":"n1","labels":{"zone":"a"}}},)"
      R"({"metadata":{"name":"n2"}}]},"NodeNames":null})");
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_FALSE(args->node_cache_capable);
  EXPECT_THAT(args->node_names(), ElementsAre("n1", "n2"));
  ASSERT_EQ(args->node_items.size(), 2u);
  EXPECT_EQ(args->node_items[0].In(args->node_list_text),
            R"({"metadata":{"name":"n1","labels":{"zone":"a"}}})");
  EXPECT_EQ(args->items.In(args->node_list_text).front(), '[');
}

TEST(KubePodTest, MalformedArgumentsAreRefusedNamingTheField) {
  struct Case {
    std::string body, field;
  };
  const std::string pod = R"({"metadata":{"name":"p","labels":{"tailor.dev/function":"f"}}})";
  const Case cases[] = {
      {"not json", "body"},
      {"[]", "body"},
      {R"({"NodeNames":["a"]})", "Pod"},
      {R"({"Pod":)" + pod + "}", "Nodes"},
      {R"({"Pod":)" + pod + R"(,"NodeNames":[""]})", "NodeNames[0]"},
      {R"({"Pod":)" + pod + R"(,"NodeNames":[7]})", "NodeNames[0]"},
      {R"({"Pod":)" + pod + R"(,"Nodes":{"items":[{"metadata":{}}]}})",
       "Nodes.items[0].metadata.name"},
      {R"({"Pod":{"metadata":{"labels":{"tailor.dev/function":"../x"}}},"NodeNames":[]})",
       "tailor.dev/function"},
      {R"({"Pod":{"metadata":{"labels":{"tailor.dev/function":"f","tailor.dev/requires":"AES"}}},"NodeNames":[]})",
       "tailor.dev/requires"},
      {R"({"Pod":{"metadata":{"labels":{"tailor.dev/function":"f"}},"spec":{"containers":[)"
       R"({"resources":{"requests":{"memory":"lots"}}}]}},"NodeNames":[]})",
       "Pod.spec.containers[0].resources.requests.memory"},
  };
  for (const auto& c : cases) {
    auto args = ParseExtenderArgs(c.body);
    ASSERT_FALSE(args.ok()) << c.body;
    EXPECT_EQ(args.status().code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_EQ(args.status().field(), c.field) << c.body << ": " << args.status();
  }
}

TEST(KubePodTest, MoreNodesThanTheLimitAreRefused) {
  std::string names = "[";
  for (int i = 0; i <= 10'000; ++i) names += (i ? ",\"n" : "\"n") + std::to_string(i) + "\"";
  names += "]";
  auto args = ParseExtenderArgs(R"({"Pod":{"metadata":{}},"NodeNames":)" + names + "}");
  ASSERT_FALSE(args.ok());
  EXPECT_THAT(args.status().message(), HasSubstr("10000"));
}

}  // namespace
}  // namespace tailor::scheduler
