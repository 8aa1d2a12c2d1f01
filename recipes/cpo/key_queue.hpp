// use_queue: MoCo's first-in-first-out queue of the `queue_size` most recent keys of earlier
// steps (the chosen answers' keys, detached), each with the example it came from, so that an
// example's own earlier key is never its negative. Memory: queue_size x D float32 on the
// model's device, allocated as keys arrive (a queue larger than the data set holds every
// example's latest keys of each epoch until it is full). Saved with each checkpoint in FIFO
// order and restored exactly.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "wizard/model/safetensors.hpp"

namespace wizard::cpo {

class KeyQueue {
 public:
  explicit KeyQueue(int64_t capacity) : capacity_(capacity) {}

  // Appends keys [N, D] of examples `ids` [N] (int64), evicting the oldest beyond capacity.
  void push(const at::Tensor& keys, const at::Tensor& ids);
  int64_t size() const { return size_; }
  int64_t capacity() const { return capacity_; }
  // The keys [size, D] and ids [size], oldest first (undefined while empty).
  at::Tensor keys() const;
  at::Tensor ids() const;

  // "<prefix>keys" and "<prefix>ids", oldest first; nothing while empty.
  safetensors::NamedTensors state_tensors(const std::string& prefix) const;
  // Restores what state_tensors saved (an empty queue when the file has none).
  void load(const safetensors::File& file, const std::string& prefix, at::Device device);

 private:
  at::Tensor ordered(const at::Tensor& ring) const;

  int64_t capacity_;
  at::Tensor keys_;  // [capacity or fewer, D] ring buffer, grown as keys arrive
  at::Tensor ids_;
  int64_t size_ = 0;
  int64_t next_ = 0;  // the slot the next key goes to
};

}  // namespace wizard::cpo
