#include "controller/token_store.h"

#include <chrono>

#include "wire/pki.h"

namespace poolha::controller {

namespace {
int64_t wall_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}
}  // namespace

Expected<std::unique_ptr<TokenStore>> TokenStore::open(store::SqliteDb& db) {
  auto st = db.exec(
      "CREATE TABLE IF NOT EXISTS enrol_tokens (hash TEXT PRIMARY KEY, node TEXT NOT NULL,"
      " expires_s INTEGER NOT NULL, used_s INTEGER)");
  if (!st.ok()) return st;
  return std::unique_ptr<TokenStore>(new TokenStore(db));
}

Expected<std::string> TokenStore::mint(const std::string& node, int64_t ttl_s) {
  // Spent and expired tokens are kept a day (for the operator who asks why one failed),
  // then dropped, so the table does not grow with every enrolment.
  if (auto st = db_.run("DELETE FROM enrol_tokens WHERE expires_s < ?1", {wall_s() - 86400}); !st.ok()) return st;
  std::string token = pki::new_token();
  auto st = db_.run("INSERT INTO enrol_tokens (hash, node, expires_s) VALUES (?1, ?2, ?3)",
                    {pki::hash_token(token), node, wall_s() + ttl_s});
  if (!st.ok()) return st;
  return token;
}

Status TokenStore::redeem(const std::string& token, const std::string& node) {
  if (token.size() != 64) return Status::Error("enrolment token is malformed (expected 64 hex characters)");
  const std::string hash = pki::hash_token(token);
  std::string bound;
  int64_t expires = 0, used = 0;
  bool found = false;
  auto st = db_.run("SELECT node, expires_s, COALESCE(used_s, 0) FROM enrol_tokens WHERE hash = ?1", {hash},
                    [&](const store::SqliteDb::Row& r) {
                      found = true;
                      bound = as_text(r[0]);
                      expires = as_int(r[1]);
                      used = as_int(r[2]);
                    });
  if (!st.ok()) return st;
  if (!found) return Status::Error("enrolment token unknown: mint one with `poolhactl token create " + node + "`");
  if (used) return Status::Error("enrolment token already used: mint a new one");
  if (wall_s() > expires) return Status::Error("enrolment token expired: mint a new one");
  if (bound != node) return Status::Error("enrolment token was minted for another node name");
  st = db_.run("UPDATE enrol_tokens SET used_s = ?2 WHERE hash = ?1 AND used_s IS NULL", {hash, wall_s()});
  if (!st.ok()) return st;
  if (db_.changes() != 1) return Status::Error("enrolment token already used: mint a new one");
  return Status::Ok();
}

}  // namespace poolha::controller
