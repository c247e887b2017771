#include "common/config_input.h"

#include <yaml.h>
#include <yaml-cpp/yaml.h>

#include <fstream>

#include "common/utf8.h"

namespace poolha {

namespace {

struct Walk {
  int max_depth;
  size_t max_nodes;
  size_t visited = 0;
  std::string error;

  bool visit(const YAML::Node& n, int depth) {
    if (++visited > max_nodes) {
      error = "more than " + std::to_string(max_nodes) + " nodes once aliases are expanded (nested aliases?)";
      return false;
    }
    if (depth > max_depth) {
      error = "nested deeper than " + std::to_string(max_depth) + " levels (line " + std::to_string(n.Mark().line + 1) + ")";
      return false;
    }
    if (n.IsSequence()) {
      for (const auto& item : n)
        if (!visit(item, depth + 1)) return false;
    } else if (n.IsMap()) {
      for (const auto& kv : n)
        if (!visit(kv.first, depth + 1) || !visit(kv.second, depth + 1)) return false;
    }
    return true;
  }
};

}  // namespace

Status check_config_text(std::string_view text, const std::string& source, size_t max_bytes) {
  if (text.size() > max_bytes)
    return Status::Error(source + ": larger than " + std::to_string(max_bytes / 1024) + " KiB");
  size_t line = 1, column = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\0')
      return Status::Error(source + ": line " + std::to_string(line) + ", column " + std::to_string(column) +
                           ": a NUL byte; this is not a text file");
    if (text[i] == '\n') {
      line++, column = 1;
      continue;
    }
    if (static_cast<unsigned char>(text[i]) >= 0x80) {
      // Check the line from here on as one piece (cheap: most files are ASCII).
      size_t end = text.find('\n', i);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view rest = text.substr(i, end - i);
      if (const size_t bad = text::first_invalid_utf8(rest); bad != std::string_view::npos)
        return Status::Error(source + ": line " + std::to_string(line) + ", column " + std::to_string(column + bad) +
                             ": not UTF-8 (a GBK file? convert it: iconv -f GBK -t UTF-8)");
      column += rest.size();
      i = end - 1;
      continue;
    }
    ++column;
  }
  return Status::Ok();
}

Expected<std::string> read_config_file(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Expected<std::string>::Error(path + ": cannot be read");
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (auto st = check_config_text(text, path, max_bytes); !st.ok()) return st;
  return text;
}

Status check_yaml_syntax(std::string_view text, const std::string& source, int max_depth) {
  yaml_parser_t parser;
  if (!yaml_parser_initialize(&parser)) return Status::Error(source + ": out of memory");
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  Status result = Status::Ok();
  int depth = 0, documents = 0;
  for (bool done = false; !done;) {
    yaml_event_t ev;
    if (!yaml_parser_parse(&parser, &ev)) {
      result = Status::Error(source + ":" + std::to_string(parser.problem_mark.line + 1) + ":" +
                             std::to_string(parser.problem_mark.column + 1) + ": not valid YAML: " +
                             (parser.problem ? parser.problem : "syntax error") +
                             (parser.context ? std::string(" ") + parser.context : std::string()));
      break;
    }
    const auto line = ev.start_mark.line + 1;
    switch (ev.type) {
      case YAML_STREAM_END_EVENT: done = true; break;
      case YAML_DOCUMENT_START_EVENT:
        if (++documents > 1) {
          result = Status::Error(source + ": line " + std::to_string(line) +
                                 ": more than one YAML document; put everything in one");
          done = true;
        }
        break;
      case YAML_SEQUENCE_START_EVENT:
      case YAML_MAPPING_START_EVENT:
        if (++depth > max_depth) {
          result = Status::Error(source + ": line " + std::to_string(line) + ": nested deeper than " +
                                 std::to_string(max_depth) + " levels");
          done = true;
        }
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: --depth; break;
      default: break;
    }
    yaml_event_delete(&ev);
  }
  yaml_parser_delete(&parser);
  return result;
}

Status check_yaml_shape(const YAML::Node& root, const std::string& source, int max_depth, size_t max_nodes) {
  Walk w{max_depth, max_nodes};
  if (!w.visit(root, 0)) return Status::Error(source + ": " + w.error);
  return Status::Ok();
}

}  // namespace poolha
