// UTF-8 (every string inside poolha) <-> UTF-16 (every Windows API call the agent
// makes: the W functions, so that "以太网 2" or a Chinese script path works whatever
// the system's ANSI code page is), and the text of a Win32 error code.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace poolha::win {

// Invalid input (bad UTF-8, unpaired surrogates) becomes U+FFFD.
std::wstring widen(std::string_view utf8);
std::string narrow(std::wstring_view utf16);

// "The system cannot find the file specified. (2)": the system's message in UTF-8
// (the language of the host, as the event log shows it) with the number.
std::string error_text(uint32_t code);
// error_text(GetLastError()).
std::string last_error_text();

}  // namespace poolha::win
