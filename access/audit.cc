#include "access/audit.h"

#include <nlohmann/json.hpp>

#include <string_view>

#include "common/json_text.h"
#include "common/sha256.h"
#include "common/utf8.h"

namespace poolha::access {

namespace {

constexpr size_t kMaxFieldBytes = 512;
constexpr size_t kMaxDetailBytes = 2048;

// A spreadsheet runs a cell that starts with = + - @ as a formula; an account name
// typed at the login page must not become one in the auditor's Excel (CWE-1236). Such
// a cell gets a leading apostrophe, which spreadsheets show as text. The hashes cover
// the fields as stored; `poolhactl audit verify` checks them, not the CSV.
std::string csv_field(std::string s) {
  if (!s.empty() && std::string_view("=+-@\t\r").find(s[0]) != std::string_view::npos) s.insert(0, "'");
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

std::string canonical_text(const AuditRecord& r) {
  const nlohmann::json fields = nlohmann::json::array(
      {r.seq, r.at_ms, r.account, r.roles, r.source, r.action, r.target, r.reason, r.ticket, r.result, r.detail,
       r.prev_hash});
  return json_text(fields);
}

std::string record_hash(const AuditRecord& r) { return sha256_hex(canonical_text(r)); }

AuditRecord seal(AuditHead& head, AuditRecord r) {
  for (std::string* f : {&r.account, &r.roles, &r.source, &r.action, &r.target, &r.reason, &r.ticket, &r.result})
    *f = text::clean_text(*f, kMaxFieldBytes);
  r.detail = text::clean_text(r.detail, kMaxDetailBytes);
  r.seq = head.seq + 1;
  r.prev_hash = head.hash;
  r.hash = record_hash(r);
  head = {r.seq, r.hash};
  return r;
}

ChainCheck verify_chain(const std::vector<AuditRecord>& records, const std::string& prev_of_first,
                        const std::optional<AuditHead>& head) {
  ChainCheck out;
  std::string prev = prev_of_first;
  uint64_t expect_seq = records.empty() ? 0 : records.front().seq;
  auto broken = [&](const AuditRecord& r, std::string why) {
    out.ok = false;
    out.first_bad_seq = r.seq;
    out.problem = std::move(why);
    return out;
  };
  for (const AuditRecord& r : records) {
    if (r.seq != expect_seq)
      return broken(r, "expected record " + std::to_string(expect_seq) + " here, found " + std::to_string(r.seq) +
                           " (a record is missing or out of order)");
    if (r.prev_hash != prev)
      return broken(r, "its link to the previous record does not match that record's hash "
                       "(the previous record was changed, removed or moved)");
    if (record_hash(r) != r.hash) return broken(r, "its contents do not match its hash (the record was changed)");
    prev = r.hash;
    ++expect_seq;
    ++out.checked;
  }
  if (head) {
    const uint64_t last = records.empty() ? 0 : records.back().seq;
    if (last != head->seq || prev != head->hash) {
      out.ok = false;
      out.first_bad_seq = last + 1 <= head->seq ? last + 1 : head->seq;
      out.problem = "the chain ends at record " + std::to_string(last) + " but the replicated head is record " +
                    std::to_string(head->seq) +
                    (last == head->seq ? " with another hash (records were rewritten)" : " (records are missing)");
    }
  }
  return out;
}

std::string csv_header() {
  return "\xEF\xBB\xBFseq,time_utc_ms,account,roles,source,action,target,reason,ticket,result,detail,prev_hash,hash\r\n";
}

std::string csv_line(const AuditRecord& r) {
  std::string out;
  for (const std::string& f : {std::to_string(r.seq), std::to_string(r.at_ms), r.account, r.roles, r.source, r.action,
                               r.target, r.reason, r.ticket, r.result, r.detail, r.prev_hash, r.hash})
    out += (out.empty() ? "" : ",") + csv_field(f);
  return out + "\r\n";
}

}  // namespace poolha::access
