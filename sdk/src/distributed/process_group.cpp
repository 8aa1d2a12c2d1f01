// c10d behind wizard::distributed::ProcessGroup: the LibTorch headers of c10d (and Gloo's,
// which the `torch` wheel does not ship: Debian's libgloo-dev provides them) stay in this file.
#include "wizard/distributed/process_group.hpp"

#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef WIZARD_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef WIZARD_HAVE_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>

#include "tcp_store.hpp"
#include "wizard/base/error.hpp"
#include "wizard/base/text.hpp"

namespace wizard::distributed {

namespace {

std::string failure_key(int64_t rank) {
  return "wizard/failed/" + std::to_string(rank);
}

// c10d's messages carry a C++ stack trace after the first line.
std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

bool loopback(const std::string& address) {
  return address == "localhost" || address.rfind("127.", 0) == 0 || address == "::1";
}

#ifdef WIZARD_HAVE_GLOO
std::shared_ptr<::gloo::transport::Device> gloo_device(const LaunchEnvironment& environment) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  }
  // A run on one machine talks over loopback; across machines Gloo binds to the address
  // this host's name resolves to (GLOO_SOCKET_IFNAME names the interface otherwise).
  if (loopback(environment.master_addr)) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

std::string choose_backend(const GroupOptions& options) {
  std::string backend = options.backend;
  if (backend.empty()) backend = options.device.is_cuda() ? "nccl" : "gloo";
  const auto available = ProcessGroup::available_backends();
  if (std::find(available.begin(), available.end(), backend) == available.end()) {
    throw ConfigError(
        "training_args_spec.ddp_backend: this wizard has no '" + backend +
        "' process group (it has: " + (available.empty() ? "none" : join(available, ", ")) + ")" +
        (backend == "nccl" ? "; NCCL needs a CUDA LibTorch built with it, and nccl.h"
                           : "; Gloo's headers were missing when wizard was built: install "
                             "them (Debian: libgloo-dev) and rebuild"));
  }
  if (backend == "nccl" && !options.device.is_cuda()) {
    throw ConfigError(
        "training_args_spec.ddp_backend = \"nccl\" reduces CUDA tensors, but this run trains on "
        "the CPU; use \"gloo\" (or leave ddp_backend unset)");
  }
  return backend;
}

class C10dCollective final : public PendingCollective {
 public:
  C10dCollective(c10::intrusive_ptr<c10d::Work> work, std::function<void()> on_error)
      : work_(std::move(work)), on_error_(std::move(on_error)) {}
  void wait() override {
    try {
      work_->wait();
    } catch (const std::exception&) {
      on_error_();
    }
  }

 private:
  c10::intrusive_ptr<c10d::Work> work_;
  std::function<void()> on_error_;
};

class C10dGroup final : public ProcessGroup {
 public:
  C10dGroup(const LaunchEnvironment& environment, const GroupOptions& options)
      : environment_(environment), options_(options), backend_name_(choose_backend(options)) {
    // A peer that died closes its sockets; a write to one raises SIGPIPE, whose default action
    // kills this rank before c10d can report the failure (seen as exit 141 under load). Python
    // ignores SIGPIPE at startup, so torch's own ranks never see it; do the same here.
    std::signal(SIGPIPE, SIG_IGN);
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(environment.master_port);
    store_options.isServer = environment.rank == 0 && !environment.agent_store;
    store_options.numWorkers = static_cast<std::size_t>(environment.world_size);
    store_options.waitWorkers = !environment.agent_store;
    store_options.timeout = options.timeout;
    try {
      tcp_store_ = make_tcp_store(environment.master_addr, store_options);
    } catch (const std::exception& error) {
      throw Error(environment.describe() + ": could not reach the rendezvous store at " +
                  environment.master_addr + ":" + std::to_string(environment.master_port) +
                  " within " + std::to_string(options.timeout.count() / 1000) + " s (" +
                  first_line(error.what()) +
                  "); check MASTER_ADDR/MASTER_PORT, that every rank was started, and that the "
                  "port is free on the master");
    }
    // Keys of an earlier attempt (torchrun restarts reuse the launcher's store) stay apart.
    store_ = c10::make_intrusive<c10d::PrefixStore>(
        "wizard/attempt_" + std::to_string(environment.restart_count), tcp_store_);
    const auto pg_store = c10::make_intrusive<c10d::PrefixStore>("default_pg", store_);
    const int rank = static_cast<int>(environment.rank);
    const int size = static_cast<int>(environment.world_size);
    try {
      if (backend_name_ == "gloo") {
#ifdef WIZARD_HAVE_GLOO
        auto gloo_options = c10d::ProcessGroupGloo::Options::create(options.timeout);
        gloo_options->devices.push_back(gloo_device(environment));
        backend_ = c10::make_intrusive<c10d::ProcessGroupGloo>(pg_store, rank, size, gloo_options);
#endif
      } else {
#ifdef WIZARD_HAVE_NCCL
        c10::cuda::set_device(options.device.index());
        auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
        nccl_options->timeout = options.timeout;
        backend_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(pg_store, rank, size, nccl_options);
#endif
      }
    } catch (const std::exception& error) {
      throw Error(environment.describe() + ": could not start the " + backend_name_ +
                  " process group: " + first_line(error.what()));
    }
  }

