#include "controller/request_parts.h"

#include <cctype>

#include "common/utf8.h"

namespace poolha::controller {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

std::string percent_decode(const std::string& in) {
  std::string out;
  auto hex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && hex(in[i + 1]) && hex(in[i + 2])) {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += in[i];
    }
  }
  return out;
}

std::string query_param(const std::string& query, const std::string& key) {
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    std::string pair = query.substr(pos, amp - pos);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1));
    pos = amp + 1;
  }
  return "";
}

Status only_fields(const nlohmann::json& body, std::initializer_list<const char*> allowed) {
  if (!body.is_object()) return Status::Error("body: expected a JSON object");
  for (const auto& [k, v] : body.items()) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || k == a;
    if (!ok) return Status::Error("body: unknown field '" + text::log_safe(k, 64) + "'");
  }
  return Status::Ok();
}

Expected<std::string> string_field(const nlohmann::json& body, const char* key, size_t max_bytes,
                                   std::optional<std::string> dflt) {
  if (!body.is_object() || !body.contains(key)) {
    if (dflt) return *dflt;
    return Expected<std::string>::Error(std::string(key) + ": required");
  }
  if (!body[key].is_string()) return Expected<std::string>::Error(std::string(key) + ": expected a string");
  std::string v = body[key].get<std::string>();
  if (v.size() > max_bytes)
    return Expected<std::string>::Error(std::string(key) + ": longer than " + std::to_string(max_bytes) + " bytes");
  if (!text::is_valid_utf8(v)) return Expected<std::string>::Error(std::string(key) + ": not valid UTF-8");
  return v;
}

Expected<int64_t> int_param(const std::string& query, const std::string& key, int64_t lo, int64_t hi, int64_t dflt) {
  const std::string v = query_param(query, key);
  if (v.empty()) return dflt;
  if (v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return Expected<int64_t>::Error(key + ": expected an integer " + std::to_string(lo) + ".." + std::to_string(hi));
  const int64_t n = std::stoll(v);
  if (n < lo || n > hi)
    return Expected<int64_t>::Error(key + ": expected an integer " + std::to_string(lo) + ".." + std::to_string(hi));
  return n;
}

}  // namespace poolha::controller
