#include "host/windows/logging_win.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/win_eventlog_sink.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <vector>

#include "common/fs_path.h"
#include "host/windows/service_win.h"

namespace poolha::host::windows {

std::string log_dir() { return program_data() + "\\poolha\\log"; }

void setup_logging(const std::string& name, const std::string& level, bool console) {
  std::vector<spdlog::sink_ptr> sinks;
  if (console) sinks.push_back(std::make_shared<spdlog::sinks::stdout_sink_mt>());
  std::error_code ec;
  std::filesystem::create_directories(fs_path(log_dir()), ec);
  try {
    sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(log_dir() + "\\" + name + ".log", 10 << 20, 5));
  } catch (const spdlog::spdlog_ex&) {
    // no file: the console and the event log still get everything that matters
  }
  try {
    auto events = std::make_shared<spdlog::sinks::win_eventlog_sink_mt>(name);
    events->set_level(spdlog::level::warn);
    sinks.push_back(events);
  } catch (const spdlog::spdlog_ex&) {
  }
  auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
  logger->set_level(spdlog::level::from_str(level));
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace poolha::host::windows