  int64_t rank() const override {
    return environment_.rank;
  }
  int64_t size() const override {
    return environment_.world_size;
  }
  std::string backend() const override {
    return backend_name_;
  }
  const GroupOptions& options() const override {
    return options_;
  }

  std::unique_ptr<PendingCollective> all_reduce_async(at::Tensor tensor,
                                                      Reduction reduction) override {
    std::vector<at::Tensor> tensors{std::move(tensor)};
    c10d::AllreduceOptions all_reduce_options;
    all_reduce_options.reduceOp =
        reduction == Reduction::sum ? c10d::ReduceOp::SUM : c10d::ReduceOp::MAX;
    all_reduce_options.timeout = options_.timeout;
    auto work = run("all-reduce", [&] { return backend_->allreduce(tensors, all_reduce_options); });
    return std::make_unique<C10dCollective>(std::move(work), [this] { fail("all-reduce"); });
  }

  std::unique_ptr<PendingCollective> reduce_async(at::Tensor tensor, int64_t root) override {
    std::vector<at::Tensor> tensors{std::move(tensor)};
    c10d::ReduceOptions reduce_options;
    reduce_options.reduceOp = c10d::ReduceOp::SUM;
    reduce_options.rootRank = root;
    reduce_options.timeout = options_.timeout;
    auto work = run("reduce", [&] { return backend_->reduce(tensors, reduce_options); });
    return std::make_unique<C10dCollective>(std::move(work), [this] { fail("reduce"); });
  }

  void broadcast(const at::Tensor& tensor, int64_t root) override {
    std::vector<at::Tensor> tensors{tensor};
    c10d::BroadcastOptions broadcast_options;
    broadcast_options.rootRank = root;
    broadcast_options.timeout = options_.timeout;
    finish("broadcast", [&] { return backend_->broadcast(tensors, broadcast_options); });
  }

  std::vector<at::Tensor> all_gather(const at::Tensor& tensor) override {
    std::vector<at::Tensor> inputs{tensor.to(options_.device).contiguous()};
    std::vector<std::vector<at::Tensor>> outputs(1);
    for (int64_t r = 0; r < size(); ++r) outputs[0].push_back(at::empty_like(inputs[0]));
    finish("all-gather", [&] { return backend_->allgather(outputs, inputs); });
    for (auto& output : outputs[0]) output = output.cpu();
    return outputs[0];
  }

  void barrier() override {
    c10d::BarrierOptions barrier_options;
    barrier_options.timeout = options_.timeout;
    if (options_.device.is_cuda()) barrier_options.device_ids = {options_.device.index()};
    finish("barrier", [&] { return backend_->barrier(barrier_options); });
  }

  void report_failure(const std::string& message) noexcept override {
    try {
      const std::string text = environment_.describe() + ": " + message;
      store_->set(failure_key(rank()), std::vector<uint8_t>(text.begin(), text.end()));
    } catch (...) {
      // The store may be gone with its host; the exit status still tells the launcher.
    }
  }

 private:
  template <class Start>
  c10::intrusive_ptr<c10d::Work> run(const char* what, Start start) {
    try {
      return start();
    } catch (const std::exception&) {
      fail(what);
    }
  }

