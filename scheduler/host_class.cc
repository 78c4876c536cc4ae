#include "scheduler/host_class.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace tailor::scheduler {
namespace {

uint32_t Fnv1a(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  return h;
}

std::string Slug(const std::string& text, size_t max_words) {
  std::string out;
  size_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum) {
      if (!in_word) {
        if (words == max_words) break;
        if (!out.empty()) out += '-';
        ++words;
        in_word = true;
      }
      out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    } else if (c == '(') {
      // skip "(R)", "(TM)"
      in_word = false;
    } else {
      in_word = false;
    }
  }
  return out.empty() ? "host" : out;
}

}  // namespace

std::string HostClassOf(const v1::HostInventory& inv) {
  // std::map: features in a fixed order, whatever the protobuf map's order.
  std::map<std::string, bool> features(inv.cpu_features().begin(), inv.cpu_features().end());
  std::string signature = inv.cpu().vendor() + "|" + inv.cpu().model_name() + "|" +
                          std::to_string(inv.topology().logical_cores()) + "|" +
                          std::to_string(inv.cache().l2_bytes()) + "|" +
                          std::to_string(inv.cache().l3_bytes()) + "|" + inv.emulation().name() +
                          "|" + std::to_string(inv.emulation().cpu_speed_factor()) + "|";
  for (const auto& [name, present] : features) {
    if (present) signature += name + ",";
  }
  char hash[16];
  std::snprintf(hash, sizeof(hash), "%08x", Fnv1a(signature));
  const std::string prefix =
      inv.emulation().name().empty() ? Slug(inv.cpu().model_name(), 3) : Slug(inv.emulation().name(), 4);
  return prefix + "-" + hash;
}

models::HostClassInfo HostClassInfoOf(const v1::HostInventory& inv) {
  models::HostClassInfo c;
  c.name = HostClassOf(inv);
  for (const auto& [name, present] : inv.cpu_features()) {
    if (present) c.features.push_back(name);
  }
  std::sort(c.features.begin(), c.features.end());
  c.l3_bytes = inv.cache().l3_bytes();
  c.cores = inv.topology().logical_cores();
  c.speed_factor = inv.emulation().cpu_speed_factor() > 0 ? inv.emulation().cpu_speed_factor() : 1.0;
  return c;
}

}  // namespace tailor::scheduler
