// Running an index loop on several threads.
#pragma once

#include <cstddef>
#include <functional>

namespace wizard::data_detail {

// Calls body(i) for every i in [0, count) on `threads` threads (0: all cores),
// each thread taking contiguous chunks. The first exception thrown by any call
// stops the loop and is rethrown here.
void parallel_for(std::size_t count, int threads, const std::function<void(std::size_t)>& body);

}  // namespace wizard::data_detail