  template <class Start>
  void finish(const char* what, Start start) {
    auto work = run(what, start);
    try {
      work->wait();
    } catch (const std::exception&) {
      fail(what);
    }
  }

  // Names the ranks that reported a failure, or says which peer went silent.
  [[noreturn]] void fail(const char* what) {
    const std::exception_ptr cause = std::current_exception();
    std::string reason;
    try {
      if (cause) std::rethrow_exception(cause);
    } catch (const std::exception& error) {
      reason = first_line(error.what());
    }
    std::string reports;
    try {
      for (int64_t r = 0; r < size(); ++r) {
        if (r == rank() || !store_->check({failure_key(r)})) continue;
        const auto bytes = store_->get(failure_key(r));
        reports += "\n  " + std::string(bytes.begin(), bytes.end());
      }
    } catch (const std::exception&) {
      reports =
          "\n  (the rendezvous store is unreachable too: its host, rank 0 or the "
          "launcher, has stopped)";
    }
    throw Error(environment_.describe() + ": a " + what + " with the other ranks failed (" +
                reason + ")" +
                (reports.empty() ? "; no rank reported an error, so a peer process died or "
                                   "stopped answering within ddp_timeout (" +
                                       std::to_string(options_.timeout.count() / 1000) +
                                       " s): see its log and exit status"
                                 : "; failed before:" + reports));
  }

  LaunchEnvironment environment_;
  GroupOptions options_;
  std::string backend_name_;
  c10::intrusive_ptr<c10d::TCPStore> tcp_store_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::Backend> backend_;
};

}  // namespace

PendingCollective::~PendingCollective() = default;
ProcessGroup::~ProcessGroup() = default;

std::shared_ptr<ProcessGroup> ProcessGroup::connect(const LaunchEnvironment& environment,
                                                    const GroupOptions& options) {
  return std::make_shared<C10dGroup>(environment, options);
}

std::shared_ptr<ProcessGroup> ProcessGroup::world(const GroupOptions& options) {
  static std::mutex mutex;
  static std::weak_ptr<ProcessGroup> current;
  const std::lock_guard<std::mutex> lock(mutex);
  if (auto group = current.lock()) {
    const GroupOptions& held = group->options();
    if (held.device != options.device || group->backend() != choose_backend(options)) {
      throw Error("the process group of this run is on " + held.device.str() + " (" +
                  group->backend() + "), but a part of it asked for one on " +
                  options.device.str() + " (" + choose_backend(options) + ")");
    }
    return group;
  }
  auto group = connect(LaunchEnvironment::current(), options);
  current = group;
  return group;
}

std::vector<std::string> ProcessGroup::available_backends() {
  std::vector<std::string> backends;
#ifdef WIZARD_HAVE_GLOO
  backends.push_back("gloo");
#endif
#ifdef WIZARD_HAVE_NCCL
  backends.push_back("nccl");
#endif
  return backends;
}

void ProcessGroup::all_reduce(const at::Tensor& tensor, Reduction reduction) {
  all_reduce_async(tensor, reduction)->wait();
}

std::vector<double> ProcessGroup::all_reduce(std::vector<double> values, Reduction reduction) {
  if (values.empty()) return values;
  const at::Tensor tensor = at::tensor(values, at::dtype(at::kDouble)).to(options().device);
  all_reduce(tensor, reduction);
  const at::Tensor host = tensor.cpu();
  const double* data = host.data_ptr<double>();
  return std::vector<double>(data, data + values.size());
}

std::string ProcessGroup::broadcast_text(const std::string& text, int64_t root) {
  const at::Tensor length =
      at::full({1}, static_cast<int64_t>(text.size()), at::dtype(at::kLong)).to(options().device);
  broadcast(length, root);
  const int64_t size = length.cpu().item<int64_t>();
  at::Tensor bytes = at::empty({size}, at::dtype(at::kByte));
  if (rank() == root && size > 0) std::memcpy(bytes.data_ptr(), text.data(), text.size());
  bytes = bytes.to(options().device);
  if (size > 0) broadcast(bytes, root);
  const at::Tensor host = bytes.cpu();
  return std::string(static_cast<const char*>(host.data_ptr()), static_cast<std::size_t>(size));
}

}  // namespace wizard::distributed
