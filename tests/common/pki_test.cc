// The cluster CA and what certificates name, with OpenSSL's library (no processes, no files).
#include "common/pki.h"

#include <gtest/gtest.h>

#include "common/cluster_identity.h"

namespace tailor {
namespace {

TEST(PkiTest, IssuedCertificatesVerifyAgainstTheirCaOnlyAndNameTheirHolder) {
  const auto ca = CreateCertificateAuthority("test CA", 30).value();
  const auto other_ca = CreateCertificateAuthority("other CA", 30).value();
  const auto node =
      IssueCertificate(ca,
                       NodeCertificateRequest("node-7", {"h7.example"}, {"10.0.0.7"}, 30).value())
          .value();
  EXPECT_TRUE(CheckCertificateChain(ca.cert_pem, node.cert_pem, node.key_pem).ok());
  EXPECT_FALSE(CheckCertificateChain(other_ca.cert_pem, node.cert_pem, node.key_pem).ok());
  const auto other_key = IssueCertificate(ca, SchedulerCertificateRequest({}, {}, 30)).value();
  EXPECT_FALSE(CheckCertificateChain(ca.cert_pem, node.cert_pem, other_key.key_pem).ok())
      << "a key that is not the certificate's";

  const auto subject = ReadCertificateSubject(node.cert_pem).value();
  EXPECT_EQ(subject.common_name, "node-7");
  EXPECT_NE(std::find(subject.dns_names.begin(), subject.dns_names.end(), "node-7.node.tailor"),
            subject.dns_names.end());
  const Identity id = IdentityFromCertificate(subject).value();
  EXPECT_EQ(id.kind, Identity::Kind::kNode);
  EXPECT_EQ(id.name, "node-7");
}

TEST(PkiTest, CallerCertificatesCarryRoleAndTenant) {
  const auto ca = CreateCertificateAuthority("test CA", 30).value();
  const auto cert =
      IssueCertificate(ca, CallerCertificateRequest("ci", Role::kDeployer, "acme", 30).value())
          .value();
  const Identity id =
      IdentityFromCertificate(ReadCertificateSubject(cert.cert_pem).value()).value();
  EXPECT_EQ(id.kind, Identity::Kind::kCaller);
  EXPECT_EQ(id.role, Role::kDeployer);
  EXPECT_EQ(id.tenant, "acme");
  EXPECT_TRUE(id.by_certificate);
}

TEST(PkiTest, RequestsNoCertificateCanCarryAreRefused) {
  const auto ca = CreateCertificateAuthority("test CA", 30).value();
  EXPECT_FALSE(NodeCertificateRequest("..", {}, {}, 30).ok());
  EXPECT_FALSE(NodeCertificateRequest(std::string(65, 'n'), {}, {}, 30).ok());
  EXPECT_FALSE(CallerCertificateRequest("ci", Role::kAdmin, "Not_A_Tenant", 30).ok());
  auto bad_ip = SchedulerCertificateRequest({}, {"300.1.1.1"}, 30);
  EXPECT_EQ(IssueCertificate(ca, bad_ip).status().code(), StatusCode::kInvalidArgument);
  CertificateRequest no_usage;
  no_usage.common_name = "x";
  EXPECT_EQ(IssueCertificate(ca, no_usage).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ReadCertificateSubject("not a certificate").ok());
}

TEST(PkiTest, ACertificateFromTheCaForSomethingElseNamesNoIdentity) {
  CertificateSubject foreign;
  foreign.common_name = "www";
  foreign.organization = "Example Corp";
  EXPECT_EQ(IdentityFromCertificate(foreign).status().code(), StatusCode::kUnauthenticated);
  foreign.organization = "tailor:superuser";
  EXPECT_EQ(IdentityFromCertificate(foreign).status().code(), StatusCode::kUnauthenticated);
}

}  // namespace
}  // namespace tailor
