// Framing of wire messages: a 4-byte big-endian length, then one serialized
// Envelope. The length is checked against a limit before anything is read, so an
// oversized or malformed frame costs its connection and nothing else.
#pragma once
#include <array>
#include <cstdint>
#include <string>

#include "common/status.h"
#include "wire/poolha.pb.h"

namespace poolha::wire {

inline constexpr uint32_t kProtocolVersion = 1;
inline constexpr uint32_t kMaxFrameBytes = 1u << 20;  // 1 MiB; a heartbeat is < 1 KiB
// Before the peer is authenticated (the Hello, an enrolment request): small.
inline constexpr uint32_t kMaxPreAuthFrameBytes = 64u << 10;

std::string encode_frame(const Envelope& e);

// The body length announced by a header; error if zero-length or over `limit`.
Expected<uint32_t> decode_length(const std::array<unsigned char, 4>& header, uint32_t limit = kMaxFrameBytes);

// Parses a body; error if it is not a valid Envelope or carries no message.
Expected<Envelope> decode_body(const std::string& body);

// Human name of the message an envelope carries ("heartbeat"), for logs and errors.
const char* body_name(const Envelope& e);

}  // namespace poolha::wire
