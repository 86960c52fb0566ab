#include "clients/client_options.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace ledger {

namespace {

absl::StatusOr<std::string> ReadPem(const char* flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || in.bad() || text.str().find("-----BEGIN ") == std::string::npos) {
    return absl::NotFoundError(
        absl::StrCat(flag, " ", path, ": cannot read a PEM file there"));
  }
  return text.str();
}

}  // namespace

absl::StatusOr<ClientTls> LoadClientTls(const std::string& ca_path,
                                        const std::string& cert_path,
                                        const std::string& key_path) {
  if (ca_path.empty() && cert_path.empty() && key_path.empty()) return ClientTls{};
  if (ca_path.empty() || cert_path.empty() || key_path.empty()) {
    return absl::InvalidArgumentError(
        "mutual TLS needs all of --tls-cert, --tls-key and --ca");
  }
  ClientTls tls;
  absl::StatusOr<std::string> ca = ReadPem("--ca", ca_path);
  if (!ca.ok()) return ca.status();
  absl::StatusOr<std::string> cert = ReadPem("--tls-cert", cert_path);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem("--tls-key", key_path);
  if (!key.ok()) return key.status();
  tls.ca_pem = std::move(*ca);
  tls.cert_pem = std::move(*cert);
  tls.key_pem = std::move(*key);
  return tls;
}

}  // namespace ledger
