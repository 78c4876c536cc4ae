// NetnsPool: empty network namespaces (loopback up, nothing else) for sandboxed runs, made
// ahead of time by one background thread so that the run does not wait for one.
//
// Making a network namespace costs about 0.7 ms of CPU on the dev VM and destroying one about
// as much again (in the kernel's own threads), most of a run's start on 2 cores. So fresh ones
// are made ahead of time, and a namespace is reused, but only by later runs of the same
// function (the key; one run at a time): after a run the agent gives it back (Return), and
// the function's next run takes it. That is safe because every process of the run has ended
// by then (its pid namespace is gone), so what could remain is only what that same function
// left (TIME_WAIT entries, say), which it could leave in its own files too; two different
// functions never share one, so no function can reach another's loopback or abstract Unix
// sockets. At most `max_idle` given-back namespaces are kept (the oldest is closed first).
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
#include <string>
#include <thread>
#include <utility>

#include "common/status.h"

namespace tailor::agent {

class NetnsPool {
 public:
  explicit NetnsPool(size_t target, size_t max_idle = 64);
  ~NetnsPool();  // stops the thread and closes the namespaces not taken
  NetnsPool(const NetnsPool&) = delete;
  NetnsPool& operator=(const NetnsPool&) = delete;

  // A namespace for a run of `key` (the function) as an open descriptor the caller owns: one
  // a finished run of the same key gave back, else a fresh one.
  Result<int> Take(const std::string& key);
  // Gives back the namespace of a finished run of `key` (all its processes gone), to be
  // reused by the next run of `key`. The pool owns `fd` from here on.
  void Return(const std::string& key, int fd);

  // Makes one now, in the calling thread (what the pool's thread does).
  static Result<int> MakeNamespace();

 private:
  void Fill();

  const size_t target_;
  std::mutex mu_;
  std::condition_variable wanted_;
  std::deque<int> ready_;
  const size_t max_idle_;
  std::deque<std::pair<std::string, int>> idle_;  // given back, oldest first
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace tailor::agent
