// matmul: dense single-precision matrix multiply with Eigen (vector width and cache size).
// Request: {"n": 512, "rounds": 2}
#include <Eigen/Dense>

#include "functions/common/function_io.h"

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
  WriteResponse({{"n", n}, {"rounds", rounds}, {"trace", trace}});
}
