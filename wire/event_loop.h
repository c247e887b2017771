// Every daemon's event loop. A handler that throws is a bug, but it must not end a
// process that holds VIPs or a leader lease (issue 9): sessions catch what their own
// handlers throw (Session, ApiSession); whatever still escapes is reported here and
// the loop goes on (Asio allows run() to be called again after an exception).
#pragma once
#include <utility>  // before Asio (see session.h)

#include <boost/asio/io_context.hpp>
#include <exception>
#include <functional>
#include <string>

namespace poolha::wire {

// Runs `io` until it is stopped; `report` gets the message of each escaped exception.
inline void run_event_loop(boost::asio::io_context& io, const std::function<void(const std::string&)>& report) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      report(e.what());
    } catch (...) {
      report("unknown exception");
    }
  }
}

}  // namespace poolha::wire
