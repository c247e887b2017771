// The Windows agent's pure rules, on Linux: who may change a script or read a key
// (common/windows/acl_rules.h), and how a script becomes a command line and an
// environment (host/windows/script_command.h). The Win32 parts run under wine
// (tests/windows).
#include <gtest/gtest.h>

#include "common/windows/acl_rules.h"
#include "host/check_spec.h"
#include "host/windows/script_command.h"

namespace poolha {
namespace {

using namespace win;
using namespace host::windows;

// A script directory as the MSI leaves it, and as a default C:\ is.
SecurityFacts admins_only() {
  return {sid::kAdministrators, true, {{true, sid::kSystem, 0x1F01FF}, {true, sid::kAdministrators, 0x1F01FF}}};
}

TEST(AclRules, AdminsOnlyIsAccepted) {
  EXPECT_TRUE(check_admins_only(admins_only(), kWriteRights, "C:\\poolha\\scripts", "change").ok());
}

TEST(AclRules, AnyoneElseWhoMayWriteIsNamed) {
  auto f = admins_only();
  f.dacl.push_back({true, sid::kUsers, 0x2});  // FILE_WRITE_DATA / FILE_ADD_FILE
  auto st = check_admins_only(f, kWriteRights, "C:\\poolha\\scripts", "change");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error(), "C:\\poolha\\scripts: Users may change it");
  for (uint32_t right : {0x4u, 0x40u, 0x10000u, 0x40000u, 0x80000u, 0x40000000u, 0x10000000u}) {
    auto g = admins_only();
    g.dacl.push_back({true, sid::kAuthenticatedUsers, right});
    EXPECT_FALSE(check_admins_only(g, kWriteRights, "x", "change").ok()) << std::hex << right;
  }
}

TEST(AclRules, ReadingAndInheritOnlyAndDenyAcesDoNotCountAsWriting) {
  auto f = admins_only();
  f.dacl.push_back({true, sid::kUsers, 0x1200A9});                    // read and execute
  f.dacl.push_back({true, "S-1-3-0", 0x1F01FF, /*inherit_only=*/true});  // CREATOR OWNER, for children
  f.dacl.push_back({false, sid::kEveryone, 0x1F01FF});                 // a deny grants nothing
  EXPECT_TRUE(check_admins_only(f, kWriteRights, "x", "change").ok());
  EXPECT_FALSE(check_admins_only(f, kReadRights, "key", "read").ok()) << "Users may read: not for a key";
}

TEST(AclRules, TheOwnerMustBeAnAdminOrTheAgentsOwnAccount) {
  auto f = admins_only();
  f.owner_sid = "S-1-5-21-1-2-3-1001";
  auto st = check_admins_only(f, kWriteRights, "C:\\s\\a.bat", "change");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().find("owned by S-1-5-21-1-2-3-1001"), std::string::npos) << st.error();
  EXPECT_TRUE(check_admins_only(f, kWriteRights, "C:\\s\\a.bat", "change", "S-1-5-21-1-2-3-1001").ok());
  f.owner_sid = sid::kTrustedInstaller;
  EXPECT_TRUE(check_admins_only(f, kWriteRights, "x", "change").ok());
}

TEST(AclRules, ANullDaclIsRefused) {
  SecurityFacts f{sid::kSystem, false, {}};
  EXPECT_FALSE(check_admins_only(f, kWriteRights, "x", "change").ok());
}

TEST(AclRules, AncestorsMayLetUsersAddFoldersButNotRenameOrDelete) {
  // The default C:\ ACL lets Users create folders (FILE_ADD_SUBDIRECTORY, 0x4).
  auto root = admins_only();
  root.dacl.push_back({true, sid::kUsers, 0x4 | 0x1200A9});
  EXPECT_TRUE(check_admins_only(root, kAncestorWriteRights, "C:\\", "rename").ok());
  EXPECT_FALSE(check_admins_only(root, kWriteRights, "C:\\", "change").ok()) << "not on the script directory itself";
  root.dacl.push_back({true, sid::kUsers, 0x40});  // FILE_DELETE_CHILD
  EXPECT_FALSE(check_admins_only(root, kAncestorWriteRights, "C:\\", "rename").ok());
}

TEST(AclRules, AncestorsOfAPath) {
  auto a = ancestors_of("C:\\Program Files\\poolha\\scripts\\");
  ASSERT_TRUE(a.ok()) << a.error();
  EXPECT_EQ(*a, (std::vector<std::string>{"C:\\", "C:\\Program Files", "C:\\Program Files\\poolha"}));
  EXPECT_EQ(*ancestors_of("D:/poolha/scripts"), (std::vector<std::string>{"D:\\", "D:\\poolha"}));
  EXPECT_TRUE(ancestors_of("C:\\")->empty());
  EXPECT_FALSE(ancestors_of("scripts").ok());
  EXPECT_FALSE(ancestors_of("\\\\server\\share\\scripts").ok());
}

