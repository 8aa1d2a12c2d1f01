#include "wizard/base/stop_request.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace wizard {

namespace {

// Read and written from the signal handler: must be lock-free.
std::atomic<int> pending_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "the stop flag is set in a signal handler");

std::mutex guard_mutex;
int guard_count = 0;
struct sigaction previous_int, previous_term;

void write_stderr(const char* text) {
  const ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)ignored;
}

// Only async-signal-safe calls here: an atomic, write(2) and _exit(2).
void on_signal(int signal) {
  int none = 0;
  if (pending_signal.compare_exchange_strong(none, signal)) {
    write_stderr(signal == SIGINT
                     ? "\nwizard: SIGINT: finishing the current step, then stopping with a "
                       "checkpoint (press Ctrl-C again to stop at once)\n"
                     : "\nwizard: SIGTERM: finishing the current step, then stopping with a "
                       "checkpoint (a second signal stops at once)\n");
    return;
  }
  write_stderr(
      "\nwizard: second signal: stopping at once; the last complete checkpoint stays "
      "usable\n");
  ::_exit(128 + signal);
}

}  // namespace

StopOnSignals::StopOnSignals() {
  std::lock_guard<std::mutex> lock(guard_mutex);
  if (guard_count++ > 0) return;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes in progress carry on
  ::sigaction(SIGINT, &action, &previous_int);
  ::sigaction(SIGTERM, &action, &previous_term);
}

StopOnSignals::~StopOnSignals() {
  std::lock_guard<std::mutex> lock(guard_mutex);
  if (--guard_count > 0) return;
  ::sigaction(SIGINT, &previous_int, nullptr);
  ::sigaction(SIGTERM, &previous_term, nullptr);
}

int stop_requested() {
  return pending_signal.load();
}

void request_stop(int signal) {
  int none = 0;
  pending_signal.compare_exchange_strong(none, signal);
}

void clear_stop_request() {
  pending_signal.store(0);
}

std::string signal_name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "signal " + std::to_string(signal);
  }
}

}  // namespace wizard
