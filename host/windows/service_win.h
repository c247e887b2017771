// Windows services (the SCM) for the agent and the keeper: running as a service, and
// installing, starting, stopping, querying and removing one. Each service sets its own
// recovery (restart on failure) and a short pre-shutdown at start-up, since wixl's
// MSI cannot express them (docs/windows.md).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace poolha::host::windows {

// What a service's body sees of the SCM.
class ServiceControl {
 public:
  virtual ~ServiceControl() = default;
  // The body is ready: report SERVICE_RUNNING.
  virtual void running() = 0;
  // Called (from the SCM's thread) on STOP, PRESHUTDOWN or SHUTDOWN; set before running().
  // If the stop came already, `stop` is called at once.
  virtual void on_stop(std::function<void()> stop) = 0;
  // A stop has been asked for (then running() is not reported any more).
  virtual bool stopping() = 0;
};

// Runs `body` as the service `name` (StartServiceCtrlDispatcher). nullopt if this
// process was not started by the SCM (then run it in the foreground instead); else
// the body's exit code, reported to the SCM as the service's exit code (non-zero makes
// the SCM apply the recovery actions).
std::optional<int> run_as_service(const std::string& name, const std::function<int(ServiceControl&)>& body);

struct ServiceSpec {
  std::string name, display_name, description;
  std::string command_line;  // full, with the quoted executable first
  std::vector<std::string> depends_on;
};

// Creates the service (LocalSystem, automatic start) or updates an existing one.
Status install_service(const ServiceSpec& spec);
// Stops (waiting up to `wait`) and deletes the service; absent is success.
Status uninstall_service(const std::string& name, std::chrono::milliseconds wait);
Status start_service(const std::string& name, std::chrono::milliseconds wait);
Status stop_service(const std::string& name, std::chrono::milliseconds wait);

enum class ServiceState { NotInstalled, Stopped, Starting, Stopping, Running, Other };
Expected<ServiceState> service_state(const std::string& name);
const char* to_string(ServiceState s);

// Restart 5 s, 5 s, 30 s after failures (count reset after a day), also after a stop
// with a non-zero exit code; pre-shutdown timeout. Idempotent; each part that the
// system refuses is named in the error (wine refuses the failure-actions flag).
Status ensure_recovery(const std::string& name, std::chrono::milliseconds preshutdown);

// Registers `name` as an Application event source whose messages come from `exe`
// (the one-message table "%1" linked into the agent and keeper). Idempotent.
Status register_event_source(const std::string& name, const std::string& exe);

// The full path of this executable, UTF-8.
std::string this_executable();
// The ProgramData known folder (C:\ProgramData), UTF-8.
std::string program_data();

}  // namespace poolha::host::windows
