// The input format of the sequence fuzzers: records of [tag: 1 byte][length: 2 bytes,
// big-endian][payload], so a seed is easy to write (write_seeds.cc) and a mutation
// changes one message, not the framing of all that follow. A short last record is
// cut to what is there.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace poolha::fuzz {

struct Record {
  uint8_t tag = 0;
  std::string_view payload;
};

class Records {
 public:
  Records(const uint8_t* data, size_t size) : data_(reinterpret_cast<const char*>(data), size) {}
  bool next(Record* r) {
    if (at_ + 3 > data_.size()) return false;
    r->tag = static_cast<uint8_t>(data_[at_]);
    const size_t len = (static_cast<size_t>(static_cast<uint8_t>(data_[at_ + 1])) << 8) |
                       static_cast<uint8_t>(data_[at_ + 2]);
    at_ += 3;
    r->payload = data_.substr(at_, len);
    at_ += r->payload.size();
    return true;
  }

 private:
  std::string_view data_;
  size_t at_ = 0;
};

inline std::string record(uint8_t tag, const std::string& payload) {
  std::string out;
  out += static_cast<char>(tag);
  out += static_cast<char>((payload.size() >> 8) & 0xFF);
  out += static_cast<char>(payload.size() & 0xFF);
  return out + payload.substr(0, 0xFFFF);
}

}  // namespace poolha::fuzz
