#include "clients/proof_commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "clients/cli_common.h"
#include "clients/command_line.h"
#include "clients/ledger_client.h"
#include "ledger/hash.h"
#include "ledger/merkle.h"
#include "ledger/signed_note.h"

namespace ledger {

namespace {

constexpr char kCheckpointUsage[] =
    "usage: ledgerctl checkpoint\n"
    "\n"
    "Prints the log's latest signed checkpoint exactly as the server signed\n"
    "it: a C2SP signed note whose text is origin, tree size and base64 root,\n"
    "then a blank line and the Ed25519 signature line. Save it to check the\n"
    "log later (ledgerctl audit, ledger-verify --checkpoint).\n";

constexpr char kPublicKeyUsage[] =
    "usage: ledgerctl public-key\n"
    "\n"
    "Prints the verifier key line of the log's signing key\n"
    "(NAME+KEYID+BASE64KEY). Pin it once, from a source you trust, and pass\n"
    "it as --vkey to the verifying commands.\n";

constexpr char kProveInclusionUsage[] =
    "usage: ledgerctl prove-inclusion --index I [--size N]\n"
    "\n"
    "Asks the server for the proof that entry I (its sequence) is in the\n"
    "tree of N entries (default: the latest checkpoint's size) and prints\n"
    "one JSON object: leaf_index, tree_size, leaf_hash and proof (hex). Check\n"
    "it offline with verify-inclusion against a checkpoint's root.\n";

constexpr char kProveConsistencyUsage[] =
    "usage: ledgerctl prove-consistency --size1 M [--size2 N]\n"
    "\n"
    "Asks the server for the proof that the tree of M entries is a prefix of\n"
    "the tree of N entries (default: the latest checkpoint's size) and\n"
    "prints one JSON object: first_size, second_size and proof (hex). Check\n"
    "it offline with verify-consistency.\n";

constexpr char kMerkleRootUsage[] =
    "usage: ledgerctl merkle-root < LEAVES\n"
    "\n"
    "Offline. Reads leaf data as hex, one leaf per line (an empty line is an\n"
    "empty leaf), and prints the RFC 6962 Merkle tree root as lowercase hex.\n"
    "No input gives the empty tree's root. Exit 2 for a line that is not hex.\n";

constexpr char kVerifyInclusionUsage[] =
    "usage: ledgerctl verify-inclusion --leaf-hash HEX --index I --size N\n"
    "                                  --root HEX [--proof HEX,HEX,...]\n"
    "\n"
    "Offline. Checks an RFC 9162 inclusion proof: that the leaf with this\n"
    "hash is entry I of the tree of N entries whose root is given. Exit 0\n"
    "valid, 1 invalid (the reason on stderr), 2 usage error.\n";

constexpr char kVerifyConsistencyUsage[] =
    "usage: ledgerctl verify-consistency --size1 M --size2 N --root1 HEX\n"
    "                                    --root2 HEX [--proof HEX,HEX,...]\n"
    "\n"
    "Offline. Checks an RFC 9162 consistency proof: that the tree of M\n"
    "entries with root1 is a prefix of the tree of N entries with root2.\n"
    "Exit 0 valid, 1 invalid (the reason on stderr), 2 usage error.\n";

constexpr char kVerifyCheckpointUsage[] =
    "usage: ledgerctl verify-checkpoint --vkey KEYLINE < NOTE\n"
    "\n"
    "Offline. Reads a signed checkpoint note on stdin, checks its signature\n"
    "with the verifier key line and its checkpoint format, and prints its\n"
    "origin, size and root (hex). Exit 0 valid, 1 invalid, 2 usage error.\n";

constexpr char kAuditUsage[] =
    "usage: ledgerctl audit --state FILE --vkey KEYLINE\n"
    "\n"
    "Keeps an auditor's verified view of the log. Fetches the latest\n"
    "checkpoint and checks its signature with the pinned verifier key. If\n"
    "FILE holds a checkpoint from an earlier audit, the new one must be no\n"
    "smaller, and the server's consistency proof between the two must\n"
    "verify: the log only grew, nothing before was rewritten. Only then is\n"
    "the new checkpoint saved to FILE (atomically). Any failure (bad\n"
    "signature, a smaller tree, an inconsistent root: a rewritten or forked\n"
    "log) exits 1 with the reason and leaves FILE unchanged.\n";

bool ParseFlags(CommandLine& cl, int argc, char** argv, int first,
                const char* usage, int* exit_code) {
  if (absl::Status s = cl.Parse(argc, argv, first); !s.ok()) {
    *exit_code = UsageError(std::string(s.message()), usage);
    return false;
  }
  if (cl.Has("help")) {
    std::cout << usage;
    *exit_code = 0;
    return false;
  }
  return true;
}

std::string HexJsonList(const google::protobuf::RepeatedPtrField<std::string>& hashes) {
  std::string out = "[";
  for (int i = 0; i < hashes.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", "\"", HexEncode(hashes[i]), "\"");
  }
  out += "]";
  return out;
}

// Decodes a hex flag; `bytes` gets the raw bytes.
bool HexFlag(const CommandLine& cl, const std::string& name, const char* usage,
             std::string* bytes, int* exit_code) {
  std::optional<std::string> v = cl.Get(name);
  if (!v.has_value()) {
    *exit_code = UsageError(absl::StrCat("--", name, " is required"), usage);
    return false;
  }
  std::optional<std::string> raw = HexDecode(*v);
  if (!raw.has_value()) {
    *exit_code = UsageError(absl::StrCat("--", name, ": not hex"), usage);
    return false;
  }
  *bytes = *raw;
  return true;
}

bool ProofFlag(const CommandLine& cl, const char* usage,
               std::vector<std::string>* proof, int* exit_code) {
  std::string list = cl.GetOr("proof", "");
  size_t start = 0;
  while (start < list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::optional<std::string> raw = HexDecode(list.substr(start, comma - start));
    if (!raw.has_value()) {
      *exit_code = UsageError("--proof: not a comma-separated list of hex hashes", usage);
      return false;
    }
    proof->push_back(*raw);
    start = comma + 1;
  }
  return true;
}

bool UintFlag(const CommandLine& cl, const std::string& name, const char* usage,
              bool required, uint64_t fallback, uint64_t* out, int* exit_code) {
  if (required && !cl.Has(name)) {
    *exit_code = UsageError(absl::StrCat("--", name, " is required"), usage);
    return false;
  }
  absl::StatusOr<uint64_t> v = cl.GetUint(name, fallback);
  if (!v.ok()) {
    *exit_code = UsageError(std::string(v.status().message()), usage);
    return false;
  }
  *out = *v;
  return true;
}

std::string ReadStdin() {
  std::stringstream s;
  s << std::cin.rdbuf();
  return s.str();
}

int CheckpointCommand(const ServerConnection& server, int argc, char** argv, int first) {
  CommandLine cl({"server"}, {"help"});
  int code = 0;
  if (!ParseFlags(cl, argc, argv, first, kCheckpointUsage, &code)) return code;
  LedgerClient client(cl.GetOr("server", server.address), server.options);
  absl::StatusOr<v1::GetCheckpointResponse> r = client.GetCheckpoint();
  if (!r.ok()) return ServerError("checkpoint", r.status(), client.address());
  std::cout << r->checkpoint() << std::flush;
  return 0;
}

int PublicKey(const ServerConnection& server, int argc, char** argv, int first) {
  CommandLine cl({"server"}, {"help"});
  int code = 0;
  if (!ParseFlags(cl, argc, argv, first, kPublicKeyUsage, &code)) return code;
  LedgerClient client(cl.GetOr("server", server.address), server.options);
  absl::StatusOr<v1::GetCheckpointResponse> r = client.GetCheckpoint();
  if (!r.ok()) return ServerError("public-key", r.status(), client.address());
  std::cout << r->verifier_key() << "\n";
  return 0;
}

int ProveInclusion(const ServerConnection& server, int argc, char** argv, int first) {
  CommandLine cl({"server", "index", "size"}, {"help"});
  int code = 0;
  uint64_t index = 0, size = 0;
  if (!ParseFlags(cl, argc, argv, first, kProveInclusionUsage, &code) ||
      !UintFlag(cl, "index", kProveInclusionUsage, true, 0, &index, &code) ||
      !UintFlag(cl, "size", kProveInclusionUsage, false, 0, &size, &code)) {
    return code;
  }
  LedgerClient client(cl.GetOr("server", server.address), server.options);
  absl::StatusOr<v1::GetInclusionProofResponse> r = client.GetInclusionProof(index, size);
  if (!r.ok()) return ServerError("prove-inclusion", r.status(), client.address());
  std::cout << "{\"leaf_index\":" << r->leaf_index()
            << ",\"tree_size\":" << r->tree_size() << ",\"leaf_hash\":\""
            << HexEncode(r->leaf_hash()) << "\",\"proof\":"
            << HexJsonList(r->hashes()) << "}\n";
  return 0;
}

int ProveConsistency(const ServerConnection& server, int argc, char** argv, int first) {
  CommandLine cl({"server", "size1", "size2"}, {"help"});
  int code = 0;
  uint64_t size1 = 0, size2 = 0;
  if (!ParseFlags(cl, argc, argv, first, kProveConsistencyUsage, &code) ||
      !UintFlag(cl, "size1", kProveConsistencyUsage, true, 0, &size1, &code) ||
      !UintFlag(cl, "size2", kProveConsistencyUsage, false, 0, &size2, &code)) {
    return code;
  }
  LedgerClient client(cl.GetOr("server", server.address), server.options);
  absl::StatusOr<v1::GetConsistencyProofResponse> r =
      client.GetConsistencyProof(size1, size2);
  if (!r.ok()) return ServerError("prove-consistency", r.status(), client.address());
  std::cout << "{\"first_size\":" << r->first_size()
            << ",\"second_size\":" << r->second_size()
            << ",\"proof\":" << HexJsonList(r->hashes()) << "}\n";
  return 0;
}

int MerkleRoot(const ServerConnection&, int argc, char** argv, int first) {
  CommandLine cl({}, {"help"});
  int code = 0;
  if (!ParseFlags(cl, argc, argv, first, kMerkleRootUsage, &code)) return code;
  CompactRange tree;
  std::string line;
  for (uint64_t n = 1; std::getline(std::cin, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::optional<std::string> leaf = HexDecode(line);
    if (!leaf.has_value()) {
      return UsageError(absl::StrCat("stdin line ", n, " is not hex"), kMerkleRootUsage);
    }
    tree.Append(LeafHash(*leaf), [](int, uint64_t, const Hash&) {});
  }
  std::cout << HexEncode(tree.Root()) << "\n";
  return 0;
}

int VerifyInclusionCommand(const ServerConnection&, int argc, char** argv, int first) {
  CommandLine cl({"leaf-hash", "index", "size", "root", "proof"}, {"help"});
  int code = 0;
  std::string leaf, root;
  uint64_t index = 0, size = 0;
  std::vector<std::string> proof;
  if (!ParseFlags(cl, argc, argv, first, kVerifyInclusionUsage, &code) ||
      !HexFlag(cl, "leaf-hash", kVerifyInclusionUsage, &leaf, &code) ||
      !UintFlag(cl, "index", kVerifyInclusionUsage, true, 0, &index, &code) ||
      !UintFlag(cl, "size", kVerifyInclusionUsage, true, 0, &size, &code) ||
      !HexFlag(cl, "root", kVerifyInclusionUsage, &root, &code) ||
      !ProofFlag(cl, kVerifyInclusionUsage, &proof, &code)) {
    return code;
  }
  if (absl::Status s = VerifyInclusion(leaf, index, size, root, proof); !s.ok()) {
    return Invalid(std::string(s.message()));
  }
  std::cout << "valid: leaf " << index << " is in the tree of " << size
            << " entries\n";
  return 0;
}

int VerifyConsistencyCommand(const ServerConnection&, int argc, char** argv, int first) {
  CommandLine cl({"size1", "size2", "root1", "root2", "proof"}, {"help"});
  int code = 0;
  std::string root1, root2;
  uint64_t size1 = 0, size2 = 0;
  std::vector<std::string> proof;
  if (!ParseFlags(cl, argc, argv, first, kVerifyConsistencyUsage, &code) ||
      !UintFlag(cl, "size1", kVerifyConsistencyUsage, true, 0, &size1, &code) ||
      !UintFlag(cl, "size2", kVerifyConsistencyUsage, true, 0, &size2, &code) ||
      !HexFlag(cl, "root1", kVerifyConsistencyUsage, &root1, &code) ||
      !HexFlag(cl, "root2", kVerifyConsistencyUsage, &root2, &code) ||
      !ProofFlag(cl, kVerifyConsistencyUsage, &proof, &code)) {
    return code;
  }
  if (absl::Status s = VerifyConsistency(size1, size2, root1, root2, proof); !s.ok()) {
    return Invalid(std::string(s.message()));
  }
  std::cout << "valid: the tree of " << size1
            << " entries is a prefix of the tree of " << size2 << " entries\n";
  return 0;
}

bool VkeyFlag(const CommandLine& cl, const char* usage, VerifierKey* key,
              int* exit_code) {
  std::optional<std::string> v = cl.Get("vkey");
  if (!v.has_value()) {
    *exit_code = UsageError("--vkey is required", usage);
    return false;
  }
  absl::StatusOr<VerifierKey> k = ParseVerifierKey(*v);
  if (!k.ok()) {
    *exit_code = UsageError(absl::StrCat("--vkey: ", k.status().message()), usage);
    return false;
  }
  *key = *k;
  return true;
}

void PrintCheckpoint(const ledger::Checkpoint& c) {
  std::cout << "origin " << c.origin << "\nsize " << c.size << "\nroot "
            << HexEncode(c.root) << "\n";
}

int VerifyCheckpointCommand(const ServerConnection&, int argc, char** argv, int first) {
  CommandLine cl({"vkey"}, {"help"});
  int code = 0;
  VerifierKey key;
  if (!ParseFlags(cl, argc, argv, first, kVerifyCheckpointUsage, &code) ||
      !VkeyFlag(cl, kVerifyCheckpointUsage, &key, &code)) {
    return code;
  }
  absl::StatusOr<ledger::Checkpoint> c = VerifyCheckpoint(ReadStdin(), key);
  if (!c.ok()) return Invalid(std::string(c.status().message()));
  PrintCheckpoint(*c);
  return 0;
}

// Replaces `path` with `content`: a synced temporary file renamed over it.
absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::InternalError(absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
  }
  bool ok = write(fd, content.data(), content.size()) ==
                static_cast<ssize_t>(content.size()) &&
            fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    unlink(tmp.c_str());
    return absl::InternalError(absl::StrCat("cannot write ", path, ": ", why));
  }
  return absl::OkStatus();
}

