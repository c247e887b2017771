// The built console (webui/dist) served from memory: every file is read once at start
// (with its precompressed .gz sibling), so a request never touches the file system and
// no path can walk out of the folder. Answers carry the console's security headers
// (a strict Content-Security-Policy with no inline script, HSTS, no framing), strong
// ETags, and cache rules: hashed assets/* immutable for a year, index.html revalidated.
// A GET for a path that is no file and wants HTML gets index.html (the console's own
// routes: /rules/gw1 reloaded in the browser).
#pragma once
#include <map>
#include <memory>
#include <string>

#include "common/status.h"
#include "controller/api_types.h"

namespace poolha::controller {

class StaticAssets {
 public:
  // Loads `dir` (at most kMaxFiles files and kMaxBytes in all). A missing folder gives
  // an empty set (the API alone); an unreadable file or a set beyond the limits is an error.
  static Expected<std::unique_ptr<StaticAssets>> load(const std::string& dir);
  static constexpr size_t kMaxFiles = 2000;
  static constexpr size_t kMaxBytes = 64u << 20;

  bool empty() const { return files_.empty(); }
  size_t count() const { return files_.size(); }
  size_t bytes() const { return bytes_; }

  // The answer to GET/HEAD `path` (no query), or nullopt when no file and no HTML
  // fallback fits (the caller answers 404).
  std::optional<ApiResponse> get(const std::string& path, const std::string& accept_encoding,
                                 const std::string& if_none_match, const std::string& accept) const;

  // The headers every console answer carries (also set by the API server on its own).
  static void add_security_headers(ApiResponse& r);

 private:
  struct File {
    std::string body;
    std::string gzip;  // empty: no .gz sibling
    std::string type;
    std::string etag;
  };
  std::map<std::string, File> files_;  // by URL path ("/index.html", "/assets/index-3f2a.js")
  size_t bytes_ = 0;
};

}  // namespace poolha::controller
