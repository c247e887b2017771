#include "host/log_scan.h"

#include <re2/re2.h>

#include <map>
#include <mutex>
#include <string_view>

#include "common/text_encoding.h"

namespace poolha::host {

namespace {

using Clock = std::chrono::steady_clock;
using namespace checks;

constexpr std::size_t kLogScanBudget = 8u << 20;
constexpr std::size_t kLogMaxLine = 4096;  // characters' worth of bytes; the rest of a line is not matched
constexpr std::size_t kLogMaxPending = 64u << 10;

struct LogWatch {
  std::mutex mu;
  bool seen = false;
  bool absent = false;
  uint64_t volume = 0;
  uint64_t file = 0;
  int64_t offset = 0;
  std::unique_ptr<re2::RE2> re;
};

std::mutex g_log_mu;
std::map<std::string, std::shared_ptr<LogWatch>>& log_watches() {
  static auto* m = new std::map<std::string, std::shared_ptr<LogWatch>>();
  return *m;
}

std::shared_ptr<LogWatch> watch_for(const std::string& key) {
  std::lock_guard<std::mutex> lk(g_log_mu);
  auto& slot = log_watches()[key];
  if (!slot) slot = std::make_shared<LogWatch>();
  return slot;
}

// Where the next newline ends in `chunk` (index just past it), searching from `at`;
// npos if none. UTF-16: "\n\0" at an even index (chunks start at even offsets).
std::size_t next_line_end(std::string_view chunk, std::size_t at, std::size_t unit) {
  if (unit == 1) {
    const auto nl = chunk.find('\n', at);
    return nl == std::string_view::npos ? nl : nl + 1;
  }
  for (std::size_t i = at + (at & 1); i + 1 < chunk.size(); i += 2)
    if (chunk[i] == '\n' && chunk[i + 1] == '\0') return i + 2;
  return std::string_view::npos;
}

}  // namespace

CheckOutcome check_log_pattern(const CheckSpec& spec, Clock::time_point deadline, const LogOpener& open) {
  const std::string path = get(spec, "path");
  const std::string pattern = get(spec, "pattern");
  const text::Encoding encoding = text::parse_encoding(get(spec, "encoding", "utf-8")).value_or(text::Encoding::Utf8);
  const std::size_t unit = encoding == text::Encoding::Utf16le ? 2 : 1;
  auto w = watch_for(path + '\n' + pattern + '\n' + text::to_string(encoding));
  std::lock_guard<std::mutex> lk(w->mu);
  if (!w->re) {
    std::string err;
    w->re = compile_pattern(pattern, &err);
    if (!w->re) return {false, "bad pattern: " + err};
  }
  auto opened = open(path);
  if (!opened.ok()) return {false, opened.error()};
  if (!*opened) {
    w->seen = true;
    w->absent = true;
    return {true, "log " + path + " absent; nothing to scan"};
  }
  OpenLog& f = **opened;
  if (!w->seen) {
    w->seen = true;
    w->absent = false;
    w->volume = f.volume;
    w->file = f.file;
    w->offset = f.size - f.size % static_cast<int64_t>(unit);
    return {true, "log " + path + ": watching from offset " + std::to_string(w->offset)};
  }
  int64_t start = w->offset;
  std::string restart;
  if (w->absent) {
    start = 0;
    restart = " (file appeared; read from start)";
  } else if (f.volume != w->volume || f.file != w->file) {
    start = 0;
    restart = " (file replaced; read from start)";
  } else if (f.size < start) {
    start = 0;
    restart = " (file truncated; read from start)";
  }
  w->absent = false;
  w->volume = f.volume;
  w->file = f.file;

  std::size_t matches = 0, lines = 0, scanned = 0;
  std::string first_match;
  std::string pending;
  int64_t consumed = start;  // offset just past the last processed line
  int64_t pos = start;
  bool budget_hit = false, deadline_hit = false;
  char buf[65536];
  auto handle_line = [&](std::string_view line) {
    ++lines;
    if (line.size() > kLogMaxLine * unit) line = line.substr(0, kLogMaxLine * unit);
    // Matched as UTF-8 text: a GBK or UTF-16 log is decoded first, so a pattern in
    // Chinese matches it; other bytes that are not valid become U+FFFD.
    std::string text_line = text::decode_to_utf8(line, encoding);
    if (text_line.compare(0, 3, "\xEF\xBB\xBF") == 0) text_line.erase(0, 3);  // a byte-order mark
    while (!text_line.empty() && (text_line.back() == '\n' || text_line.back() == '\r')) text_line.pop_back();
    if (re2::RE2::PartialMatch(text_line, *w->re))
      if (matches++ == 0) first_match = summarize(text_line);
  };
  while (true) {
    if (scanned >= kLogScanBudget) {
      budget_hit = true;
      break;
    }
    if (Clock::now() >= deadline) {
      deadline_hit = true;
      break;
    }
    const int64_t n = f.read_at(pos, buf, sizeof buf);
    if (n <= 0) break;
    pos += n;
    scanned += static_cast<std::size_t>(n);
    std::string_view chunk(buf, static_cast<std::size_t>(n));
    if (!pending.empty() && unit == 2 && (pending.size() & 1)) {
      // A UTF-16 unit split across reads: complete it first, so indices stay even; it may
      // be the line's end.
      pending += chunk.front();
      chunk.remove_prefix(1);
      if (pending.compare(pending.size() - 2, 2, std::string("\n\0", 2)) == 0) {
        handle_line(pending);
        pending.clear();
        consumed = pos - static_cast<int64_t>(chunk.size());
      }
    }
    std::size_t at = 0;
    while (at < chunk.size()) {
      const auto end = next_line_end(chunk, at, unit);
      if (end == std::string_view::npos) {
        pending.append(chunk.substr(at));
        if (pending.size() >= kLogMaxPending) {  // absurdly long line: take it as is
          handle_line(pending);
          consumed += static_cast<int64_t>(pending.size() - pending.size() % unit);
          pending.erase(0, pending.size() - pending.size() % unit);
        }
        break;
      }
      if (pending.empty()) {
        handle_line(chunk.substr(at, end - at));
      } else {
        pending.append(chunk.substr(at, end - at));
        handle_line(pending);
        pending.clear();
      }
      consumed = pos - static_cast<int64_t>(chunk.size() - end);
      at = end;
    }
  }
  w->offset = consumed;  // an incomplete last line is read again next time
  std::string detail;
  if (matches > 0) {
    detail = "log " + path + ": " + std::to_string(matches) + " new line(s) match /" + pattern + "/; first: " + first_match;
  } else {
    detail = "log " + path + ": no new line matches /" + pattern + "/ (" + std::to_string(lines) + " line(s), " +
             std::to_string(scanned) + " bytes scanned)";
  }
  detail += restart;
  if (budget_hit) detail += "; scan stopped at 8 MiB, continues next call";
  if (deadline_hit) detail += "; scan stopped at timeout, continues next call";
  return {matches == 0, detail};
}

}  // namespace poolha::host