int Audit(const ServerConnection& server, int argc, char** argv, int first) {
  CommandLine cl({"server", "state", "vkey"}, {"help"});
  int code = 0;
  VerifierKey key;
  if (!ParseFlags(cl, argc, argv, first, kAuditUsage, &code) ||
      !VkeyFlag(cl, kAuditUsage, &key, &code)) {
    return code;
  }
  if (!cl.Has("state")) return UsageError("--state is required", kAuditUsage);
  const std::string state_path = *cl.Get("state");

  // The earlier checkpoint, if any; it must verify with the same key.
  std::optional<ledger::Checkpoint> old;
  {
    std::ifstream in(state_path, std::ios::binary);
    if (in) {
      std::stringstream note;
      note << in.rdbuf();
      absl::StatusOr<ledger::Checkpoint> c = VerifyCheckpoint(note.str(), key);
      if (!c.ok()) {
        return Invalid(absl::StrCat("saved state ", state_path, ": ", c.status().message()));
      }
      old = *c;
    } else if (errno != ENOENT) {
      std::cerr << "ledgerctl: cannot read " << state_path << ": "
                << std::strerror(errno) << "\n";
      return 2;
    }
  }

  LedgerClient client(cl.GetOr("server", server.address), server.options);
  absl::StatusOr<v1::GetCheckpointResponse> latest = client.GetCheckpoint();
  if (!latest.ok()) return ServerError("audit", latest.status(), client.address());
  absl::StatusOr<ledger::Checkpoint> now = VerifyCheckpoint(latest->checkpoint(), key);
  if (!now.ok()) {
    return Invalid(absl::StrCat("server's checkpoint: ", now.status().message()));
  }
  if (old.has_value()) {
    if (now->origin != old->origin) {
      return Invalid(absl::StrCat("origin changed from '", old->origin, "' to '",
                                  now->origin, "'"));
    }
    if (now->size < old->size) {
      return Invalid(absl::StrCat("the log shrank from ", old->size, " to ",
                                  now->size, " entries"));
    }
    if (old->size > 0) {
      std::vector<std::string> proof;
      if (now->size > old->size) {
        absl::StatusOr<v1::GetConsistencyProofResponse> p =
            client.GetConsistencyProof(old->size, now->size);
        if (!p.ok()) {
          return ServerError("audit: consistency proof", p.status(), client.address());
        }
        proof.assign(p->hashes().begin(), p->hashes().end());
      }
      if (absl::Status s = VerifyConsistency(old->size, now->size, AsBytes(old->root),
                                             AsBytes(now->root), proof);
          !s.ok()) {
        return Invalid(absl::StrCat(
            "the log of ", now->size, " entries is not an extension of the one of ",
            old->size, " entries seen before (rewritten or forked): ", s.message()));
      }
    }
  }
  if (absl::Status s = WriteFileAtomically(state_path, latest->checkpoint()); !s.ok()) {
    std::cerr << "ledgerctl: " << s.message() << "\n";
    return 2;
  }
  if (old.has_value()) {
    std::cout << "consistent: " << old->size << " -> " << now->size
              << " entries; state saved to " << state_path << "\n";
  } else {
    std::cout << "first audit: checkpoint of " << now->size
              << " entries verified; state saved to " << state_path << "\n";
  }
  return 0;
}

}  // namespace

const std::vector<CliCommand>& ProofCommands() {
  static const std::vector<CliCommand> kCommands = {
      {"checkpoint", "print the latest signed checkpoint", kCheckpointUsage, CheckpointCommand},
      {"public-key", "print the log's verifier key line", kPublicKeyUsage, PublicKey},
      {"prove-inclusion", "get an inclusion proof for an entry",
       kProveInclusionUsage, ProveInclusion},
      {"prove-consistency", "get a consistency proof between two tree sizes",
       kProveConsistencyUsage, ProveConsistency},
      {"audit", "check the log only grew since the saved checkpoint",
       kAuditUsage, Audit},
      {"merkle-root", "offline: Merkle root of hex leaves on stdin",
       kMerkleRootUsage, MerkleRoot},
      {"verify-inclusion", "offline: check an inclusion proof",
       kVerifyInclusionUsage, VerifyInclusionCommand},
      {"verify-consistency", "offline: check a consistency proof",
       kVerifyConsistencyUsage, VerifyConsistencyCommand},
      {"verify-checkpoint", "offline: check a signed checkpoint on stdin",
       kVerifyCheckpointUsage, VerifyCheckpointCommand},
  };
  return kCommands;
}

}  // namespace ledger
