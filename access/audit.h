// The audit trail's records and their hash chain. Each record carries the hash of the
// one before it (record 1: the empty string), and its own hash covers every field and
// that link, so a record changed, removed, inserted or moved breaks the chain at that
// point: verify_chain names the first record that does not fit. The head (the last
// seq and hash) is replicated state, so a member's copy rewritten from some point on,
// hashes and all, still fails against the head every member agrees on.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "access/model.h"

namespace poolha::access {

struct AuditRecord {
  uint64_t seq = 0;
  TimeMs at_ms = 0;
  std::string account;
  std::string roles;   // "operator,viewer"
  std::string source;  // client address or member name
  std::string action;  // "access.login", "switchover", "upsert_rule", ...
  std::string target;  // "rule gw1", "account alice", ...
  std::string reason;
  std::string ticket;
  std::string result;  // "ok", "denied", "refused: <why>", "failed: password"
  std::string detail;
  std::string prev_hash;
  std::string hash;
};

// The bytes the hash covers: every field but `hash`, in a fixed order (a JSON array).
std::string canonical_text(const AuditRecord& r);
// SHA-256 (hex) of canonical_text.
std::string record_hash(const AuditRecord& r);
// `r` as the record after `head` (seq, prev_hash, hash filled in); `head` advances.
// Text fields are cleaned to valid UTF-8 and bounded first, so the record is the same
// on every member and in every export.
AuditRecord seal(AuditHead& head, AuditRecord r);

struct ChainCheck {
  bool ok = true;
  uint64_t checked = 0;        // records that fit
  uint64_t first_bad_seq = 0;  // the first record that does not fit (0: none, or the head)
  std::string problem;         // what is wrong there
};
// Checks `records` (ascending seq) link by link: consecutive seq, prev_hash equal to
// the previous record's hash (for the first: `prev_of_first`, "" when it is record 1),
// hash recomputed. With `head`, the last record must also be the replicated head.
ChainCheck verify_chain(const std::vector<AuditRecord>& records, const std::string& prev_of_first,
                        const std::optional<AuditHead>& head = std::nullopt);

// CSV for auditors (RFC 4180, UTF-8 with a byte order mark so Excel reads Chinese),
// a header line then one line per record, every field including both hashes.
std::string csv_header();
std::string csv_line(const AuditRecord& r);

}  // namespace poolha::access
