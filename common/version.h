// The version every Tailor binary reports (--version, registration, metrics).
#pragma once

namespace tailor {
inline constexpr const char kTailorVersion[] = "0.1.0";
}  // namespace tailor
