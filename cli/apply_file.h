// `poolhactl apply -f FILE`, before anything is sent: the file (YAML or JSON) becomes
// the body of POST /v1/apply, checked with the controller's own strict decoders and
// with templates expanded, so a typo is reported with its position and nothing is
// sent. Pure (no I/O): the CLI reads the file, the fuzzer feeds bytes.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"

namespace poolha::cli {

// `source` names the file in errors.
Expected<nlohmann::json> apply_body(const std::string& text, const std::string& source);

}  // namespace poolha::cli
