// `tailorctl certs init-ca --ca-dir DIR`: a new cluster CA (DIR/ca.crt, DIR/ca.key 0600).
// `tailorctl certs issue --ca-dir DIR --kind scheduler|node|client --out DIR2 [...]`: a key
//   and certificate signed by the CA, written in the TLS Secret layout (tls_files.h):
//     scheduler                        for tailor-scheduler --tls-dir
//     node --node-id ID                for tailor-agent --tls-dir (the id is in the certificate)
//     client --name N --role R [--tenant T]   for tailorctl --tls-dir, or a platform
//   --dns-name/--ip add names an agent or the scheduler is dialled by. Works offline, with
//   OpenSSL's library; no call to the scheduler.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace tailor::cli {

struct CertsOptions {
  std::string ca_dir;
  std::string kind;
  std::string out_dir;
  std::string node_id;
  std::string name;
  std::string role;
  std::string tenant = "default";
  std::vector<std::string> dns_names;
  std::vector<std::string> ips;
  int valid_days = 365;
  CLI::App* init_ca = nullptr;
  CLI::App* issue = nullptr;
};

CLI::App* AddCertsCommand(CLI::App& app, CertsOptions& options);
int RunCerts(const CertsOptions& options);

}  // namespace tailor::cli
