#include "common/pki.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

namespace tailor {
namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
};
template <typename T>
using Owned = std::unique_ptr<T, Free>;

constexpr size_t kMaxNameBytes = 64;  // RFC 5280 ub-common-name

std::string OpenSslError(std::string_view what) {
  std::string out(what);
  if (unsigned long e = ERR_get_error(); e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    out += ": ";
    out += buf;
  }
  ERR_clear_error();
  return out;
}

Result<Owned<BIO>> MemoryBio(std::string_view bytes) {
  Owned<BIO> bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  if (!bio) return InternalError(OpenSslError("BIO_new_mem_buf"));
  return bio;
}

std::string DrainBio(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, size > 0 ? static_cast<size_t>(size) : 0);
}

Result<Owned<EVP_PKEY>> ReadKey(std::string_view pem) {
  TAILOR_ASSIGN_OR_RETURN(auto bio, MemoryBio(pem));
  Owned<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return InvalidArgumentError(OpenSslError("not a PEM private key"));
  return key;
}

Result<Owned<X509>> ReadCert(std::string_view pem) {
  TAILOR_ASSIGN_OR_RETURN(auto bio, MemoryBio(pem));
  Owned<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return InvalidArgumentError(OpenSslError("not a PEM certificate"));
  return cert;
}

Result<KeyAndCertificate> ToPem(EVP_PKEY* key, X509* cert) {
  Owned<BIO> key_bio(BIO_new(BIO_s_mem()));
  Owned<BIO> cert_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !cert_bio ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cert_bio.get(), cert) != 1) {
    return InternalError(OpenSslError("writing PEM"));
  }
  return KeyAndCertificate{DrainBio(key_bio.get()), DrainBio(cert_bio.get())};
}

Status CheckNamePart(std::string_view value, std::string_view field, bool required) {
  if (value.empty() && !required) return OkStatus();
  if (value.empty() || value.size() > kMaxNameBytes) {
    return InvalidArgumentError(std::string(field) + " must be 1.." +
                                std::to_string(kMaxNameBytes) + " bytes");
  }
  for (char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return InvalidArgumentError(std::string(field) + " must be printable ASCII");
    }
  }
  return OkStatus();
}

Status AddNameEntry(X509_NAME* name, const char* field, std::string_view value) {
  if (value.empty()) return OkStatus();
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.data()),
                                 static_cast<int>(value.size()), -1, 0) != 1) {
    return InternalError(OpenSslError("setting the certificate subject"));
  }
  return OkStatus();
}

Status AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return InvalidArgumentError(OpenSslError("certificate extension " + value));
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (added != 1) return InternalError(OpenSslError("adding a certificate extension"));
  return OkStatus();
}

Status SetSerialAndValidity(X509* cert, int valid_days) {
  if (valid_days < 1 || valid_days > 36500) {
    return InvalidArgumentError("valid_days must be 1..36500");
  }
  Owned<BIGNUM> serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert)) == nullptr ||
      X509_set_version(cert, 2) != 1 ||
      // A little slack for clocks a few minutes apart.
      X509_gmtime_adj(X509_getm_notBefore(cert), -300) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), valid_days, 0, nullptr) == nullptr) {
    return InternalError(OpenSslError("setting serial and validity"));
  }
  return OkStatus();
}

Result<Owned<EVP_PKEY>> NewKey() {
  Owned<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return InternalError(OpenSslError("generating a P-256 key"));
  return key;
}

Result<std::string> SubjectAltNames(const CertificateRequest& request) {
  std::string san;
  for (const std::string& dns : request.dns_names) {
    if (dns.empty() || dns.size() > 253) return InvalidArgumentError("DNS names are 1..253 bytes");
    for (char c : dns) {
      if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
            c == '*')) {
        return InvalidArgumentError("DNS name " + dns + " has a character DNS does not allow");
      }
    }
    san += (san.empty() ? "DNS:" : ",DNS:") + dns;
  }
  for (const std::string& ip : request.ip_addresses) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1 && inet_pton(AF_INET6, ip.c_str(), buf) != 1) {
      return InvalidArgumentError("not an IP address: " + ip.substr(0, 64));
    }
    san += (san.empty() ? "IP:" : ",IP:") + ip;
  }
  return san;
}

}  // namespace

Result<KeyAndCertificate> CreateCertificateAuthority(std::string_view common_name, int valid_days) {
  TAILOR_RETURN_IF_ERROR(CheckNamePart(common_name, "common name", true));
  TAILOR_ASSIGN_OR_RETURN(auto key, NewKey());
  Owned<X509> cert(X509_new());
  if (!cert) return InternalError(OpenSslError("X509_new"));
  TAILOR_RETURN_IF_ERROR(SetSerialAndValidity(cert.get(), valid_days));
  TAILOR_RETURN_IF_ERROR(AddNameEntry(X509_get_subject_name(cert.get()), "CN", common_name));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return InternalError(OpenSslError("building the CA certificate"));
  }
  TAILOR_RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  TAILOR_RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  TAILOR_RETURN_IF_ERROR(AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return InternalError(OpenSslError("signing the CA certificate"));
  }
  return ToPem(key.get(), cert.get());
}

