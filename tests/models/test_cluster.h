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

// A node of `cls` named `id` that reports the class's features.
inline NodeView NodeOfClass(const HostClassInfo& cls, const std::string& id, Resources capacity) {
  NodeView n;
  n.node_id = id;
  n.host_class = cls.name;
  n.features = cls.features;
  n.capacity = capacity;
  return n;
}

}  // namespace tailor::models::testing
