#include "chat/jinja_methods.hpp"

#include <algorithm>

#include "base/utf8.hpp"
#include "chat/jinja_format.hpp"
#include "chat/jinja_iterables.hpp"
#include "chat/jinja_operators.hpp"
#include "chat/jinja_python.hpp"
#include "chat/jinja_unicode.hpp"

namespace wizard::jinja {

namespace {

using unicode::Side;

// ---- helpers for Python's code-point indices ----

std::int64_t code_point_index(const std::string& text, std::size_t byte_offset) {
  return static_cast<std::int64_t>(utf8::count(std::string_view(text).substr(0, byte_offset)));
}

// The byte range [begin, end) that Python's optional start/end arguments select.
std::pair<std::size_t, std::size_t> byte_range(const std::string& text, const Value& start,
                                               const Value& end) {
  const auto bounds = utf8::boundaries(text);
  const auto n = static_cast<std::int64_t>(bounds.size() - 1);
  const auto clamp = [&](const Value& v, std::int64_t fallback) {
    if (v.is_none() || v.is_undefined()) return fallback;
    if (!v.is_integral()) fail("slice indices must be integers or None, not " + v.type_name());
    std::int64_t i = v.as_int();
    if (i < 0) i += n;
    return std::clamp<std::int64_t>(i, 0, n);
  };
  const std::int64_t b = clamp(start, 0);
  const std::int64_t e = std::max(b, clamp(end, n));
  return {bounds[static_cast<std::size_t>(b)], bounds[static_cast<std::size_t>(e)]};
}

const std::string& string_argument(const Value& v, const char* method) {
  if (!v.is_string()) fail(std::string(method) + "() argument must be str, not " + v.type_name());
  return v.as_string();
}

std::int64_t int_argument(const Value& v, const char* method) {
  if (!v.is_integral())
    fail(std::string("'") + v.type_name() + "' object cannot be interpreted as an integer (" +
         method + ")");
  return v.as_int();
}

Value strings_to_list(std::vector<std::string> parts) {
  List items;
  items.reserve(parts.size());
  for (auto& part : parts) items.push_back(Value::string(std::move(part)));
  return Value::list(std::move(items));
}

// ---- str methods ----

Value str_strip_side(const std::string& self, const Arguments& args, Side side, const char* name) {
  const BoundArguments bound(name, args, {"chars"});
  const Value& chars = bound.get(0);
  if (chars.is_none() || chars.is_undefined())
    return Value::string(std::string(unicode::strip(self, side)));
  return Value::string(std::string(unicode::strip(self, string_argument(chars, name), side)));
}
Value str_strip(const std::string& s, const Arguments& a) {
  return str_strip_side(s, a, Side::Both, "strip");
}
Value str_lstrip(const std::string& s, const Arguments& a) {
  return str_strip_side(s, a, Side::Left, "lstrip");
}
Value str_rstrip(const std::string& s, const Arguments& a) {
  return str_strip_side(s, a, Side::Right, "rstrip");
}

Value str_split_side(const std::string& self, const Arguments& args, bool from_right) {
  const char* name = from_right ? "rsplit" : "split";
  const BoundArguments bound(name, args, {"sep", "maxsplit"});
  const long max_split = static_cast<long>(int_argument(bound.get_or(1, Value::integer(-1)), name));
  const Value& sep_value = bound.get(0);
  if (sep_value.is_none() || sep_value.is_undefined()) {
    return strings_to_list(unicode::split_whitespace(self, max_split, from_right));
  }
  const std::string& sep = string_argument(sep_value, name);
  if (sep.empty()) fail("empty separator");
  std::vector<std::string> parts;
  if (!from_right) {
    std::size_t start = 0;
    for (long splits = 0; max_split < 0 || splits < max_split; ++splits) {
      const std::size_t found = self.find(sep, start);
      if (found == std::string::npos) break;
      parts.push_back(self.substr(start, found - start));
      start = found + sep.size();
    }
    parts.push_back(self.substr(start));
  } else {
    std::size_t end = self.size();
    for (long splits = 0; max_split < 0 || splits < max_split; ++splits) {
      if (end < sep.size()) break;
      const std::size_t found = self.rfind(sep, end - sep.size());
      if (found == std::string::npos) break;
      parts.push_back(self.substr(found + sep.size(), end - found - sep.size()));
      end = found;
    }
    parts.push_back(self.substr(0, end));
    std::reverse(parts.begin(), parts.end());
  }
  return strings_to_list(std::move(parts));
}
Value str_split(const std::string& s, const Arguments& a) {
  return str_split_side(s, a, false);
}
Value str_rsplit(const std::string& s, const Arguments& a) {
  return str_split_side(s, a, true);
}

Value str_splitlines(const std::string& self, const Arguments& args) {
  const BoundArguments bound("splitlines", args, {"keepends"});
  if (bound.get(0).truthy())
    fail("splitlines(keepends=True) is not supported by wizard's chat template engine");
  return strings_to_list(unicode::split_lines(self));
}

Value str_affix_test(const std::string& self, const Arguments& args, bool prefix) {
  const char* name = prefix ? "startswith" : "endswith";
  const BoundArguments bound(name, args, {"prefix", "start", "end"}, 1);
  const auto [begin, end] = byte_range(self, bound.get(1), bound.get(2));
  const std::string_view range = std::string_view(self).substr(begin, end - begin);
  const auto matches = [&](const Value& candidate) {
    const std::string& affix = string_argument(candidate, name);
    if (affix.size() > range.size()) return false;
    return prefix ? range.substr(0, affix.size()) == affix
                  : range.substr(range.size() - affix.size()) == affix;
  };
  const Value& affixes = bound.get(0);
  if (affixes.kind() == Value::Kind::Tuple) {
    return Value::boolean(std::any_of(affixes.as_list().begin(), affixes.as_list().end(), matches));
  }
  return Value::boolean(matches(affixes));
}
Value str_startswith(const std::string& s, const Arguments& a) {
  return str_affix_test(s, a, true);
}
Value str_endswith(const std::string& s, const Arguments& a) {
  return str_affix_test(s, a, false);
}

// find/rfind/index/rindex: the code-point index of `sub`, or -1.
std::int64_t find_substring(const std::string& self, const Arguments& args, bool reverse,
                            const char* name) {
  const BoundArguments bound(name, args, {"sub", "start", "end"}, 1);
  const std::string& sub = string_argument(bound.get(0), name);
  const auto [begin, end] = byte_range(self, bound.get(1), bound.get(2));
  const std::string_view range = std::string_view(self).substr(begin, end - begin);
  const std::size_t found = reverse ? range.rfind(sub) : range.find(sub);
  if (found == std::string_view::npos) return -1;
  return code_point_index(self, begin + found);
}
Value str_find(const std::string& s, const Arguments& a) {
  return Value::integer(find_substring(s, a, false, "find"));
}
Value str_rfind(const std::string& s, const Arguments& a) {
  return Value::integer(find_substring(s, a, true, "rfind"));
}
Value str_index_side(const std::string& s, const Arguments& a, bool reverse) {
  const std::int64_t found = find_substring(s, a, reverse, reverse ? "rindex" : "index");
  if (found < 0) fail("substring not found");
  return Value::integer(found);
}
Value str_index(const std::string& s, const Arguments& a) {
  return str_index_side(s, a, false);
}
Value str_rindex(const std::string& s, const Arguments& a) {
  return str_index_side(s, a, true);
}

Value str_count(const std::string& self, const Arguments& args) {
  const BoundArguments bound("count", args, {"sub", "start", "end"}, 1);
  const std::string& sub = string_argument(bound.get(0), "count");
  const auto [begin, end] = byte_range(self, bound.get(1), bound.get(2));
  const std::string_view range = std::string_view(self).substr(begin, end - begin);
  if (sub.empty()) return Value::integer(static_cast<std::int64_t>(utf8::count(range)) + 1);
  std::int64_t count = 0;
  for (std::size_t pos = range.find(sub); pos != std::string_view::npos;
       pos = range.find(sub, pos + sub.size())) {
    ++count;
  }
  return Value::integer(count);
}

Value str_replace(const std::string& self, const Arguments& args) {
  const BoundArguments bound("replace", args, {"old", "new", "count"}, 2);
  const std::string& old_text = string_argument(bound.get(0), "replace");
  const std::string& new_text = string_argument(bound.get(1), "replace");
  std::int64_t remaining = int_argument(bound.get_or(2, Value::integer(-1)), "replace");
  std::string out;
  if (old_text.empty()) {
    // Python inserts `new` before every character and at the end.
    std::size_t pos = 0;
    while (remaining != 0) {
      out += new_text;
      --remaining;
      if (pos >= self.size()) return Value::string(std::move(out));
      const std::size_t start = pos;
      utf8::next(self, pos);
      out.append(self, start, pos - start);
    }
    out.append(self, pos, std::string::npos);
    return Value::string(std::move(out));
  }
  std::size_t start = 0;
  for (std::size_t found = self.find(old_text); found != std::string::npos && remaining != 0;
       found = self.find(old_text, start), --remaining) {
    out.append(self, start, found - start);
    out += new_text;
    start = found + old_text.size();
  }
  out.append(self, start, std::string::npos);
  return Value::string(std::move(out));
}

void expect_no_arguments(const Arguments& args, const char* name) {
  if (!args.positional.empty() || !args.keywords.empty())
    fail(std::string(name) + "() takes no arguments");
}

Value str_upper(const std::string& s, const Arguments& a) {
  expect_no_arguments(a, "upper");
  return Value::string(unicode::upper(s));
}
Value str_lower(const std::string& s, const Arguments& a) {
  expect_no_arguments(a, "lower");
  return Value::string(unicode::lower(s));
}

bool is_cased(char32_t c) {
  return unicode::is_cased_upper(c) || unicode::is_cased_lower(c);
}

// Python str.title(): upper after an uncased character, lower after a cased one.
Value str_title(const std::string& self, const Arguments& args) {
  expect_no_arguments(args, "title");
  std::string out;
  bool previous_cased = false;
  for (std::size_t pos = 0; pos < self.size();) {
    const char32_t c = utf8::next(self, pos);
    utf8::append(out, previous_cased ? unicode::to_lower(c) : unicode::to_upper(c));
    previous_cased = is_cased(c);
  }
  return Value::string(std::move(out));
}

Value str_capitalize(const std::string& self, const Arguments& args) {
  expect_no_arguments(args, "capitalize");
  if (self.empty()) return Value::string("");
  std::size_t pos = 0;
  std::string out;
  utf8::append(out, unicode::to_upper(utf8::next(self, pos)));
  return Value::string(out + unicode::lower(std::string_view(self).substr(pos)));
}

Value str_swapcase(const std::string& self, const Arguments& args) {
  expect_no_arguments(args, "swapcase");
  std::string out;
  for (std::size_t pos = 0; pos < self.size();) {
    const char32_t c = utf8::next(self, pos);
    utf8::append(out, unicode::is_cased_upper(c) ? unicode::to_lower(c) : unicode::to_upper(c));
  }
  return Value::string(std::move(out));
}

Value str_join(const std::string& self, const Arguments& args) {
  const BoundArguments bound("join", args, {"iterable"}, 1);
  std::string out;
  std::size_t index = 0;
  for (const Value& item : iterate(bound.get(0))) {
    if (!item.is_string()) {
      fail("sequence item " + std::to_string(index) + ": expected str instance, " +
           item.type_name() + " found");
    }
    if (index++) out += self;
    out += item.as_string();
  }
  return Value::string(std::move(out));
}

Value str_format(const std::string& self, const Arguments& args) {
  return Value::string(brace_format(self, args));
}

// center/ljust/rjust: pad to `width` code points with `fillchar`.
Value str_pad(const std::string& self, const Arguments& args, const char* name) {
  const BoundArguments bound(name, args, {"width", "fillchar"}, 1);
  const std::int64_t width = int_argument(bound.get(0), name);
  const std::string fill = bound.has(1) ? string_argument(bound.get(1), name) : " ";
  if (utf8::count(fill) != 1) fail("The fill character must be exactly one character long");
  const auto size = static_cast<std::int64_t>(utf8::count(self));
  if (width <= size) return Value::string(self);
  const std::int64_t pad = width - size;
  std::int64_t left = 0;
  if (std::string_view(name) == "center") {
    left = pad / 2 + (pad & width & 1);
  } else if (std::string_view(name) == "rjust") {
    left = pad;
  }
  std::string out;
  for (std::int64_t i = 0; i < left; ++i) out += fill;
  out += self;
  for (std::int64_t i = left; i < pad; ++i) out += fill;
  return Value::string(std::move(out));
}
Value str_center(const std::string& s, const Arguments& a) {
  return str_pad(s, a, "center");
}
Value str_ljust(const std::string& s, const Arguments& a) {
  return str_pad(s, a, "ljust");
}
Value str_rjust(const std::string& s, const Arguments& a) {
  return str_pad(s, a, "rjust");
}

Value str_zfill(const std::string& self, const Arguments& args) {
  const BoundArguments bound("zfill", args, {"width"}, 1);
  const std::int64_t width = int_argument(bound.get(0), "zfill");
  const auto size = static_cast<std::int64_t>(utf8::count(self));
  if (width <= size) return Value::string(self);
  const bool signed_text = !self.empty() && (self[0] == '+' || self[0] == '-');
  std::string out = signed_text ? self.substr(0, 1) : "";
  out += std::string(static_cast<std::size_t>(width - size), '0');
  out += signed_text ? self.substr(1) : self;
  return Value::string(std::move(out));
}

Value str_partition_side(const std::string& self, const Arguments& args, bool reverse) {
  const char* name = reverse ? "rpartition" : "partition";
  const BoundArguments bound(name, args, {"sep"}, 1);
  const std::string& sep = string_argument(bound.get(0), name);
  if (sep.empty()) fail("empty separator");
  const std::size_t found = reverse ? self.rfind(sep) : self.find(sep);
  if (found == std::string::npos) {
    return reverse ? Value::tuple({Value::string(""), Value::string(""), Value::string(self)})
                   : Value::tuple({Value::string(self), Value::string(""), Value::string("")});
  }
  return Value::tuple({Value::string(self.substr(0, found)), Value::string(sep),
                       Value::string(self.substr(found + sep.size()))});
}
Value str_partition(const std::string& s, const Arguments& a) {
  return str_partition_side(s, a, false);
}
Value str_rpartition(const std::string& s, const Arguments& a) {
  return str_partition_side(s, a, true);
}

Value str_removeprefix(const std::string& self, const Arguments& args) {
  const BoundArguments bound("removeprefix", args, {"prefix"}, 1);
  const std::string& prefix = string_argument(bound.get(0), "removeprefix");
  return Value::string(self.compare(0, prefix.size(), prefix) == 0 ? self.substr(prefix.size())
                                                                   : self);
}

Value str_removesuffix(const std::string& self, const Arguments& args) {
  const BoundArguments bound("removesuffix", args, {"suffix"}, 1);
  const std::string& suffix = string_argument(bound.get(0), "removesuffix");
  const bool ends = !suffix.empty() && self.size() >= suffix.size() &&
                    self.compare(self.size() - suffix.size(), suffix.size(), suffix) == 0;
  return Value::string(ends ? self.substr(0, self.size() - suffix.size()) : self);
}

// isalpha, isdigit, ...: every character passes and there is at least one.
template <bool (*Predicate)(char32_t)>
Value str_all(const std::string& self, const Arguments& args) {
  expect_no_arguments(args, "is*");
  if (self.empty()) return Value::boolean(false);
  for (std::size_t pos = 0; pos < self.size();) {
    if (!Predicate(utf8::next(self, pos))) return Value::boolean(false);
  }
  return Value::boolean(true);
}
bool is_alnum(char32_t c) {
  return unicode::is_alpha(c) || unicode::is_digit(c);
}

// islower/isupper: some cased character, and none of the other case.
template <bool Upper>
Value str_case_test(const std::string& self, const Arguments& args) {
  expect_no_arguments(args, Upper ? "isupper" : "islower");
  bool cased = false;
  for (std::size_t pos = 0; pos < self.size();) {
    const char32_t c = utf8::next(self, pos);
    if (Upper ? unicode::is_cased_lower(c) : unicode::is_cased_upper(c))
      return Value::boolean(false);
    cased = cased || is_cased(c);
  }
  return Value::boolean(cased);
}

Value str_isascii(const std::string& self, const Arguments& args) {
  expect_no_arguments(args, "isascii");
  return Value::boolean(utf8::is_ascii(self));
}

using StringMethod = Value (*)(const std::string&, const Arguments&);

struct StringMethodEntry {
  std::string_view name;
  StringMethod function;
};

constexpr StringMethodEntry kStringMethods[] = {
    {"strip", str_strip},
    {"lstrip", str_lstrip},
    {"rstrip", str_rstrip},
    {"split", str_split},
    {"rsplit", str_rsplit},
    {"splitlines", str_splitlines},
    {"startswith", str_startswith},
    {"endswith", str_endswith},
    {"find", str_find},
    {"rfind", str_rfind},
    {"index", str_index},
    {"rindex", str_rindex},
    {"count", str_count},
    {"replace", str_replace},
    {"upper", str_upper},
    {"lower", str_lower},
    {"casefold", str_lower},
    {"title", str_title},
    {"capitalize", str_capitalize},
    {"swapcase", str_swapcase},
    {"join", str_join},
    {"format", str_format},
    {"center", str_center},
    {"ljust", str_ljust},
    {"rjust", str_rjust},
    {"zfill", str_zfill},
    {"partition", str_partition},
    {"rpartition", str_rpartition},
    {"removeprefix", str_removeprefix},
    {"removesuffix", str_removesuffix},
    {"isalpha", str_all<unicode::is_alpha>},
    {"isdigit", str_all<unicode::is_digit>},
    {"isdecimal", str_all<unicode::is_digit>},
    {"isnumeric", str_all<unicode::is_digit>},
    {"isalnum", str_all<is_alnum>},
    {"isspace", str_all<unicode::is_space>},
    {"isascii", str_isascii},
    {"islower", str_case_test<false>},
    {"isupper", str_case_test<true>},
};

constexpr std::string_view kUnsupportedStringMethods[] = {
    "encode",      "expandtabs", "format_map", "isidentifier",
    "isprintable", "istitle",    "maketrans",  "translate"};

// ---- dict, list and tuple methods ----

Value dict_method(const Value& self, const std::string& name, const Arguments& args) {
  if (name == "get") {
    const BoundArguments bound("get", args, {"key", "default"}, 1);
    const Value& key = bound.get(0);
    const Value* found = key.is_string() ? self.as_dict().find(key.as_string()) : nullptr;
    return found ? *found : bound.get_or(1, Value::none());
  }
  expect_no_arguments(args, name.c_str());
  if (name == "copy") return self;
  return make_dict_view(self, name == "keys"     ? DictViewKind::Keys
                              : name == "values" ? DictViewKind::Values
                                                 : DictViewKind::Items);
}

Value sequence_method(const Value& self, const std::string& name, const Arguments& args) {
  const List& items = self.as_list();
  if (name == "copy") {
    expect_no_arguments(args, "copy");
    return self;
  }
  const BoundArguments bound(name, args, {"value"}, 1);
  if (name == "count") {
    return Value::integer(std::count_if(items.begin(), items.end(),
                                        [&](const Value& v) { return equals(v, bound.get(0)); }));
  }
  for (std::size_t i = 0; i < items.size(); ++i) {  // index
    if (equals(items[i], bound.get(0))) return Value::integer(static_cast<std::int64_t>(i));
  }
  std::string message;
  append_repr(message, bound.get(0));
  fail(message + " is not in " + self.type_name());
}

constexpr std::string_view kDictMethods[] = {"get", "keys", "values", "items", "copy"};
constexpr std::string_view kDictUnsafe[] = {"clear", "pop", "popitem", "setdefault", "update"};
constexpr std::string_view kListMethods[] = {"index", "count", "copy"};
constexpr std::string_view kListUnsafe[] = {"append", "extend",  "insert", "pop",
                                            "remove", "reverse", "sort",   "clear"};

template <std::size_t N>
bool listed(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

const StringMethodEntry* find_string_method(std::string_view name) {
  for (const auto& entry : kStringMethods) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

// A method bound to its receiver, e.g. the value of `content.strip`.
class BoundMethod : public Object {
 public:
  BoundMethod(Value self, std::string name) : self_(std::move(self)), name_(std::move(name)) {}
  std::string type_name() const override { return "builtin_function_or_method"; }
  bool is_callable() const override { return true; }
  Value call(Interpreter&, const Arguments& args) override {
    return call_method(self_, name_, args);
  }
  void repr(std::string& out) const override {
    out += "<built-in method " + name_ + " of " + self_.type_name() + " object>";
  }

 private:
  Value self_;
  std::string name_;
};

}  // namespace

MethodStatus method_status(const Value& self, const std::string& name) {
  switch (self.kind()) {
    case Value::Kind::String:
      if (find_string_method(name)) return MethodStatus::Available;
      return listed(kUnsupportedStringMethods, name) ? MethodStatus::Unsupported
                                                     : MethodStatus::Missing;
    case Value::Kind::Dict:
      if (listed(kDictMethods, name)) return MethodStatus::Available;
      if (listed(kDictUnsafe, name)) return MethodStatus::Unsafe;
      return name == "fromkeys" ? MethodStatus::Unsupported : MethodStatus::Missing;
    case Value::Kind::List:
      if (listed(kListMethods, name)) return MethodStatus::Available;
      return listed(kListUnsafe, name) ? MethodStatus::Unsafe : MethodStatus::Missing;
    case Value::Kind::Tuple:
      return name == "index" || name == "count" ? MethodStatus::Available : MethodStatus::Missing;
    default:
      return MethodStatus::Missing;
  }
}

Value bind_method(const Value& self, const std::string& name) {
  return Value::object(std::make_shared<BoundMethod>(self, name));
}

Value call_method(const Value& self, const std::string& name, const Arguments& args) {
  switch (method_status(self, name)) {
    case MethodStatus::Available:
      break;
    case MethodStatus::Unsupported:
      fail("the " + self.type_name() + " method '" + name +
           "' is not supported by wizard's chat template engine");
    case MethodStatus::Unsafe:
      fail("access to attribute '" + name + "' of '" + self.type_name() + "' object is unsafe.");
    case MethodStatus::Missing:
      fail(object_description(self) + " has no attribute '" + name + "'");
  }
  if (self.is_string()) return find_string_method(name)->function(self.as_string(), args);
  if (self.is_dict()) return dict_method(self, name, args);
  return sequence_method(self, name, args);
}

}  // namespace wizard::jinja
