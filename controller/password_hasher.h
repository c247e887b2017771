// argon2id password hashes (libsodium's crypto_pwhash_str) computed off the event
// loop: one hash costs ~64 MiB and tens of milliseconds by design, and the loop
// carries heartbeats and Raft. One worker thread, a short queue (sign-ins beyond it
// are told to retry, never queued without bound); results come back on the loop.
// Also the controller's randomness for sessions, keys and one-time passwords.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <utility>  // before Asio (see wire/session.h)
#include <boost/asio/io_context.hpp>
#include "common/status.h"

namespace poolha::controller {

class PasswordHasher {
 public:
  struct Cost {
    unsigned long long ops;
    size_t mem_bytes;
  };
  // libsodium's INTERACTIVE limits (2 passes, 64 MiB): what the controller uses.
  static Cost interactive();
  // The least libsodium allows: unit tests only, where the cost is not under test.
  static Cost minimal();

  PasswordHasher(boost::asio::io_context& io, Cost cost);
  ~PasswordHasher();
  PasswordHasher(const PasswordHasher&) = delete;
  PasswordHasher& operator=(const PasswordHasher&) = delete;

  static constexpr size_t kMaxQueued = 16;
  // `done` runs on `io`'s thread. False (and `done` not called): the queue is full.
  bool hash(std::string password, std::function<void(Expected<std::string>)> done);
  // Whether `password` matches `hash`. An empty hash never matches but costs the same
  // time as a real check (unknown accounts are not told apart by timing).
  bool verify(std::string hash, std::string password, std::function<void(bool)> done);

 private:
  void run();
  boost::asio::io_context& io_;
  Cost cost_;
  std::string dummy_hash_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread worker_;
};

// Hex of `bytes` random bytes from the OS's CSPRNG (libsodium): session ids, keys.
std::string random_hex(size_t bytes);
// A one-time password of at least `length` characters with upper and lower case
// letters, digits and '-', without look-alike characters (0/O, 1/l/I).
std::string one_time_password(size_t length);

}  // namespace poolha::controller
