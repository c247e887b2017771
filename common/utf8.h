// Text from the outside world is bytes (script output, log lines, GBK application
// logs, binary junk); everything poolha stores, sends or prints is valid UTF-8.
// These are the only ways a byte string becomes text, and the only ways text is cut:
// a cut inside a multi-byte character would make the JSON writer or the Protobuf
// parser refuse the whole message (issue 9: a 1 KiB Chinese script output crashed the
// controller; a GBK log line cost a node its sessions).
//
// Pure functions, no locale, no OS header.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace poolha::text {

// True if `s` is well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF).
bool is_valid_utf8(std::string_view s);
// The offset of the first byte that starts an ill-formed sequence; npos if none.
size_t first_invalid_utf8(std::string_view s);

// `bytes` as valid UTF-8: every ill-formed sequence becomes U+FFFD (one per maximal
// ill-formed subpart, as Unicode §3.9 recommends); valid input comes back unchanged.
std::string sanitize_utf8(std::string_view bytes);

// The longest prefix of valid UTF-8 `s` that fits in `max_bytes` and ends on a
// character boundary. When something was cut and `marker` is not empty, the result
// ends with `marker` and still fits in max_bytes (if the marker itself fits).
std::string truncate_utf8(std::string_view s, size_t max_bytes, std::string_view marker = "");

// sanitize_utf8 then truncate_utf8: the one call for bytes arriving from outside.
std::string clean_text(std::string_view bytes, size_t max_bytes, std::string_view marker = "...");

// One line for a log file or a terminal: clean_text, and every control character
// (newlines, ESC of an ANSI sequence, DEL, C1 controls) shown as \xNN, so text an
// agent or a client chose can neither forge log lines nor drive the terminal.
std::string log_safe(std::string_view bytes, size_t max_bytes = 256);

// A..Z to a..z, every other byte as it is (names, extensions and paths compared without
// regard to ASCII case, as Windows does for them).
std::string ascii_lower(std::string_view s);

// Characters (code points) in valid UTF-8 `s`: what a length limit on a name or a
// password counts, so a Chinese password is not three times "longer".
size_t code_points(std::string_view s);

// Columns a terminal gives valid UTF-8 `s`: East Asian wide and fullwidth characters
// (CJK, Hangul, fullwidth forms) count 2, combining marks 0, the rest 1.
size_t display_width(std::string_view s);

// The longest prefix of `s` no wider than `columns`, ending on a character boundary.
std::string truncate_to_width(std::string_view s, size_t columns);

}  // namespace poolha::text
