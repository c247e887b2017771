#include "host/windows/script_runner_win.h"

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <memory>

#include "common/windows/acl.h"
#include "common/windows/handle.h"
#include "common/windows/wide.h"
#include "host/windows/script_command.h"

namespace poolha::host::windows {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kDrainAfterExit{200};

using win::Handle;

Status win_error(const std::string& what) { return Status::Error(what + ": " + win::last_error_text()); }

std::string join(const std::string& dir, const std::string& name) {
  std::string out = dir;
  while (!out.empty() && (out.back() == '\\' || out.back() == '/')) out.pop_back();
  out += '\\';
  for (char c : name) out += c == '/' ? '\\' : c;
  return out;
}

DWORD attributes_of(const std::string& path) { return GetFileAttributesW(win::widen(path).c_str()); }

// A pipe whose read end we read overlapped and whose write end the child inherits.
struct OutputPipe {
  Handle read, write;
};

Expected<OutputPipe> make_output_pipe() {
  static std::atomic<unsigned> counter{0};
  const std::wstring name = L"\\\\.\\pipe\\poolha-script-" + std::to_wstring(GetCurrentProcessId()) + L"-" +
                            std::to_wstring(counter++) + L"-" + std::to_wstring(GetTickCount64());
  OutputPipe p;
  p.read = Handle(CreateNamedPipeW(name.c_str(), PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                                   PIPE_TYPE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS, 1, 0, 65536, 0, nullptr));
  if (!p.read) return win_error("output pipe");
  SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
  p.write = Handle(CreateFileW(name.c_str(), GENERIC_WRITE, 0, &inherit, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
  if (!p.write) return win_error("output pipe (child end)");
  return p;
}

// Reads the pipe until the script has exited and its output is drained (EOF, or
// kDrainAfterExit after the exit while a child it left still holds the pipe), or until
// the timeout, which kills the job. The deadline is checked on every pass, so a script
// that never stops writing is killed on time too; EOF alone does not end the wait (a
// script may close its output and go on). Fills output, timed_out.
void pump(HANDLE pipe, HANDLE process, HANDLE job, milliseconds timeout, ScriptRun& run, size_t& dropped) {
  Handle event(CreateEventW(nullptr, TRUE, FALSE, nullptr));
  OVERLAPPED ov{};
  ov.hEvent = event.get();
  char buf[8192];
  auto deadline = Clock::now() + timeout;
  bool exited = false, eof = !event, pending = false;
  auto kill_tree = [&] {
    TerminateJobObject(job, 1);
    run.timed_out = true;
    WaitForSingleObject(process, 5000);
    exited = true;
    deadline = Clock::now() + kDrainAfterExit;
  };
  for (;;) {
    if (Clock::now() >= deadline) {
      if (exited) break;  // drained for long enough; a child still holds the pipe
      kill_tree();
      continue;
    }
    if (!pending && !eof) {
      ResetEvent(event.get());
      DWORD n = 0;
      if (ReadFile(pipe, buf, sizeof buf, &n, &ov) || GetLastError() == ERROR_IO_PENDING) pending = true;
      else eof = true;  // ERROR_BROKEN_PIPE: every writer is gone
    }
    if (eof && exited) break;
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    HANDLE waits[2];
    DWORD count = 0;
    if (pending) waits[count++] = event.get();
    if (!exited) waits[count++] = process;
    const DWORD r = WaitForMultipleObjects(count, waits, FALSE, static_cast<DWORD>(std::max<long long>(left, 0)));
    if (r == WAIT_TIMEOUT || r == WAIT_FAILED) continue;  // the deadline check above acts
    if (pending && r == WAIT_OBJECT_0) {
      DWORD n = 0;
      pending = false;
      if (!GetOverlappedResult(pipe, &ov, &n, FALSE)) {
        eof = true;
        continue;
      }
      const size_t room = kScriptOutputCap > run.output.size() ? kScriptOutputCap - run.output.size() : 0;
      const size_t take = std::min<size_t>(room, n);
      run.output.append(buf, take);
      dropped += n - take;
    } else {  // the process
      exited = true;
      deadline = std::min(deadline, Clock::now() + kDrainAfterExit);
    }
  }
  if (pending) {
    CancelIo(pipe);
    DWORD n = 0;
    GetOverlappedResult(pipe, &ov, &n, TRUE);  // the buffer must outlive the read
  }
}

}  // namespace

std::string system_root() {
  wchar_t buf[MAX_PATH];
  const UINT n = GetSystemWindowsDirectoryW(buf, MAX_PATH);
  return n > 0 && n < MAX_PATH ? win::narrow(std::wstring_view(buf, n)) : "C:\\Windows";
}

Expected<std::string> resolve_script(const std::string& script_dir, const std::string& name) {
  if (auto st = validate_script_name(name); !st.ok()) return st;
  if (script_dir.empty()) return Status::Error("script directory is not configured");
  auto ancestors = win::ancestors_of(script_dir);
  if (!ancestors.ok()) return Status::Error("script directory " + ancestors.error());
  for (const auto& dir : *ancestors) {
    // The permissions read are those of what a link points to: a link itself is refused.
    const DWORD attrs = attributes_of(dir);
    if (attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_REPARSE_POINT) && dir.size() > 3)
      return Status::Error("script directory component " + dir + " is a link or junction; refused");
    if (auto st = win::check_path_admins_only(dir, win::kAncestorWriteRights, "rename or re-permission"); !st.ok())
      return Status::Error("script directory component " + st.error());
  }
  // The script directory, each directory below it on the way, and the file.
  std::string path = join(script_dir, "");
  path.pop_back();
  std::vector<std::string> chain{path};
  const std::string rel = join("", name).substr(1);
  for (size_t i = 0; i <= rel.size(); ++i)
    if (i == rel.size() || rel[i] == '\\') chain.push_back(path + "\\" + rel.substr(0, i));
  for (size_t i = 0; i < chain.size(); ++i) {
    const DWORD attrs = attributes_of(chain[i]);
    if (attrs == INVALID_FILE_ATTRIBUTES) return win_error("script " + chain[i]);
    if (attrs & FILE_ATTRIBUTE_REPARSE_POINT)
      return Status::Error("script path component " + chain[i] + " is a link or junction; refused");
    const bool last = i + 1 == chain.size();
    if (last == static_cast<bool>(attrs & FILE_ATTRIBUTE_DIRECTORY))
      return Status::Error("script path component " + chain[i] + (last ? " is a directory" : " is not a directory"));
    if (auto st = win::check_path_admins_only(chain[i], win::kWriteRights, "change"); !st.ok())
      return Status::Error("script path component " + st.error());
  }
  return chain.back();
}

Expected<ScriptRun> run_script(const std::string& script_dir, const std::string& name,
                               const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                               milliseconds timeout) {
  if (timeout <= milliseconds::zero()) return Status::Error("timeout for " + name + " must be positive");
  auto path = resolve_script(script_dir, name);
  if (!path.ok()) return path.status();
  const ScriptKind kind = *script_kind(name);
  if (kind == ScriptKind::Batch)
    if (auto st = check_batch_arguments(args); !st.ok()) return Status::Error("script " + name + ": " + st.error());
  const std::string root = system_root();
  auto environment = script_environment(env, root);
  if (!environment.ok()) return Status::Error("script " + name + ": " + environment.error());
  std::wstring block;
  for (const auto& kv : *environment) block += win::widen(kv) + L'\0';
  block += L'\0';
  const CommandLine cl = script_command_line(kind, root, *path, args);
  std::wstring command_line = win::widen(cl.command_line);
  const std::wstring application = win::widen(cl.application);
  const std::wstring cwd = win::widen(script_dir);

  auto pipe = make_output_pipe();
  if (!pipe.ok()) return pipe.status();
  SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
  Handle nul(CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, nullptr));
  if (!nul) return win_error("NUL");

