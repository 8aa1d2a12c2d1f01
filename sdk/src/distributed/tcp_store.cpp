#include "tcp_store.hpp"

namespace wizard::distributed {

c10::intrusive_ptr<c10d::TCPStore> make_tcp_store(const std::string& host,
                                                  c10d::TCPStoreOptions options) {
  try {
    return c10::make_intrusive<c10d::TCPStore>(host, options);
  } catch (const std::exception& error) {
    if (!options.useLibUV || std::string(error.what()).find("without libuv") == std::string::npos)
      throw;
  }
  options.useLibUV = false;
  return c10::make_intrusive<c10d::TCPStore>(host, options);
}

}  // namespace wizard::distributed
