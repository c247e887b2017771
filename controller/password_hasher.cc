#include "controller/password_hasher.h"

#include <boost/asio/post.hpp>
#include <sodium.h>

#include <stdexcept>

namespace poolha::controller {

PasswordHasher::Cost PasswordHasher::interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordHasher::Cost PasswordHasher::minimal() { return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN}; }

PasswordHasher::PasswordHasher(boost::asio::io_context& io, Cost cost) : io_(io), cost_(cost) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
  char out[crypto_pwhash_STRBYTES];
  const std::string filler = random_hex(16);
  if (crypto_pwhash_str(out, filler.data(), filler.size(), cost_.ops, cost_.mem_bytes) != 0)
    throw std::runtime_error("argon2id: out of memory");
  dummy_hash_ = out;
  worker_ = std::thread([this] { run(); });
}

PasswordHasher::~PasswordHasher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void PasswordHasher::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

bool PasswordHasher::hash(std::string password, std::function<void(Expected<std::string>)> done) {
  std::lock_guard lock(mu_);
  if (jobs_.size() >= kMaxQueued) return false;
  jobs_.push_back([this, password = std::move(password), done = std::move(done)]() mutable {
    char out[crypto_pwhash_STRBYTES];
    Expected<std::string> r = crypto_pwhash_str(out, password.data(), password.size(), cost_.ops, cost_.mem_bytes) == 0
                                  ? Expected<std::string>(std::string(out))
                                  : Expected<std::string>::Error("argon2id: out of memory");
    sodium_memzero(password.data(), password.size());
    boost::asio::post(io_, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  });
  cv_.notify_one();
  return true;
}

bool PasswordHasher::verify(std::string hash, std::string password, std::function<void(bool)> done) {
  std::lock_guard lock(mu_);
  if (jobs_.size() >= kMaxQueued) return false;
  jobs_.push_back([this, hash = std::move(hash), password = std::move(password), done = std::move(done)]() mutable {
    const std::string& h = hash.empty() ? dummy_hash_ : hash;
    const bool ok = crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0 && !hash.empty();
    sodium_memzero(password.data(), password.size());
    boost::asio::post(io_, [done = std::move(done), ok] { done(ok); });
  });
  cv_.notify_one();
  return true;
}

std::string random_hex(size_t bytes) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string one_time_password(size_t length) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
  static const std::string kUpper = "ABCDEFGHJKLMNPQRSTUVWXYZ", kLower = "abcdefghijkmnopqrstuvwxyz", kDigit = "23456789";
  const std::string all = kUpper + kLower + kDigit;
  auto pick = [](const std::string& from) { return from[randombytes_uniform(static_cast<uint32_t>(from.size()))]; };
  // Groups of four joined by '-', the first three characters one of each class.
  std::string out;
  while (out.size() < length || out.size() < 3) {
    if (!out.empty() && out.size() % 5 == 4) out += '-';
    out += out.size() == 0 ? pick(kUpper) : out.size() == 1 ? pick(kLower) : out.size() == 2 ? pick(kDigit) : pick(all);
  }
  if (out.back() == '-') out += pick(all);
  return out;
}

}  // namespace poolha::controller