TEST(ScriptCommand, KindsByExtension) {
  EXPECT_EQ(*script_kind("a.BAT"), ScriptKind::Batch);
  EXPECT_EQ(*script_kind("a.cmd"), ScriptKind::Batch);
  EXPECT_EQ(*script_kind("sub\\a.Ps1"), ScriptKind::PowerShell);
  EXPECT_EQ(*script_kind("a.exe"), ScriptKind::Exe);
  EXPECT_FALSE(script_kind("a.vbs").ok());
  EXPECT_FALSE(script_kind("a").ok());
}

TEST(ScriptCommand, NamesStayInsideTheDirectory) {
  EXPECT_TRUE(validate_script_name("acquire.bat").ok());
  EXPECT_TRUE(validate_script_name("gw\\acquire.ps1").ok());
  EXPECT_TRUE(validate_script_name("gw/释放.cmd").ok());
  for (const char* bad : {"", "..\\a.bat", "a\\..\\b.bat", ".\\a.bat", "C:\\a.bat", "\\a.bat", "/a.bat", "a.bat:zone",
                          "a\\\\b.bat", "NUL.bat", "com1.cmd", "dir.\\a.bat", "a.bat ", "a*.bat", "a.vbs", "a\nb.bat"})
    EXPECT_FALSE(validate_script_name(bad).ok()) << bad;
}

TEST(ScriptCommand, QuotingFollowsCommandLineToArgvW) {
  EXPECT_EQ(quote_argument("plain"), "plain");
  EXPECT_EQ(quote_argument(""), "\"\"");
  EXPECT_EQ(quote_argument("two words"), "\"two words\"");
  EXPECT_EQ(quote_argument("C:\\dir with space\\"), "\"C:\\dir with space\\\\\"");
  EXPECT_EQ(quote_argument("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(quote_argument("a\\\\\"b"), "\"a\\\\\\\\\\\"b\"");
}

