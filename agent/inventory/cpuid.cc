#include "agent/inventory/cpuid.h"

#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define TAILOR_HAVE_CPUID 1
#endif

namespace tailor::agent {
namespace {

enum class Reg { kEax, kEbx, kEcx, kEdx };
enum class Leaf { k1, k7_0, k7_1 };
enum class OsState { kNone, kAvx, kAvx512, kAmx };

struct FeatureBit {
  std::string_view name;
  Leaf leaf;
  Reg reg;
  int bit;
  OsState needs;
};

// Bit positions from the Intel SDM vol. 2A (CPUID) and the AMD APM vol. 3, as the Linux
// kernel's arch/x86/include/asm/cpufeatures.h names them.
constexpr FeatureBit kFeatureBits[] = {
    {"pni", Leaf::k1, Reg::kEcx, 0, OsState::kNone},
    {"pclmulqdq", Leaf::k1, Reg::kEcx, 1, OsState::kNone},
    {"ssse3", Leaf::k1, Reg::kEcx, 9, OsState::kNone},
    {"fma", Leaf::k1, Reg::kEcx, 12, OsState::kAvx},
    {"sse4_1", Leaf::k1, Reg::kEcx, 19, OsState::kNone},
    {"sse4_2", Leaf::k1, Reg::kEcx, 20, OsState::kNone},
    {"movbe", Leaf::k1, Reg::kEcx, 22, OsState::kNone},
    {"popcnt", Leaf::k1, Reg::kEcx, 23, OsState::kNone},
    {"aes", Leaf::k1, Reg::kEcx, 25, OsState::kNone},
    {"avx", Leaf::k1, Reg::kEcx, 28, OsState::kAvx},
    {"f16c", Leaf::k1, Reg::kEcx, 29, OsState::kAvx},
    {"sse", Leaf::k1, Reg::kEdx, 25, OsState::kNone},
    {"sse2", Leaf::k1, Reg::kEdx, 26, OsState::kNone},
    {"bmi1", Leaf::k7_0, Reg::kEbx, 3, OsState::kNone},
    {"avx2", Leaf::k7_0, Reg::kEbx, 5, OsState::kAvx},
    {"bmi2", Leaf::k7_0, Reg::kEbx, 8, OsState::kNone},
    {"avx512f", Leaf::k7_0, Reg::kEbx, 16, OsState::kAvx512},
    {"avx512dq", Leaf::k7_0, Reg::kEbx, 17, OsState::kAvx512},
    {"adx", Leaf::k7_0, Reg::kEbx, 19, OsState::kNone},
    {"avx512ifma", Leaf::k7_0, Reg::kEbx, 21, OsState::kAvx512},
    {"avx512cd", Leaf::k7_0, Reg::kEbx, 28, OsState::kAvx512},
    {"sha_ni", Leaf::k7_0, Reg::kEbx, 29, OsState::kNone},
    {"avx512bw", Leaf::k7_0, Reg::kEbx, 30, OsState::kAvx512},
    {"avx512vl", Leaf::k7_0, Reg::kEbx, 31, OsState::kAvx512},
    {"avx512vbmi", Leaf::k7_0, Reg::kEcx, 1, OsState::kAvx512},
    {"avx512_vbmi2", Leaf::k7_0, Reg::kEcx, 6, OsState::kAvx512},
    {"gfni", Leaf::k7_0, Reg::kEcx, 8, OsState::kNone},
    {"vaes", Leaf::k7_0, Reg::kEcx, 9, OsState::kAvx},
    {"vpclmulqdq", Leaf::k7_0, Reg::kEcx, 10, OsState::kAvx},
    {"avx512_vnni", Leaf::k7_0, Reg::kEcx, 11, OsState::kAvx512},
    {"avx512_bitalg", Leaf::k7_0, Reg::kEcx, 12, OsState::kAvx512},
    {"avx512_vpopcntdq", Leaf::k7_0, Reg::kEcx, 14, OsState::kAvx512},
    {"avx512_vp2intersect", Leaf::k7_0, Reg::kEdx, 8, OsState::kAvx512},
    {"amx_bf16", Leaf::k7_0, Reg::kEdx, 22, OsState::kAmx},
    {"avx512_fp16", Leaf::k7_0, Reg::kEdx, 23, OsState::kAvx512},
    {"amx_tile", Leaf::k7_0, Reg::kEdx, 24, OsState::kAmx},
    {"amx_int8", Leaf::k7_0, Reg::kEdx, 25, OsState::kAmx},
    {"avx_vnni", Leaf::k7_1, Reg::kEax, 4, OsState::kAvx},
    {"avx512_bf16", Leaf::k7_1, Reg::kEax, 5, OsState::kAvx512},
};

uint32_t Pick(const CpuidRegisters& r, Reg reg) {
  switch (reg) {
    case Reg::kEax: return r.eax;
    case Reg::kEbx: return r.ebx;
    case Reg::kEcx: return r.ecx;
    case Reg::kEdx: return r.edx;
  }
  return 0;
}

bool Bit(uint32_t value, int bit) { return ((value >> bit) & 1u) != 0; }

// XCR0 state components: 1 SSE, 2 AVX (YMM upper), 5 opmask, 6 ZMM_Hi256, 7 Hi16_ZMM,
// 17 XTILECFG, 18 XTILEDATA.
constexpr uint64_t kXcr0Avx = (1u << 1) | (1u << 2);
constexpr uint64_t kXcr0Avx512 = kXcr0Avx | (1u << 5) | (1u << 6) | (1u << 7);
constexpr uint64_t kXcr0Amx = (1ull << 17) | (1ull << 18);

bool OsEnabled(const CpuidSnapshot& s, OsState needs) {
  switch (needs) {
    case OsState::kNone: return true;
    case OsState::kAvx: return (s.xcr0 & kXcr0Avx) == kXcr0Avx;
    case OsState::kAvx512: return (s.xcr0 & kXcr0Avx512) == kXcr0Avx512;
    case OsState::kAmx: return (s.xcr0 & kXcr0Amx) == kXcr0Amx;
  }
  return false;
}

#ifdef TAILOR_HAVE_CPUID
CpuidRegisters Query(uint32_t leaf, uint32_t subleaf) {
  CpuidRegisters r;
  __cpuid_count(leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
  return r;
}
#endif

}  // namespace

CpuidSnapshot ReadCpuid() {
  CpuidSnapshot s;
#ifdef TAILOR_HAVE_CPUID
  CpuidRegisters leaf0 = Query(0, 0);
  s.max_basic_leaf = leaf0.eax;
  char vendor[13] = {};
  std::memcpy(vendor + 0, &leaf0.ebx, 4);
  std::memcpy(vendor + 4, &leaf0.edx, 4);
  std::memcpy(vendor + 8, &leaf0.ecx, 4);
  s.vendor = vendor;
  if (s.max_basic_leaf >= 1) s.leaf1 = Query(1, 0);
  if (s.max_basic_leaf >= 7) {
    s.leaf7_0 = Query(7, 0);
    if (s.leaf7_0.eax >= 1) s.leaf7_1 = Query(7, 1);
  }
  if (s.max_basic_leaf >= 0xF) {
    s.leaf_f_0 = Query(0xF, 0);
    s.leaf_f_1 = Query(0xF, 1);
  }
  if (s.max_basic_leaf >= 0x10) {
    s.leaf_10_0 = Query(0x10, 0);
    s.leaf_10_1 = Query(0x10, 1);
  }
  s.max_extended_leaf = Query(0x80000000u, 0).eax;
  if (s.max_extended_leaf >= 0x80000020u) s.leaf_80000020_0 = Query(0x80000020u, 0);
  const bool osxsave = Bit(s.leaf1.ecx, 27);
  if (osxsave) {
    uint32_t lo = 0, hi = 0;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    s.xcr0 = (static_cast<uint64_t>(hi) << 32) | lo;
  }
#endif
  return s;
}

const std::vector<std::string_view>& KnownCpuFeatures() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (const auto& f : kFeatureBits) v.push_back(f.name);
    return v;
  }();
  return names;
}

