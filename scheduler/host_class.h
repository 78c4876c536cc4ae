// HostClass: hosts with the same hardware signature (CPU model, advertised features, cache
// sizes, cores, emulation profile) form one class; profiles and predictions are per class.
//
// The class name is readable and stable: "<profile or cpu-model slug>-<8 hex of the
// signature hash>", e.g. "old-host-3f2a9c1b" or "amd-epyc-9d04b6e2".
//
// Thread-safety: stateless.
#pragma once

#include <string>

#include "models/cluster_index.h"
#include "tailor/v1/inventory.pb.h"

namespace tailor::scheduler {

std::string HostClassOf(const v1::HostInventory& inventory);
// The class as the models see it: name, advertised features (sorted), L3 size, cores, and the
// speed factor of an emulation profile (1.0 otherwise).
models::HostClassInfo HostClassInfoOf(const v1::HostInventory& inventory);

}  // namespace tailor::scheduler
