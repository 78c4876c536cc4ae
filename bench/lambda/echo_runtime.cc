// A minimal native Lambda runtime for bench/lambda_overhead_bench: it answers every event with
// the event itself. With --once it is the same handler as a plain function instead: one event
// on stdin, the answer on stdout.
#include <httplib.h>

#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--once") {
    std::string event(std::istreambuf_iterator<char>(std::cin), {});
    std::cout << event;
    return 0;
  }
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr) return 2;
  httplib::Client client(std::string("http://") + api);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.set_read_timeout(3600, 0);
  const std::string base = "/2018-06-01/runtime/invocation/";
  while (true) {
    auto next = client.Get((base + "next").c_str());
    if (!next || next->status != 200) return 1;
    const std::string id = next->get_header_value("Lambda-Runtime-Aws-Request-Id");
    auto posted = client.Post((base + id + "/response").c_str(), next->body, "application/json");
    if (!posted || posted->status != 202) return 1;
  }
}