std::map<std::string, bool> DecodeCpuFeatures(const CpuidSnapshot& s) {
  std::map<std::string, bool> out;
  for (const auto& f : kFeatureBits) {
    const CpuidRegisters* regs = nullptr;
    bool leaf_present = false;
    switch (f.leaf) {
      case Leaf::k1: regs = &s.leaf1; leaf_present = s.max_basic_leaf >= 1; break;
      case Leaf::k7_0: regs = &s.leaf7_0; leaf_present = s.max_basic_leaf >= 7; break;
      case Leaf::k7_1:
        regs = &s.leaf7_1;
        leaf_present = s.max_basic_leaf >= 7 && s.leaf7_0.eax >= 1;
        break;
    }
    out[std::string(f.name)] =
        leaf_present && Bit(Pick(*regs, f.reg), f.bit) && OsEnabled(s, f.needs);
  }
  return out;
}

CpuSignature DecodeSignature(const CpuidSnapshot& s) {
  const uint32_t eax = s.leaf1.eax;
  const uint32_t base_family = (eax >> 8) & 0xF;
  const uint32_t base_model = (eax >> 4) & 0xF;
  const uint32_t ext_family = (eax >> 20) & 0xFF;
  const uint32_t ext_model = (eax >> 16) & 0xF;
  CpuSignature sig;
  sig.stepping = eax & 0xF;
  sig.family = base_family == 0xF ? base_family + ext_family : base_family;
  sig.model = (base_family == 0x6 || base_family == 0xF) ? (ext_model << 4) | base_model
                                                          : base_model;
  return sig;
}

RdtCpuid DecodeRdt(const CpuidSnapshot& s) {
  RdtCpuid rdt;
  const bool monitoring = s.max_basic_leaf >= 7 && Bit(s.leaf7_0.ebx, 12);  // RDT-M / PQM
  const bool allocation = s.max_basic_leaf >= 7 && Bit(s.leaf7_0.ebx, 15);  // RDT-A / PQE
  if (monitoring && s.max_basic_leaf >= 0xF && Bit(s.leaf_f_0.edx, 1)) {    // L3 monitoring
    rdt.cmt = Bit(s.leaf_f_1.edx, 0);
    rdt.mbm_total = Bit(s.leaf_f_1.edx, 1);
    rdt.mbm_local = Bit(s.leaf_f_1.edx, 2);
  }
  if (allocation && s.max_basic_leaf >= 0x10) {
    rdt.l3_cat = Bit(s.leaf_10_0.ebx, 1);
    if (rdt.l3_cat) rdt.l3_cat_ways = (s.leaf_10_1.eax & 0x1F) + 1;
    rdt.mba = Bit(s.leaf_10_0.ebx, 3);
  }
  // AMD enumerates L3 bandwidth enforcement in Fn8000_0020_EBX[1].
  if (allocation && s.max_extended_leaf >= 0x80000020u && Bit(s.leaf_80000020_0.ebx, 1)) {
    rdt.mba = true;
  }
  return rdt;
}

}  // namespace tailor::agent
