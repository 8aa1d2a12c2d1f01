// The rendezvous store a launcher hosts for its workers (as torchrun's agent does), so that the
// store outlives any one rank: the workers connect as clients (TORCHELASTIC_USE_AGENT_STORE).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include "wizard/base/export.hpp"

namespace wizard::distributed {

class WIZARD_API StoreHost {
 public:
  // Listens on `port` (0: a free port) on every interface.
  static std::unique_ptr<StoreHost> start(int64_t port, std::chrono::milliseconds timeout);
  virtual ~StoreHost();
  virtual int64_t port() const = 0;
};

}  // namespace wizard::distributed
