// The one name grammar: path steps, hidden names and option-like names are refused wherever a
// name enters, and a huge value never comes back in an error.
#include "common/names.h"

#include <gtest/gtest.h>

namespace tailor {
namespace {

TEST(NamesTest, PathStepsHiddenAndOptionLikeNamesAreRefused) {
  for (const char* bad : {"", ".", "..", "...", "-rf", ".hidden", "_x", "a/b", "a b", "a\n",
                          "caf\xc3\xa9", "x\\y"}) {
    EXPECT_FALSE(IsValidName(NameKind::kFunction, bad)) << bad;
    EXPECT_FALSE(IsValidName(NameKind::kVersion, bad)) << bad;
    EXPECT_FALSE(IsValidName(NameKind::kNodeId, bad)) << bad;
    EXPECT_FALSE(IsValidName(NameKind::kId, bad)) << bad;
  }
  for (const char* good : {"a", "aes-gcm", "sha256", "a..b", "x_y.z-1", "9lives"}) {
    EXPECT_TRUE(IsValidName(NameKind::kFunction, good)) << good;
    EXPECT_TRUE(IsValidName(NameKind::kNodeId, good)) << good;
  }
  EXPECT_TRUE(IsValidName(NameKind::kVersion, "1.0.0+build.7"));
  EXPECT_FALSE(IsValidName(NameKind::kFunction, "a+b")) << "'+' is for versions only";
}

TEST(NamesTest, LengthsAreBoundedPerKind) {
  EXPECT_TRUE(IsValidName(NameKind::kFunction, std::string(64, 'f')));
  EXPECT_FALSE(IsValidName(NameKind::kFunction, std::string(65, 'f')));
  EXPECT_TRUE(IsValidName(NameKind::kNodeId, std::string(128, 'n')));
  EXPECT_FALSE(IsValidName(NameKind::kNodeId, std::string(129, 'n')));
}

TEST(NamesTest, ErrorsNameTheFieldAndQuoteOnlyAShortEscapedExcerpt) {
  const std::string huge(1 << 20, 'h');
  Status s = CheckName(NameKind::kNodeId, huge, "node_id");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.reason(), ErrorReason::kInvalidField);
  EXPECT_EQ(s.field(), "node_id");
  EXPECT_LT(s.message().size(), 300u);
  EXPECT_NE(s.message().find("(1048576 bytes)"), std::string::npos) << s.message();
  EXPECT_EQ(CheckName(NameKind::kFunction, "", "function_name").message(),
            "function_name is required (1..64 characters of [A-Za-z0-9._-] starting with a "
            "letter or digit)");
  EXPECT_EQ(Excerpt(std::string("a\0'\x7f", 4)), "'a\\x00\\x27\\x7f'");
}

}  // namespace
}  // namespace tailor

namespace tailor {
namespace {

TEST(NamesTest, TenantsAreDnsLabels) {
  for (const char* good : {"default", "acme", "team-7", "0a"}) {
    EXPECT_TRUE(IsValidName(NameKind::kTenant, good)) << good;
  }
  for (const char* bad : {"", "Acme", "-acme", "a_b", "a.b", "..", "a/b"}) {
    EXPECT_FALSE(IsValidName(NameKind::kTenant, bad)) << bad;
  }
  EXPECT_FALSE(IsValidName(NameKind::kTenant, std::string(64, 'a')));
  EXPECT_TRUE(IsValidName(NameKind::kTenant, std::string(63, 'a')));
}

}  // namespace
}  // namespace tailor
