// Rows as datasources produce them: JSON objects that remember where they came
// from. Key order is kept as read (chat templates' tojson output depends on it).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "wizard/base/export.hpp"

namespace wizard {

using Row = nlohmann::ordered_json;

struct RowOrigin {
  std::string file;       // the file the row was read from
  std::int64_t line = 0;  // 1-based line (JSON Lines, CSV); 0 when not line-based
};

class WIZARD_API Dataset {
 public:
  // Appends a row (a JSON object) and learns its columns.
  void append(Row row, RowOrigin origin);

  std::size_t size() const { return rows_.size(); }
  bool empty() const { return rows_.empty(); }
  const Row& row(std::size_t index) const { return rows_.at(index); }
  Row& row(std::size_t index) { return rows_.at(index); }
  const RowOrigin& origin(std::size_t index) const { return origins_.at(index); }
  // Column names in first-seen order.
  const std::vector<std::string>& columns() const { return columns_; }

  // "data/x.jsonl:12" for messages about row `index`.
  std::string where(std::size_t index) const;

  // A dataset holding rows [begin, end) of this one, in order.
  Dataset slice(std::size_t begin, std::size_t end) const;
  // A dataset holding the given rows of this one, in the given order.
  Dataset select(const std::vector<std::size_t>& indices) const;
  // Appends every row of `other`.
  void extend(const Dataset& other);

 private:
  std::vector<Row> rows_;
  std::vector<RowOrigin> origins_;
  std::vector<std::string> columns_;
};

}  // namespace wizard
