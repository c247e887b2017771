#include "controller/static_assets.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/sha256.h"

namespace poolha::controller {

namespace fs = std::filesystem;

namespace {

std::string content_type(const std::string& path) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
      {".ico", "image/x-icon"}, {".woff2", "font/woff2"}, {".woff", "font/woff"}, {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"}};
  const auto dot = path.rfind('.');
  if (dot == std::string::npos) return "application/octet-stream";
  auto it = types.find(path.substr(dot));
  return it == types.end() ? "application/octet-stream" : it->second;
}

Expected<std::string> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Expected<std::string>::Error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool has_token(const std::string& header, const std::string& token) {
  size_t pos = 0;
  while ((pos = header.find(token, pos)) != std::string::npos) {
    const bool start = pos == 0 || header[pos - 1] == ' ' || header[pos - 1] == ',';
    const size_t end = pos + token.size();
    const bool stop = end == header.size() || header[end] == ',' || header[end] == ';' || header[end] == ' ';
    if (start && stop) return true;
    pos = end;
  }
  return false;
}

}  // namespace

Expected<std::unique_ptr<StaticAssets>> StaticAssets::load(const std::string& dir) {
  auto out = std::unique_ptr<StaticAssets>(new StaticAssets());
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
    const std::string rel = "/" + fs::relative(it->path(), dir, ec).generic_string();
    if (rel.size() > 3 && rel.compare(rel.size() - 3, 3, ".gz") == 0) continue;  // siblings, read with their file
    if (out->files_.size() >= kMaxFiles)
      return Expected<std::unique_ptr<StaticAssets>>::Error("webui_dir " + dir + ": more than " +
                                                            std::to_string(kMaxFiles) + " files");
    auto body = read_all(it->path());
    if (!body.ok()) return body.status();
    File f;
    f.body = std::move(*body);
    f.type = content_type(rel);
    f.etag = "\"" + sha256_hex(f.body).substr(0, 32) + "\"";
    const fs::path gz = it->path().string() + ".gz";
    if (fs::is_regular_file(gz, ec)) {
      auto z = read_all(gz);
      if (!z.ok()) return z.status();
      f.gzip = std::move(*z);
    }
    out->bytes_ += f.body.size() + f.gzip.size();
    if (out->bytes_ > kMaxBytes)
      return Expected<std::unique_ptr<StaticAssets>>::Error("webui_dir " + dir + ": more than " +
                                                            std::to_string(kMaxBytes >> 20) + " MiB");
    out->files_[rel] = std::move(f);
  }
  if (ec) return Expected<std::unique_ptr<StaticAssets>>::Error("webui_dir " + dir + ": " + ec.message());
  return out;
}

void StaticAssets::add_security_headers(ApiResponse& r) {
  // antd writes its styles into <style> elements at run time, hence 'unsafe-inline'
  // for styles only; scripts come from this origin alone, never inline.
  r.headers.emplace_back("Content-Security-Policy",
                         "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                         "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
                         "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'");
  r.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  r.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
}

std::optional<ApiResponse> StaticAssets::get(const std::string& path, const std::string& accept_encoding,
                                             const std::string& if_none_match, const std::string& accept) const {
  std::string key = path == "/" ? "/index.html" : path;
  auto it = files_.find(key);
  if (it == files_.end()) {
    // The console's own routes: a page reload on /rules/gw1 gets the application.
    const bool wants_html = accept.find("text/html") != std::string::npos;
    if (!wants_html || key.rfind("/assets/", 0) == 0) return std::nullopt;
    key = "/index.html";
    it = files_.find(key);
    if (it == files_.end()) return std::nullopt;
  }
  const File& f = it->second;
  ApiResponse r;
  add_security_headers(r);
  r.headers.emplace_back("Cache-Control", key.rfind("/assets/", 0) == 0 ? "public, max-age=31536000, immutable"
                                                                         : "no-cache");
  r.headers.emplace_back("ETag", f.etag);
  r.headers.emplace_back("Vary", "Accept-Encoding");
  r.content_type = f.type;
  if (!if_none_match.empty() && has_token(if_none_match, f.etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  if (!f.gzip.empty() && has_token(accept_encoding, "gzip")) {
    r.headers.emplace_back("Content-Encoding", "gzip");
    r.text = f.gzip;
  } else {
    r.text = f.body;
  }
  return r;
}

}  // namespace poolha::controller
