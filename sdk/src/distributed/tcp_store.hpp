// c10d's TCPStore, made with its libuv backend when the LibTorch has it and with the classic
// one when not (Debian's libtorch-dev 2.6 is built without libuv, and TCPStoreOptions asks for
// it by default: "use_libuv was requested but PyTorch was build without libuv support").
#pragma once

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <string>

namespace wizard::distributed {

c10::intrusive_ptr<c10d::TCPStore> make_tcp_store(const std::string& host,
                                                  c10d::TCPStoreOptions options);

}  // namespace wizard::distributed