TEST(ScriptCommand, CommandLinesPerKind) {
  const std::string root = "C:\\Windows";
  auto bat = script_command_line(ScriptKind::Batch, root, "C:\\poolha\\scripts\\acquire gw.bat", {"198.18.1.10/24"});
  EXPECT_EQ(bat.application, "C:\\Windows\\System32\\cmd.exe");
  EXPECT_EQ(bat.command_line,
            "\"C:\\Windows\\System32\\cmd.exe\" /d /c \"\"C:\\poolha\\scripts\\acquire gw.bat\" 198.18.1.10/24\"");
  EXPECT_EQ(script_command_line(ScriptKind::Batch, root, "C:\\s\\a.bat", {"a=b", "c,d", "e"}).command_line,
            "\"C:\\Windows\\System32\\cmd.exe\" /d /c \"\"C:\\s\\a.bat\" \"a=b\" \"c,d\" e\"")
      << "cmd.exe would split at = and ,";
  auto ps = script_command_line(ScriptKind::PowerShell, root, "C:\\s\\a.ps1", {"x y"});
  EXPECT_EQ(ps.application, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe");
  EXPECT_EQ(ps.command_line,
            "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -NoLogo -NoProfile -NonInteractive "
            "-ExecutionPolicy Bypass -File C:\\s\\a.ps1 \"x y\"");
  auto exe = script_command_line(ScriptKind::Exe, root, "C:\\s\\check.exe", {});
  EXPECT_EQ(exe.application, "C:\\s\\check.exe");
  EXPECT_EQ(exe.command_line, "C:\\s\\check.exe");
}

TEST(ScriptCommand, BatchArgumentsCmdWouldInterpretAreRefused) {
  EXPECT_TRUE(check_batch_arguments({"198.18.1.10/24", "gw-1", "a=b"}).ok());
  for (const char* bad : {"%PATH%", "a&b", "a|b", "a>b", "a<b", "a^b", "say\"", "!x!"})
    EXPECT_FALSE(check_batch_arguments({bad}).ok()) << bad;
}

TEST(ScriptCommand, TheEnvironmentIsTheCallersPlusTheSystemsInWindowsOrder) {
  auto env = script_environment({{"POOLHA_RULE", "gw1"}, {"Path", "C:\\evil"}, {"A_B", "1"}, {"AB", "2"}}, "C:\\Windows");
  ASSERT_TRUE(env.ok()) << env.error();
  const std::vector<std::string> want = {
      "AB=2",  // upper-case order: 'B' (0x42) before '_' (0x5F)
      "A_B=1",
      "ComSpec=C:\\Windows\\System32\\cmd.exe",
      "PATH=C:\\Windows\\System32;C:\\Windows;C:\\Windows\\System32\\Wbem;C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
      "PATHEXT=.COM;.EXE;.BAT;.CMD;.VBS;.JS;.WSF;.WSH;.MSC;.PS1",
      "POOLHA_RULE=gw1",
      "SystemRoot=C:\\Windows",
      "TEMP=C:\\Windows\\Temp",
      "TMP=C:\\Windows\\Temp",
      "windir=C:\\Windows",
  };
  EXPECT_EQ(*env, want);
  EXPECT_FALSE(script_environment({{"A=B", "1"}}, "C:\\Windows").ok());
  EXPECT_FALSE(script_environment({{"", "1"}}, "C:\\Windows").ok());
  EXPECT_FALSE(script_environment({{"A", std::string("x\0y", 3)}}, "C:\\Windows").ok());
}

// The monitors' params on Windows (host/check_spec.h), checked where the controller's
// monitor specs arrive: Windows paths, service key names, aliases, no '%' in args.
host::CheckSpec spec(host::CheckKind k, std::map<std::string, std::string> p) { return {k, std::move(p), std::chrono::milliseconds(1000)}; }

Status on_windows(const host::CheckSpec& s, std::vector<std::string> log_dirs = {"D:\\logs"}, bool args = true) {
  return host::validate_spec(s, {"C:\\ProgramData\\poolha\\scripts", std::move(log_dirs), args, text::Encoding::Console},
                             host::HostOs::Windows);
}

TEST(WindowsChecks, ValidParams) {
  using K = host::CheckKind;
  for (const auto& s : {spec(K::Process, {{"name", "Gateway.EXE"}, {"min_count", "2"}}),
                        spec(K::Process, {{"cmdline", "-conf D:\\gw\\gw.ini"}}),
                        spec(K::Service, {{"name", "MSSQL$SQLEXPRESS"}}),
                        spec(K::Disk, {{"path", "C:\\"}, {"max_percent", "90"}}),
                        spec(K::Disk, {{"path", "D:/data"}, {"max_percent", "90"}}),
                        spec(K::NicLink, {{"interface", "以太网 2"}}),
                        spec(K::LogPattern, {{"path", "d:\\LOGS\\gw\\gw.log"}, {"pattern", "ERROR"}, {"encoding", "utf-16"}}),
                        spec(K::Script, {{"name", "checks\\gw.ps1"}, {"args", "198.18.1.10 gw-1"}})})
    EXPECT_TRUE(on_windows(s).ok()) << host::to_string(s.kind) << ": " << on_windows(s).error();
}

TEST(WindowsChecks, RefusedParamsAreNamed) {
  using K = host::CheckKind;
  const std::pair<host::CheckSpec, const char*> cases[] = {
      {spec(K::Service, {{"unit", "gw"}}), "unknown param 'unit'"},
      {spec(K::Service, {{"name", "a\\b"}}), "not a valid Windows service name"},
      {spec(K::Process, {{"name", "C:\\gw\\gw.exe"}}), "image name"},
      {spec(K::Disk, {{"path", "/data"}, {"max_percent", "90"}}), "drive letter"},
      {spec(K::LogPattern, {{"path", "D:\\logs\\..\\Windows\\x.log"}, {"pattern", "x"}}), "'..'"},
      {spec(K::LogPattern, {{"path", "D:\\logs\\COM1.log"}, {"pattern", "x"}}), "names a device"},
      {spec(K::Disk, {{"path", "C:\\a:stream"}, {"max_percent", "90"}}), "data stream"},
      {spec(K::LogPattern, {{"path", "D:\\logsx\\a.log"}, {"pattern", "x"}}), "outside this host's log_dirs"},
      {spec(K::LogPattern, {{"path", "D:\\logs\\a.log"}, {"pattern", "x"}, {"encoding", "console"}}), "utf-16"},
      {spec(K::Script, {{"name", "..\\x.bat"}}), "'..'"},
      {spec(K::Script, {{"name", "x.vbs"}}), ".bat, .cmd, .ps1 or .exe"},
      {spec(K::Script, {{"name", "x.bat"}, {"args", "%PATH%"}}), "not a plain argument"},
  };
  for (const auto& [s, needle] : cases) {
    const Status st = on_windows(s);
    ASSERT_FALSE(st.ok()) << needle;
    EXPECT_NE(st.error().find(needle), std::string::npos) << st.error();
  }
}

}  // namespace
}  // namespace poolha