Result<KeyAndCertificate> IssueCertificate(const KeyAndCertificate& ca,
                                           const CertificateRequest& request) {
  TAILOR_RETURN_IF_ERROR(CheckNamePart(request.common_name, "common name", true));
  TAILOR_RETURN_IF_ERROR(CheckNamePart(request.organization, "organization", false));
  TAILOR_RETURN_IF_ERROR(CheckNamePart(request.organizational_unit, "organizational unit", false));
  if (!request.server && !request.client) {
    return InvalidArgumentError("a certificate must be for a server, a client or both");
  }
  TAILOR_ASSIGN_OR_RETURN(const std::string san, SubjectAltNames(request));
  TAILOR_ASSIGN_OR_RETURN(auto ca_key, ReadKey(ca.key_pem));
  TAILOR_ASSIGN_OR_RETURN(auto ca_cert, ReadCert(ca.cert_pem));
  TAILOR_ASSIGN_OR_RETURN(auto key, NewKey());
  Owned<X509> cert(X509_new());
  if (!cert) return InternalError(OpenSslError("X509_new"));
  TAILOR_RETURN_IF_ERROR(SetSerialAndValidity(cert.get(), request.valid_days));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  TAILOR_RETURN_IF_ERROR(AddNameEntry(subject, "O", request.organization));
  TAILOR_RETURN_IF_ERROR(AddNameEntry(subject, "OU", request.organizational_unit));
  TAILOR_RETURN_IF_ERROR(AddNameEntry(subject, "CN", request.common_name));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return InternalError(OpenSslError("building the certificate"));
  }
  X509* c = cert.get();
  TAILOR_RETURN_IF_ERROR(AddExtension(c, ca_cert.get(), NID_basic_constraints, "CA:FALSE"));
  TAILOR_RETURN_IF_ERROR(
      AddExtension(c, ca_cert.get(), NID_key_usage, "critical,digitalSignature,keyAgreement"));
  std::string usage = request.server ? "serverAuth" : "";
  if (request.client) usage += usage.empty() ? "clientAuth" : ",clientAuth";
  TAILOR_RETURN_IF_ERROR(AddExtension(c, ca_cert.get(), NID_ext_key_usage, usage));
  TAILOR_RETURN_IF_ERROR(AddExtension(c, ca_cert.get(), NID_authority_key_identifier, "keyid"));
  if (!san.empty()) {
    TAILOR_RETURN_IF_ERROR(AddExtension(c, ca_cert.get(), NID_subject_alt_name, san));
  }
  if (X509_sign(c, ca_key.get(), EVP_sha256()) == 0) {
    return InvalidArgumentError(OpenSslError("signing with the CA key"));
  }
  return ToPem(key.get(), c);
}

namespace {

std::string NameEntry(X509_NAME* name, int nid) {
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int size = ASN1_STRING_to_UTF8(&utf8, data);
  if (size < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(size));
  OPENSSL_free(utf8);
  return out;
}

std::vector<std::string> DnsNames(X509* cert) {
  std::vector<std::string> out;
  Owned<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != GEN_DNS) continue;
    const ASN1_IA5STRING* dns = name->d.dNSName;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                     static_cast<size_t>(ASN1_STRING_length(dns)));
  }
  return out;
}

}  // namespace

Result<CertificateSubject> ReadCertificateSubject(std::string_view cert_pem) {
  TAILOR_ASSIGN_OR_RETURN(auto cert, ReadCert(cert_pem));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  CertificateSubject out;
  out.common_name = NameEntry(subject, NID_commonName);
  out.organization = NameEntry(subject, NID_organizationName);
  out.organizational_unit = NameEntry(subject, NID_organizationalUnitName);
  out.dns_names = DnsNames(cert.get());
  struct tm not_after {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &not_after) == 1) {
    out.not_after_unix_s = timegm(&not_after);
  }
  return out;
}

Status CheckCertificateChain(std::string_view ca_cert_pem, std::string_view cert_pem,
                             std::string_view key_pem) {
  TAILOR_ASSIGN_OR_RETURN(auto ca, ReadCert(ca_cert_pem));
  TAILOR_ASSIGN_OR_RETURN(auto cert, ReadCert(cert_pem));
  TAILOR_ASSIGN_OR_RETURN(auto key, ReadKey(key_pem));
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return InvalidArgumentError(OpenSslError("the key does not belong to the certificate"));
  }
  Owned<X509_STORE> store(X509_STORE_new());
  Owned<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), ca.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), nullptr) != 1) {
    return InternalError(OpenSslError("preparing verification"));
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return InvalidArgumentError(std::string("the certificate does not verify against the CA: ") +
                                X509_verify_cert_error_string(error));
  }
  return OkStatus();
}

}  // namespace tailor
