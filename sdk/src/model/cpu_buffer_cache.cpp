#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>
#include <sys/mman.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

#include "cpu_buffer_cache.hpp"
#include "wizard/base/error.hpp"
#include "wizard/model/causal_lm.hpp"

namespace wizard::model {

namespace {

constexpr std::size_t kSmallest = std::size_t{1} << 20;  // smaller buffers: the default allocator
constexpr std::size_t kHugePage = std::size_t{2} << 20;

// Sizes are rounded up to one of 8 classes per power of two (at most 12.5% more). A request
// takes the smallest free buffer at most twice its class: packed batches vary in length from
// step to step, so exact sizes rarely recur, and every fresh buffer page-faults again (a
// tighter fit measured 2.4x the faults and a higher peak RSS, from more distinct buffers).
std::size_t size_class(std::size_t n) {
  std::size_t power = kSmallest;
  while (power * 2 <= n) power *= 2;
  const std::size_t step = power / 8;
  return (n + step - 1) / step * step;
}

// Freed CPU buffers of 1 MiB or more, kept for reuse up to a byte limit (oldest released
// first). Large buffers come from mmap with transparent huge pages requested, so even their
// first use faults once per 2 MiB rather than per 4 KiB.
class CachingCpuAllocator final : public c10::Allocator {
 public:
  c10::DataPtr allocate(std::size_t n) override { return take(n); }
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }

  static CachingCpuAllocator& instance() {
    static CachingCpuAllocator* allocator = new CachingCpuAllocator();  // never destroyed
    return *allocator;
  }

  void configure(c10::Allocator* fallback, std::size_t limit) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (fallback != this) fallback_ = fallback;
    limit_ = limit;
    trim_locked();
  }
  c10::Allocator* fallback() const { return fallback_; }

  void drop_cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t limit = limit_;
    limit_ = 0;
    trim_locked();
    limit_ = limit;
  }

 private:
  c10::DataPtr take(std::size_t n) const {
    if (n < kSmallest) return fallback_->allocate(n);
    auto* self = const_cast<CachingCpuAllocator*>(this);
    void* ptr = self->reuse_or_map(size_class(n));
    return {ptr, ptr, &release, c10::Device(c10::DeviceType::CPU)};
  }

  void* reuse_or_map(std::size_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // The smallest free buffer that holds the request, if at most twice its size.
      auto found = free_.lower_bound(size);
      if (found != free_.end() && found->first <= 2 * size) {
        void* ptr = found->second;
        cached_ -= found->first;
        free_.erase(found);
        age_.erase(ptr);
        return ptr;
      }
    }
    void* ptr = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ptr == MAP_FAILED) {
      drop_cached();
      ptr = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (ptr == MAP_FAILED) throw std::bad_alloc();
    }
    if (size >= kHugePage) madvise(ptr, size, MADV_HUGEPAGE);
    std::lock_guard<std::mutex> lock(mutex_);
    sizes_[ptr] = size;
    return ptr;
  }

  static void release(void* ptr) {
    CachingCpuAllocator& self = instance();
    std::unique_lock<std::mutex> lock(self.mutex_);
    auto mapped = self.sizes_.find(ptr);
    if (mapped == self.sizes_.end()) {
      // A small buffer from raw_allocate(), which the fallback allocator made.
      const c10::DeleterFnPtr fallback = self.fallback_->raw_deleter();
      lock.unlock();
      if (fallback != nullptr) fallback(ptr);
      return;
    }
    const std::size_t size = mapped->second;
    self.free_.emplace(size, ptr);
    self.order_.emplace(++self.clock_, ptr);
    self.age_[ptr] = self.clock_;
    self.cached_ += size;
    self.trim_locked();
  }

  // Unmaps the longest-unused free buffers until the cache fits its limit.
  void trim_locked() {
    while (cached_ > limit_ && !order_.empty()) {
      auto oldest = order_.begin();
      void* ptr = oldest->second;
      order_.erase(oldest);
      auto age = age_.find(ptr);
      if (age == age_.end() || age->second != oldest->first) continue;  // reused since
      age_.erase(age);
      const std::size_t size = sizes_.at(ptr);
      auto range = free_.equal_range(size);
      for (auto it = range.first; it != range.second; ++it) {
        if (it->second == ptr) {
          free_.erase(it);
          break;
        }
      }
      sizes_.erase(ptr);
      cached_ -= size;
      munmap(ptr, size);
    }
  }

  c10::Allocator* fallback_ = c10::GetDefaultCPUAllocator();
  std::size_t limit_ = 0;
  std::mutex mutex_;
  std::multimap<std::size_t, void*> free_;        // by size class
  std::unordered_map<void*, std::size_t> sizes_;  // every buffer mapped here, live or free
  std::map<uint64_t, void*> order_;               // free buffers by release time
  std::unordered_map<void*, uint64_t> age_;
  uint64_t clock_ = 0;
  std::size_t cached_ = 0;
};

std::mutex install_mutex;
bool installed = false;

}  // namespace

void enable_cpu_buffer_cache(std::size_t max_cached_bytes) {
  std::lock_guard<std::mutex> lock(install_mutex);
  CachingCpuAllocator& cache = CachingCpuAllocator::instance();
  cache.configure(c10::GetCPUAllocator(), max_cached_bytes);
  c10::SetCPUAllocator(&cache, /*priority=*/1);
  installed = true;
}

void disable_cpu_buffer_cache() {
  std::lock_guard<std::mutex> lock(install_mutex);
  if (!installed) return;
  CachingCpuAllocator& cache = CachingCpuAllocator::instance();
  c10::SetCPUAllocator(cache.fallback(), /*priority=*/1);
  cache.drop_cached();
  installed = false;
}

bool cpu_buffer_cache_enabled() {
  std::lock_guard<std::mutex> lock(install_mutex);
  return installed;
}

void enable_cpu_buffer_cache_by_default() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* setting = std::getenv("WIZARD_CPU_BUFFER_CACHE");
    if (setting == nullptr || *setting == '\0') return enable_cpu_buffer_cache();
    // A number of GiB of free buffers to keep; 0 keeps LibTorch's allocator.
    char* end = nullptr;
    const double gib = std::strtod(setting, &end);
    if (*end != '\0' || !(gib >= 0)) {
      throw Error(
          std::string("WIZARD_CPU_BUFFER_CACHE=") + setting +
          ": expected GiB of free CPU buffers to keep (e.g. 4), or 0 to turn the cache off");
    }
    if (gib > 0) enable_cpu_buffer_cache(static_cast<std::size_t>(gib * double(1 << 30)));
  });
}

}  // namespace wizard::model
