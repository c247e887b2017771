// The tcp_port and http monitors (host/check_spec.h), shared by both agents: Asio on a
// private io_context, bounded by the check's deadline (the socket is closed when it
// passes), so the same code runs on epoll and on IOCP.
#pragma once

#include <chrono>

#include "host/check_spec.h"

namespace poolha::host {

// spec already valid. `started` is when the check began (for the detail's timing).
CheckOutcome check_tcp_port(const CheckSpec& spec, std::chrono::steady_clock::time_point started,
                            std::chrono::steady_clock::time_point deadline);
CheckOutcome check_http(const CheckSpec& spec, std::chrono::steady_clock::time_point started,
                        std::chrono::steady_clock::time_point deadline);

}  // namespace poolha::host
