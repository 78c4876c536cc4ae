#include "scheduler/callback_target.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "common/hmac.h"

namespace tailor::scheduler {
namespace {

using ::testing::HasSubstr;

TEST(CallbackTargetTest, ParsesWhatAReceiverWouldGive) {
  auto t = ParseCallbackUrl("https://hooks.example.com/tailor/done?team=7", "callback_url");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->scheme, "https");
  EXPECT_EQ(t->host, "hooks.example.com");
  EXPECT_EQ(t->port, 443);
  EXPECT_EQ(t->path, "/tailor/done?team=7");
  EXPECT_EQ(t->Origin(), "https://hooks.example.com:443");
  auto plain = ParseCallbackUrl("http://10.0.0.5:8080", "callback_url");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->port, 8080);
  EXPECT_EQ(plain->path, "/");
  auto v6 = ParseCallbackUrl("http://[2001:db8::1]:9000/x#frag", "callback_url");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(v6->path, "/x");
  EXPECT_EQ(v6->Origin(), "http://[2001:db8::1]:9000");
}

TEST(CallbackTargetTest, RefusesWhatIsNotAPlainWebUrlNamingTheField) {
  for (const char* bad :
       {"ftp://x/", "file:///etc/passwd", "hooks.example.com/x", "http://", "http://:80/",
        "http://user:pw@example.com/", "http://example.com:0/", "http://example.com:99999/",
        "http://exa mple.com/", "http://example.com/\n", "http://[::1/"}) {
    auto t = ParseCallbackUrl(bad, "callback_url");
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(t.status().field(), "callback_url") << bad;
  }
  EXPECT_FALSE(ParseCallbackUrl("http://x/" + std::string(3000, 'a'), "callback_url").ok());
}

sockaddr_in V4(const char* text) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  ::inet_pton(AF_INET, text, &a.sin_addr);
  return a;
}
sockaddr_in6 V6(const char* text) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, text, &a.sin6_addr);
  return a;
}

TEST(CallbackTargetTest, PrivateLoopbackAndMetadataAddressesAreRecognised) {
  for (const char* ip : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                         "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1"}) {
    const sockaddr_in a = V4(ip);
    EXPECT_TRUE(IsPrivateAddress(reinterpret_cast<const sockaddr*>(&a))) << ip;
  }
  for (const char* ip : {"8.8.8.8", "172.32.0.1", "93.184.216.34"}) {
    const sockaddr_in a = V4(ip);
    EXPECT_FALSE(IsPrivateAddress(reinterpret_cast<const sockaddr*>(&a))) << ip;
  }
  for (const char* ip : {"::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "ff02::1"}) {
    const sockaddr_in6 a = V6(ip);
    EXPECT_TRUE(IsPrivateAddress(reinterpret_cast<const sockaddr*>(&a))) << ip;
  }
  const sockaddr_in6 public6 = V6("2001:4860:4860::8888");
  EXPECT_FALSE(IsPrivateAddress(reinterpret_cast<const sockaddr*>(&public6)));
}

TEST(CallbackTargetTest, ResolvingRefusesPrivateAddressesUnlessAllowed) {
  auto refused = ResolveCallbackHost("127.0.0.1", false);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(refused.status().message(), HasSubstr("--callback-allow-private"));
  EXPECT_EQ(ResolveCallbackHost("localhost", false).status().code(),
            StatusCode::kFailedPrecondition);
  auto allowed = ResolveCallbackHost("127.0.0.1", true);
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ(*allowed, "127.0.0.1");
  EXPECT_EQ(ResolveCallbackHost("no-such-host.invalid", true).status().code(),
            StatusCode::kUnavailable);
}

TEST(HmacTest, MatchesRfc4231) {
  // RFC 4231, test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

}  // namespace
}  // namespace tailor::scheduler
