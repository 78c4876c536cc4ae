#include "common/logging.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tailor::log {
namespace {

TEST(LoggingTest, TextQuotesValuesThatNeedIt) {
  std::string line = FormatLine(Format::kText, "node became unhealthy",
                                {{"node", "n1"}, {"silent_ms", 5012}, {"why", "no heartbeat"}});
  EXPECT_EQ(line, R"(node became unhealthy node=n1 silent_ms=5012 why="no heartbeat")");
}

TEST(LoggingTest, JsonMembersParseAsAnObject) {
  std::string members = FormatLine(Format::kJson, "say \"hi\"",
                                   {{"node", "n\"1"}, {"ok", true}, {"ratio", 0.5}});
  auto j = nlohmann::json::parse("{" + members + "}");
  EXPECT_EQ(j["msg"], "say \"hi\"");
  EXPECT_EQ(j["node"], "n\"1");
  EXPECT_EQ(j["ok"], true);
  EXPECT_DOUBLE_EQ(j["ratio"].get<double>(), 0.5);
}

TEST(LoggingTest, LevelsParseAndUnknownIsAnError) {
  EXPECT_EQ(*ParseLevel("debug"), Level::kDebug);
  EXPECT_EQ(*ParseLevel("warn"), Level::kWarn);
  EXPECT_EQ(ParseLevel("loud").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*ParseFormat("json"), Format::kJson);
  EXPECT_FALSE(ParseFormat("xml").ok());
}

TEST(LoggingTest, LogOnceLogsOnlyTheFirstTime) {
  Init(Level::kOff, Format::kText);
  EXPECT_TRUE(LogOnce(Level::kWarn, "test.once", "first"));
  EXPECT_FALSE(LogOnce(Level::kWarn, "test.once", "second"));
  EXPECT_TRUE(LogOnce(Level::kWarn, "test.other", "other key"));
  Init(Level::kInfo, Format::kText);
}

}  // namespace
}  // namespace tailor::log
