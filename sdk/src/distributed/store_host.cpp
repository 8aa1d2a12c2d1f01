#include "wizard/distributed/store_host.hpp"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "tcp_store.hpp"
#include "wizard/base/error.hpp"

namespace wizard::distributed {

namespace {

class TcpStoreHost final : public StoreHost {
 public:
  TcpStoreHost(int64_t port, std::chrono::milliseconds timeout) {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(port);
    options.isServer = true;
    options.waitWorkers = false;
    options.timeout = timeout;
    try {
      store_ = make_tcp_store("0.0.0.0", options);
    } catch (const std::exception& error) {
      const std::string text = error.what();
      throw Error("cannot host the rendezvous store on port " + std::to_string(port) + ": " +
                  text.substr(0, text.find('\n')) + "; choose a free port with --master-port");
    }
  }
  int64_t port() const override { return store_->getPort(); }

 private:
  c10::intrusive_ptr<c10d::TCPStore> store_;
};

}  // namespace

StoreHost::~StoreHost() = default;

std::unique_ptr<StoreHost> StoreHost::start(int64_t port, std::chrono::milliseconds timeout) {
  return std::make_unique<TcpStoreHost>(port, timeout);
}

}  // namespace wizard::distributed
