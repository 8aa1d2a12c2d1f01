// Data parallel: a file rank 0 writes (atomically) and the other ranks read once it is there.
#pragma once

#include <chrono>
#include <string>
#include <thread>

#include "wizard/base/error.hpp"

namespace wizard::cpo {

// Polls `read` (true once the file holds what this rank needs) every 100 ms for at most
// `wait` (ddp_timeout); `what` names the file's contents and path for the error.
template <class Read>
void wait_for_rank_zero(Read&& read, std::chrono::seconds wait, const std::string& what) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (!read()) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw Error("waited " + std::to_string(wait.count()) +
                  " s (ddp_timeout) for rank 0 to write " + what +
                  "; rank 0 failed or is slower than that (raise ddp_timeout)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace wizard::cpo
