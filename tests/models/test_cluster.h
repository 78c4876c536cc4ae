// Host classes and nodes for the policy tests: four cores and 8 GiB unless a test says otherwise.
#pragma once

#include <string>
#include <vector>

#include "models/cluster_index.h"

namespace tailor::models::testing {

inline HostClassInfo TestClass(const std::string& name,
                               std::vector<std::string> features = {"aes"}) {
  HostClassInfo c;
  c.name = name;
  c.features = std::move(features);
  c.cores = 4;
  return c;
}

inline NodeView TestNode(const std::string& id, const std::string& host_class) {
  NodeView n;
  n.node_id = id;
  n.host_class = host_class;
  n.capacity = {8ull << 30, 4000};
  return n;
}

}  // namespace tailor::models::testing
