// matmul: dense single-precision matrix multiply with Eigen (vector width and cache size).
// Request: {"n": 512, "rounds": 2}
//
// Built three times, once per vector width (MATMUL_ISA names it); the `matmul` launcher
// (matmul_launcher.cc) picks the widest build the CPU offers and the host does not hide.
#include <Eigen/Dense>

#include "functions/common/function_io.h"

#ifndef MATMUL_ISA
#error "MATMUL_ISA must name the instruction set this build targets"
#endif

int main() {
  using namespace tailor::functions;
  auto req = ReadRequest();
  const auto n = Param<int>(req, "n", 512);
  const auto rounds = Param<int>(req, "rounds", 2);
  Eigen::MatrixXf a = Eigen::MatrixXf::Constant(n, n, 0.5f);
  Eigen::MatrixXf b = Eigen::MatrixXf::Constant(n, n, 0.25f);
  Eigen::MatrixXf c(n, n);
  double trace = 0;
  for (int r = 0; r < rounds; ++r) {
    c.noalias() = a * b;
    trace += c.trace();
    a(0, 0) += 1.0f;
  }
  WriteResponse({{"n", n}, {"rounds", rounds}, {"trace", trace}, {"isa", MATMUL_ISA}});
}