  HANDLE inherited[2] = {pipe->write.get(), nul.get()};
  SIZE_T size = 0;
  InitializeProcThreadAttributeList(nullptr, 1, 0, &size);
  std::unique_ptr<char[]> attr_buf(new char[size]);
  auto* attrs = reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(attr_buf.get());
  if (!InitializeProcThreadAttributeList(attrs, 1, 0, &size)) return win_error("attribute list");
  struct AttrGuard {
    LPPROC_THREAD_ATTRIBUTE_LIST a;
    ~AttrGuard() { DeleteProcThreadAttributeList(a); }
  } attr_guard{attrs};
  if (!UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, inherited, sizeof inherited, nullptr,
                                 nullptr))
    return win_error("handle list");

  STARTUPINFOEXW si{};
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = nul.get();
  si.StartupInfo.hStdOutput = pipe->write.get();
  si.StartupInfo.hStdError = pipe->write.get();
  si.lpAttributeList = attrs;

  Handle job(CreateJobObjectW(nullptr, nullptr));
  if (!job) return win_error("job object");
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
  // No error dialog from a crashing child may hold the job (and the agent's worker).
  limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
  SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &limits, sizeof limits);

  PROCESS_INFORMATION pi{};
  const auto started = Clock::now();
  if (!CreateProcessW(application.c_str(), command_line.data(), nullptr, nullptr, TRUE,
                      CREATE_SUSPENDED | CREATE_NO_WINDOW | CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT,
                      block.data(), cwd.c_str(), &si.StartupInfo, &pi))
    return win_error("script " + *path + ": cannot start " + cl.application);
  Handle process(pi.hProcess), thread(pi.hThread);
  if (!AssignProcessToJobObject(job.get(), process.get())) {
    const Status st = win_error("script " + *path + ": job object");
    TerminateProcess(process.get(), 1);
    return st;
  }
  ResumeThread(thread.get());
  pipe->write.reset();  // the child's copy is the only writer now
  nul.reset();

  ScriptRun run;
  size_t dropped = 0;
  pump(pipe->read.get(), process.get(), job.get(), timeout, run, dropped);
  DWORD code = 0;
  if (run.timed_out || !GetExitCodeProcess(process.get(), &code) || code == STILL_ACTIVE) run.exit_code = -1;
  else run.exit_code = static_cast<int>(code);
  run.duration = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
  if (dropped > 0)
    run.output += "\n[poolha: output truncated at " + std::to_string(kScriptOutputCap) + " bytes; " +
                  std::to_string(dropped) + " bytes dropped]\n";
  return run;
}

}  // namespace poolha::host::windows
