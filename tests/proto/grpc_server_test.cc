#include "proto/grpc_server.h"

#include <absl/synchronization/mutex.h>
#include <gtest/gtest.h>

namespace tailor {
namespace {

// Locks two absl mutexes in one order and then in the other: a lock-order cycle, which absl's
// debug build reports and aborts on while its cycle detection is on.
void LockInBothOrders() {
  absl::Mutex a;
  absl::Mutex b;
  {
    absl::MutexLock la(&a);
    absl::MutexLock lb(&b);
  }
  {
    absl::MutexLock lb(&b);
    absl::MutexLock la(&a);
  }
}

TEST(GrpcServerTest, StartingAServerTurnsOffAbslLockCycleDetectionForTheProcess) {
  // The child process starts a server, then forms a cycle: it must live on.
  EXPECT_EXIT(
      {
        auto server = GrpcServer::Start("127.0.0.1:0", {}, grpc::InsecureServerCredentials());
        if (!server.ok()) std::exit(3);
        LockInBothOrders();
        std::exit(0);
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace tailor
