#include "wire/frame.h"

namespace poolha::wire {

std::string encode_frame(const Envelope& e) {
  std::string body = e.SerializeAsString();
  const auto n = static_cast<uint32_t>(body.size());
  std::string out;
  out.reserve(4 + body.size());
  out.push_back(static_cast<char>(n >> 24));
  out.push_back(static_cast<char>(n >> 16));
  out.push_back(static_cast<char>(n >> 8));
  out.push_back(static_cast<char>(n));
  out += body;
  return out;
}

Expected<uint32_t> decode_length(const std::array<unsigned char, 4>& h, uint32_t limit) {
  const uint32_t n = (uint32_t(h[0]) << 24) | (uint32_t(h[1]) << 16) | (uint32_t(h[2]) << 8) | uint32_t(h[3]);
  if (n == 0) return Expected<uint32_t>::Error("frame: empty frame");
  if (n > limit)
    return Expected<uint32_t>::Error("frame: " + std::to_string(n) + " bytes announced, limit is " + std::to_string(limit));
  return n;
}

Expected<Envelope> decode_body(const std::string& body) {
  Envelope e;
  if (!e.ParseFromString(body)) return Expected<Envelope>::Error("frame: body is not a valid poolha.wire.Envelope");
  if (e.body_case() == Envelope::BODY_NOT_SET)
    return Expected<Envelope>::Error("frame: envelope carries no message (unknown type from a newer peer?)");
  return e;
}

const char* body_name(const Envelope& e) {
  switch (e.body_case()) {
    case Envelope::kHello: return "hello";
    case Envelope::kHelloAck: return "hello_ack";
    case Envelope::kHeartbeat: return "heartbeat";
    case Envelope::kCommand: return "command";
    case Envelope::kResult: return "result";
    case Envelope::kRole: return "role";
    case Envelope::kArbiterQuery: return "arbiter_query";
    case Envelope::kArbiterAnswer: return "arbiter_answer";
    case Envelope::kArbiterHeard: return "arbiter_heard";
    case Envelope::kEnrolRequest: return "enrol_request";
    case Envelope::kEnrolReply: return "enrol_reply";
    case Envelope::kRaft: return "raft";
    case Envelope::kVouchGrant: return "vouch_grant";
    case Envelope::kMemberSightings: return "member_sightings";
    case Envelope::BODY_NOT_SET: break;
  }
  return "none";
}

}  // namespace poolha::wire
