// Raw CPUID: the CPU's own word on its features and RDT capabilities.
//
// Two layers: ReadCpuid() executes the CPUID and XGETBV instructions into a CpuidSnapshot;
// DecodeCpuFeatures() and DecodeRdt() are pure functions of a snapshot, tested with
// snapshots built by hand. Feature names follow /proc/cpuinfo. A feature that needs OS state
// (AVX needs XCR0 YMM, AVX-512 needs ZMM/opmask, AMX needs tile state) is reported true only
// if the OS enabled that state, as the kernel does when it prints /proc/cpuinfo.
//
// We read CPUID directly because libcpuid 0.6.2 misses AVX-512 on some CPUs (it reports
// avx512f=0 on AMD Zen 4 where leaf 7 says 1).
//
// Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tailor::agent {

struct CpuidRegisters {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
};

struct CpuidSnapshot {
  std::string vendor;              // leaf 0 EBX,EDX,ECX: "GenuineIntel", "AuthenticAMD"
  uint32_t max_basic_leaf = 0;     // leaf 0 EAX
  uint32_t max_extended_leaf = 0;  // leaf 0x80000000 EAX
  CpuidRegisters leaf1;            // family/model/stepping, SSE..AVX, AES, PCLMULQDQ, FMA
  CpuidRegisters leaf7_0;          // AVX2, BMI2, AVX-512, SHA, VAES, AMX, RDT-M/RDT-A bits
  CpuidRegisters leaf7_1;          // AVX-VNNI, AVX512_BF16
  CpuidRegisters leaf_f_0;         // RDT monitoring: resources
  CpuidRegisters leaf_f_1;         // RDT monitoring: L3 events (occupancy, MBM total/local)
  CpuidRegisters leaf_10_0;        // RDT allocation: resources (L3 CAT, MBA)
  CpuidRegisters leaf_10_1;        // L3 CAT: capacity bitmask length
  CpuidRegisters leaf_80000020_0;  // AMD PQoS extensions: L3 bandwidth enforcement (MBA)
  uint64_t xcr0 = 0;               // XGETBV(0) when OSXSAVE, else 0
};

// Executes CPUID on the current CPU. On a non-x86 build every register reads zero.
CpuidSnapshot ReadCpuid();

// The features Tailor knows and reports, in a stable order.
const std::vector<std::string_view>& KnownCpuFeatures();

// Every known feature -> present and usable.
std::map<std::string, bool> DecodeCpuFeatures(const CpuidSnapshot& snapshot);

struct CpuSignature {
  uint32_t family = 0;  // display family: base + extended when base is 0xF
  uint32_t model = 0;   // display model: extended model prepended when family is 6 or >= 0xF
  uint32_t stepping = 0;
};
CpuSignature DecodeSignature(const CpuidSnapshot& snapshot);

struct RdtCpuid {
  bool cmt = false;
  bool mbm_total = false;
  bool mbm_local = false;
  bool l3_cat = false;
  uint32_t l3_cat_ways = 0;
  bool mba = false;
};
RdtCpuid DecodeRdt(const CpuidSnapshot& snapshot);

}  // namespace tailor::agent
