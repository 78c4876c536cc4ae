// ListenOnThread: serve a bound cpp-httplib server on a thread of its own, returning only once
// it listens.
//
// httplib::Server::stop() does nothing to a server whose listen loop has not started yet, and
// that loop then accepts forever: a stop() right after the thread was created (a server that
// is started and stopped at once, as in a failed start-up or a short test) would leave the
// join waiting for good. Waiting here for is_running() takes one thread start.
//
// Header-only and generic over the server type, so that common/ need not link cpp-httplib.
#pragma once

#include <thread>

namespace tailor {

template <typename Server>
std::thread ListenOnThread(Server& server) {
  std::thread serving([&server] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::yield();
  return serving;
}

}  // namespace tailor
