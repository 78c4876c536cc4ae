// How `tailorctl invoke` and `tailorctl result` end: one exit code per outcome, so a script can
// tell a function's own failure from Tailor's, and a timeout from an OOM kill.
//
//   0  succeeded
//   1  Tailor could not do it: the call failed, or no node ran the function (outcome not_run)
//   2  usage error
//   3  function_error: the function exited non-zero or was killed by a signal of its own
//   4  not finished yet (`result` without --wait, or the wait ran out)
//   5  timed_out
//   6  oom_killed
//   7  start_failed
//   8  agent_lost: it may have run; its exit status is unknown
//   9  output_too_large
//
// Thread-safety: stateless.
#pragma once

#include <ostream>
#include <string>

#include "tailor/v1/gateway.pb.h"

namespace tailor::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitTailorError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFinished = 4;

int ExitCodeFor(v1::RunOutcome outcome);

// On `out`: "error: <function> <outcome>: <why>", then the stderr tail, if any. Nothing for
// SUCCEEDED.
void PrintFailure(std::ostream& out, const std::string& function, v1::RunOutcome outcome,
                  const std::string& why, const std::string& stderr_tail);

}  // namespace tailor::cli
