// Credentials come from the network: a bearer token in a header, a client certificate the
// peer chose. Any bytes as a token must be refused as UNAUTHENTICATED unless they are the one
// token made here; any bytes as a certificate must be read or refused, never crash, and a
// certificate that names a Tailor identity names a valid one.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "common/clock.h"
#include "common/cluster_identity.h"
#include "common/names.h"
#include "common/pki.h"
#include "common/sqlite_db.h"
#include "fuzz/fuzz_input.h"
#include "scheduler/access_tokens.h"
#include "scheduler/schema.h"

namespace {

struct Tokens {
  std::unique_ptr<tailor::scheduler::AccessTokens> store;
  std::string bearer;
};

const Tokens& MadeOnce() {
  static const Tokens* tokens = [] {
    static char dir[] = "/tmp/tailor-credentials-fuzz-XXXXXX";
    const std::string path = std::string(mkdtemp(dir)) + "/scheduler.db";
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
    auto db = tailor::SqliteDb::Open(path).value();
    if (!db->Migrate(tailor::scheduler::SchedulerMigrations()).ok()) std::abort();
    auto* t = new Tokens();
    t->store = tailor::scheduler::AccessTokens::Open(path, tailor::RealClock::Get()).value();
    t->bearer = t->store->Create("fuzz", tailor::Role::kInvoker, "acme").value().bearer;
    return t;
  }();
  return *tokens;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = tailor::fuzz::AsText(data, size);
  const Tokens& tokens = MadeOnce();
  auto verified = tokens.store->Verify(input);
  if (verified.ok() != (input == tokens.bearer)) std::abort();
  if (!verified.ok() && verified.status().code() != tailor::StatusCode::kUnauthenticated) {
    std::abort();
  }
  auto subject = tailor::ReadCertificateSubject(input);
  if (!subject.ok()) return 0;
  auto identity = tailor::IdentityFromCertificate(*subject);
  if (identity.ok() && identity->kind == tailor::Identity::Kind::kNode &&
      !tailor::IsValidName(tailor::NameKind::kNodeId, identity->name)) {
    std::abort();
  }
  return 0;
}
