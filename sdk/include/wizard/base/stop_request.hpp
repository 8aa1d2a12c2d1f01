// Stopping gracefully on SIGINT and SIGTERM. While a StopOnSignals guard lives, the first
// SIGINT or SIGTERM only records a stop request, which long-running work polls at points
// where stopping loses nothing (the trainer: after each optimizer step, then it saves a
// checkpoint); a second signal ends the process at once with exit status 128 + signal.
// Without a guard the signals keep their usual effect. The request is a process-wide flag,
// so code that must stop in step with others (ranks of one run) can share it.
#pragma once

#include <string>

#include "wizard/base/export.hpp"

namespace wizard {

class WIZARD_API StopOnSignals {
 public:
  // Installs the handlers (nested guards share them); the last guard restores the previous ones.
  StopOnSignals();
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;
};

// The signal of the pending request (SIGINT, SIGTERM, or what request_stop was given); 0 when
// none.
WIZARD_API int stop_requested();
// Records a request as the first signal does.
WIZARD_API void request_stop(int signal);
// Forgets the request (a new run in the same process starts clean).
WIZARD_API void clear_stop_request();
// "SIGINT", "SIGTERM", "signal 10".
WIZARD_API std::string signal_name(int signal);

}  // namespace wizard
