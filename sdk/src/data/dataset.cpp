#include "wizard/data/dataset.hpp"

#include <algorithm>

#include "wizard/base/error.hpp"

namespace wizard {

void Dataset::append(Row row, RowOrigin origin) {
  if (!row.is_object()) {
    throw Error(origin.file + ":" + std::to_string(origin.line) +
                ": a row must be a JSON object with named columns, found " + row.type_name());
  }
  for (const auto& item : row.items()) {
    if (std::find(columns_.begin(), columns_.end(), item.key()) == columns_.end()) {
      columns_.push_back(item.key());
    }
  }
  rows_.push_back(std::move(row));
  origins_.push_back(std::move(origin));
}

std::string Dataset::where(std::size_t index) const {
  const RowOrigin& o = origin(index);
  std::string out = o.file.empty() ? "<generated>" : o.file;
  if (o.line > 0) out += ":" + std::to_string(o.line);
  return out;
}

Dataset Dataset::slice(std::size_t begin, std::size_t end) const {
  Dataset out;
  end = std::min(end, size());
  for (std::size_t i = begin; i < end; ++i) out.append(rows_[i], origins_[i]);
  return out;
}

Dataset Dataset::select(const std::vector<std::size_t>& indices) const {
  Dataset out;
  for (std::size_t i : indices) out.append(rows_.at(i), origins_.at(i));
  return out;
}

void Dataset::extend(const Dataset& other) {
  for (std::size_t i = 0; i < other.size(); ++i) append(other.rows_[i], other.origins_[i]);
}

}  // namespace wizard
