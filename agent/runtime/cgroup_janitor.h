// CgroupJanitor: the housekeeping of run cgroups, on its own thread, off the runs' critical
// path: it removes finished runs' cgroups and keeps a few empty ones made ahead for the next
// runs (CgroupManager::MakeSpares), so that a run neither makes nor removes directories.
//
// A run's report and output are ready once the spawner has reaped it and its usage is read;
// removing its cgroup directories (one rmdir per hierarchy, or a kill first when a descendant
// left the run's process group and is still inside) is then only housekeeping, and on a VM it
// costs about 0.1 ms of wall time per run. The janitor does it right after, in order. It never
// holds more than `max_pending` cgroups: beyond that, Remove() cleans up on the caller's
// thread (back pressure instead of an unbounded queue). Removals come first; spares are made
// when nothing waits for removal. The destructor removes everything still queued, and the
// spares not taken, before it returns.
//
// Thread-safety: Remove may be called from many threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "agent/runtime/run_cgroup.h"

namespace tailor::agent {

class CgroupJanitor {
 public:
  // `manager` (may be null: no spares) makes the spares; `spares` is how many to keep ready.
  explicit CgroupJanitor(CgroupManager* manager = nullptr, size_t spares = 0,
                         size_t max_pending = 256);
  ~CgroupJanitor();
  CgroupJanitor(const CgroupJanitor&) = delete;
  CgroupJanitor& operator=(const CgroupJanitor&) = delete;

  // Takes the cgroup and removes it soon (see RunCgroup::Remove).
  void Remove(std::unique_ptr<RunCgroup> cgroup);
  // Returns once everything handed over so far is removed (tests, shutdown).
  void Drain();

 private:
  void Loop();

  CgroupManager* const manager_;
  const size_t spares_;
  const size_t max_pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<RunCgroup>> pending_;
  size_t busy_ = 0;  // taken off the queue, not yet removed
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tailor::agent
