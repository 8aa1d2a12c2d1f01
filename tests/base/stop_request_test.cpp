// Stopping on SIGINT/SIGTERM: the first signal is a request polled later, a second ends the
// process at once with 128 + signal, and without a guard the signals act as usual.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wizard/base/stop_request.hpp"

namespace {

// Runs `body` in a child process; its wait status.
template <class Body>
int in_child(Body body) {
  const pid_t child = ::fork();
  if (child == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return status;
}

}  // namespace

TEST(StopRequest, TheFirstSignalIsARequestTheSecondEndsTheProcess) {
  const int status = in_child([] {
    const wizard::StopOnSignals guard;
    ::raise(SIGINT);
    if (wizard::stop_requested() != SIGINT) _exit(1);  // the process lives on
    ::raise(SIGINT);
    _exit(2);  // not reached: the second signal exits with 130
  });
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const int term = in_child([] {
    const wizard::StopOnSignals guard;
    ::raise(SIGTERM);
    ::raise(SIGINT);
  });
  ASSERT_TRUE(WIFEXITED(term));
  EXPECT_EQ(WEXITSTATUS(term), 130);  // the signal that ended it decides
}

TEST(StopRequest, WithoutAGuardSignalsActAsUsual) {
  const int status = in_child([] {
    { const wizard::StopOnSignals guard; }
    ::raise(SIGTERM);
    _exit(3);
  });
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGTERM);
}

TEST(StopRequest, RequestsAreRecordedOnceAndCleared) {
  wizard::clear_stop_request();
  EXPECT_EQ(wizard::stop_requested(), 0);
  wizard::request_stop(SIGTERM);
  wizard::request_stop(SIGINT);  // the first request stands
  EXPECT_EQ(wizard::stop_requested(), SIGTERM);
  wizard::clear_stop_request();
  EXPECT_EQ(wizard::stop_requested(), 0);
  EXPECT_EQ(wizard::signal_name(SIGINT), "SIGINT");
  EXPECT_EQ(wizard::signal_name(SIGTERM), "SIGTERM");
}
