#include "scheduler/json_scan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tailor::scheduler {
namespace {

TEST(JsonScanTest, FindsAValueByItsKeysIgnoringCaseAndEscapes) {
  const std::string text =
      R"({"a": 1, "Outer" : {"x": [1, {"y": "}"}], "in\u006eer": {"name": "n\"1"}}, "z": null})";
  constexpr std::string_view kPath[] = {"outer", "inner", "name"};
  auto found = FindJsonValue(text, kPath);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->In(text), R"("n\"1")");
  EXPECT_EQ(JsonStringValue((*found)->In(text)).value(), "n\"1");
  constexpr std::string_view kMissing[] = {"outer", "nope"};
  EXPECT_FALSE(FindJsonValue(text, kMissing)->has_value());
  constexpr std::string_view kThroughAScalar[] = {"a", "b"};
  EXPECT_FALSE(FindJsonValue(text, kThroughAScalar)->has_value());
}

TEST(JsonScanTest, ListsArrayElementsAndTopLevelMembers) {
  const std::string text = R"( {"items": [ {"k": [1,2]}, "s", 3.5e-2, true ], "Items": 0} )";
  auto members = JsonTopLevelMembers(text);
  ASSERT_TRUE(members.ok()) << members.status();
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ(FindJsonMember(*members, "Items")->value.In(text), "0");  // exact match first
  const JsonMember* items = FindJsonMember(*members, "ITEMS");
  ASSERT_NE(items, nullptr);
  EXPECT_EQ(items->key, "items");
  auto elements = JsonArrayElements(text, items->value);
  ASSERT_TRUE(elements.ok()) << elements.status();
  ASSERT_EQ(elements->size(), 4u);
  EXPECT_EQ((*elements)[0].In(text), R"({"k": [1,2]})");
  EXPECT_EQ((*elements)[2].In(text), "3.5e-2");
  EXPECT_EQ((*elements)[3].In(text), "true");
}

// A value already checked (the previous request's NodeNames) is recognised by its bytes and
// not walked; what follows it is still checked, and a value that differs is walked as usual.
TEST(JsonScanTest, AValueAlreadyCheckedIsRecognisedByItsBytes) {
  const std::string checked = R"(["n1","n\u0032"])";
  const std::string text = R"({"Pod":{}, "NodeNames": ["n1","n\u0032"], "Other": ["n1"]})";
  auto members = JsonTopLevelMembers(text, checked);
  ASSERT_TRUE(members.ok()) << members.status();
  ASSERT_EQ(members->size(), 3u);
  EXPECT_FALSE((*members)[0].is_checked_value);
  EXPECT_TRUE((*members)[1].is_checked_value);
  EXPECT_EQ((*members)[1].value.In(text), checked);
  EXPECT_FALSE((*members)[2].is_checked_value);
  EXPECT_EQ((*members)[2].value.In(text), R"(["n1"])");
  EXPECT_FALSE(JsonTopLevelMembers(R"({"NodeNames":["n1","n\u0032"] x})", checked).ok());
  EXPECT_FALSE(JsonTopLevelMembers(R"({"NodeNames":["n1","n\u0032", "\q"]})", checked).ok());
  // Only an array or object is recognised by its first bytes: 1 begins 12, and 12 is walked.
  auto number = JsonTopLevelMembers(R"({"a":12})", "1");
  ASSERT_TRUE(number.ok());
  EXPECT_FALSE((*number)[0].is_checked_value);
  EXPECT_EQ((*number)[0].value.In(R"({"a":12})"), "12");
}

TEST(JsonScanTest, TextThatIsNotJsonIsRefused) {
  for (const std::string bad :
       {"", "{", R"({"a")", R"({"a":})", R"({"a":1,})", R"({"a":1} x)", R"({"a":"\q"})",
        "{\"a\":\"\x01\"}", R"({"a":[1 2]})", R"({"a":tru})", R"({"a":"\u12"})", "[1]",
        // Numbers as JSON writes them, and nothing else.
        R"({"a":01})", R"({"a":+1})", R"({"a":1.})", R"({"a":.5})", R"({"a":1e})", R"({"a":1-2})",
        R"({"a":662e616})",
        // UTF-8 that is well formed, and surrogates only in pairs.
        "{\"st\xff"
        "atus\":1}",
        "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", R"({"a":"\ud800"})",
        R"({"a":"\udc00"})", R"({"a":"\ud800\u0041"})"}) {
    EXPECT_FALSE(JsonTopLevelMembers(bad).ok()) << bad;
  }
  EXPECT_TRUE(
      JsonTopLevelMembers(R"({"a":-0.5e+3, "b":"\ud83d\ude00 \u00e9", "c":"Ã©ð"})").ok());
  std::string deep = R"({"a":)" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_FALSE(JsonTopLevelMembers(deep).ok()) << "nesting beyond the limit";
  const std::string shallow = R"({"a":)" + std::string(kMaxJsonScanDepth - 1, '[') +
                              std::string(kMaxJsonScanDepth - 1, ']') + "}";
  EXPECT_TRUE(JsonTopLevelMembers(shallow).ok());
}

}  // namespace
}  // namespace tailor::scheduler
