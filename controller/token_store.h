// One-time enrolment tokens (design §7): only the SHA-256 of a token is stored; a
// token is bound to one node name, expires, and is spent by its first use.
#pragma once
#include "store/sqlite_db.h"

namespace poolha::controller {

class TokenStore {
 public:
  static Expected<std::unique_ptr<TokenStore>> open(store::SqliteDb& db);
  // Mints a token for `node`, valid for ttl_s seconds; returns the token (shown once).
  Expected<std::string> mint(const std::string& node, int64_t ttl_s);
  // Spends a token for `node`; error says why it is refused (unknown, used, expired,
  // other node) without revealing more than that.
  Status redeem(const std::string& token, const std::string& node);

 private:
  explicit TokenStore(store::SqliteDb& db) : db_(db) {}
  store::SqliteDb& db_;
};

}  // namespace poolha::controller
