// Where the Windows agent and keeper log: a rotating file in %ProgramData%\poolha\log
// (10 MiB x 5), warnings and worse also to the Application event log under the
// service's own source (with the message table linked into the binary, so the Event
// Viewer shows the text), and the console when run in the foreground.
#pragma once
#include <string>

namespace poolha::host::windows {

// `name`: "poolha-agent" or "poolha-keeper" (the event source and the file's name).
// Falls back to the console alone if the log directory cannot be made.
void setup_logging(const std::string& name, const std::string& level, bool console);

// %ProgramData%\poolha\log
std::string log_dir();

}  // namespace poolha::host::windows
