// NetnsPool: empty network namespaces (loopback up, nothing else) for sandboxed runs, made
// ahead of time by one background thread so that the run does not wait for one.
//
// Making a network namespace costs about 0.7 ms on the dev VM, most of a run's start; a pool
// moves that off the run's critical path. Every namespace serves exactly one run and is closed
// after it: two runs never share one, so no run can reach another's loopback sockets or
// abstract Unix sockets (sharing one between runs would be cheaper, and is not done for that
// reason).
//
// Threads: the pool's own "netns-pool" thread makes namespaces while fewer than `target` are
// ready; it takes mu_ only to add one. Take() takes mu_; when the pool is empty it makes one in
// the calling thread. Making one moves the calling thread into the new namespace for a moment
// (unshare), opens it, brings loopback up and moves the thread back (setns); namespaces are
// per thread, so no other thread notices.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "common/status.h"

namespace tailor::agent {

class NetnsPool {
 public:
  explicit NetnsPool(size_t target);
  ~NetnsPool();  // stops the thread and closes the namespaces not taken
  NetnsPool(const NetnsPool&) = delete;
  NetnsPool& operator=(const NetnsPool&) = delete;

  // A fresh namespace as an open descriptor the caller owns.
  Result<int> Take();

  // Makes one now, in the calling thread (what the pool's thread does).
  static Result<int> MakeNamespace();

 private:
  void Fill();

  const size_t target_;
  std::mutex mu_;
  std::condition_variable wanted_;
  std::deque<int> ready_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tailor::agent
