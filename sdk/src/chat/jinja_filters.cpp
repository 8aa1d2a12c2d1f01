// Jinja's built-in filters with transformers' tojson, as Jinja 3.1 defines
// them (argument names, defaults, and the quirks templates rely on).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "base/python_repr.hpp"
#include "base/utf8.hpp"
#include "chat/jinja_builtins.hpp"
#include "chat/jinja_filter_support.hpp"
#include "chat/jinja_format.hpp"
#include "chat/jinja_iterables.hpp"
#include "chat/jinja_json.hpp"
#include "chat/jinja_methods.hpp"
#include "chat/jinja_operators.hpp"
#include "chat/jinja_python.hpp"
#include "chat/jinja_unicode.hpp"

namespace wizard::jinja {

namespace {

Value string_of(const Value& v) {
  return Value::string(to_str(v));
}

Value filter_abs(const Value& input, const Arguments& args) {
  BoundArguments("abs", args, {});
  if (input.is_float()) return Value::real(std::fabs(input.as_float()));
  if (input.is_integral())
    return input.as_int() < 0 ? negate(input) : Value::integer(input.as_int());
  if (input.is_undefined()) fail_undefined(input);
  fail("bad operand type for abs(): '" + input.type_name() + "'");
}

Value filter_attr(const Value& input, const Arguments& args) {
  const BoundArguments bound("attr", args, {"name"}, 1);
  const std::string name = to_str(bound.get(0));
  if (input.is_object()) return input.as_object().attribute(name);
  const MethodStatus status = method_status(input, name);
  if (status == MethodStatus::Available || status == MethodStatus::Unsupported)
    return bind_method(input, name);
  return Value::undefined(object_description(input) + " has no attribute '" + name + "'");
}

Value filter_batch(const Value& input, const Arguments& args) {
  const BoundArguments bound("batch", args, {"linecount", "fill_with"}, 1);
  const std::int64_t size = bound.get(0).as_int();
  if (!bound.get(0).is_integral() || size <= 0) fail("batch() needs a positive line count");
  List batches;
  List current;
  for (Value& item : iterate(input)) {
    current.push_back(std::move(item));
    if (static_cast<std::int64_t>(current.size()) == size) {
      batches.push_back(Value::list(std::move(current)));
      current.clear();
    }
  }
  if (!current.empty()) {
    if (bound.has(1) && !bound.get(1).is_none()) {
      while (static_cast<std::int64_t>(current.size()) < size) current.push_back(bound.get(1));
    }
    batches.push_back(Value::list(std::move(current)));
  }
  return Value::list(std::move(batches));
}

Value filter_capitalize(const Value& input, const Arguments& args) {
  BoundArguments("capitalize", args, {});
  return call_method(string_of(input), "capitalize", {});
}

Value filter_center(const Value& input, const Arguments& args) {
  const BoundArguments bound("center", args, {"width"});
  return call_method(string_of(input), "center",
                     Arguments{{bound.get_or(0, Value::integer(80))}, {}});
}

Value filter_default(const Value& input, const Arguments& args) {
  const BoundArguments bound("default", args, {"default_value", "boolean"});
  const bool use_default = input.is_undefined() || (bound.get(1).truthy() && !input.truthy());
  return use_default ? bound.get_or(0, Value::string("")) : input;
}

Value filter_dictsort(const Value& input, const Arguments& args) {
  const BoundArguments bound("dictsort", args, {"case_sensitive", "by", "reverse"});
  if (!input.is_dict()) fail("dictsort expects a mapping, not " + input.type_name());
  const bool case_sensitive = bound.get(0).truthy();
  const std::string by = bound.has(1) ? to_str(bound.get(1)) : "key";
  if (by != "key" && by != "value") fail("You can only sort by either 'key' or 'value'");
  List pairs;
  for (const auto& [key, value] : input.as_dict())
    pairs.push_back(Value::tuple({Value::string(key), value}));
  const std::size_t column = by == "key" ? 0 : 1;
  sort_values(pairs, bound.get(2).truthy(),
              [&](const Value& pair) { return sort_key(pair.as_list()[column], case_sensitive); });
  return Value::list(std::move(pairs));
}

Value filter_escape(const Value& input, const Arguments& args) {
  BoundArguments("escape", args, {});
  std::string out;
  for (const char c : to_str(input)) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return Value::string(std::move(out));
}

Value filter_first(const Value& input, const Arguments& args) {
  BoundArguments("first", args, {});
  if (input.is_sequence()) {
    return input.as_list().empty() ? Value::undefined("No first item, sequence was empty.")
                                   : input.as_list().front();
  }
  const List items = iterate(input);
  return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
}

Value filter_last(const Value& input, const Arguments& args) {
  BoundArguments("last", args, {});
  // Jinja takes next(reversed(seq)), which generators do not support.
  if (is_generator(input)) fail("'" + input.type_name() + "' object is not reversible");
  const List items = iterate(input);
  return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
}

Value filter_float(const Value& input, const Arguments& args) {
  const BoundArguments bound("float", args, {"default"});
  if (input.is_undefined()) fail_undefined(input);  // float(Undefined) raises
  if (auto number = parse_python_float(input)) return Value::real(*number);
  return bound.get_or(0, Value::real(0.0));
}

Value filter_int(const Value& input, const Arguments& args) {
  const BoundArguments bound("int", args, {"default", "base"});
  if (input.is_undefined()) fail_undefined(input);  // int(Undefined) raises
  const int base = bound.has(1) ? static_cast<int>(bound.get(1).as_int()) : 10;
  if (auto number = parse_python_int(input, base)) return Value::integer(*number);
  // Jinja's quirk: "42.23"|int is 42, through float.
  if (auto number = parse_python_float(input)) {
    if (!std::isfinite(*number))
      fail("cannot convert float " + python::float_repr(*number) + " to integer");
    return Value::integer(static_cast<std::int64_t>(*number));
  }
  return bound.get_or(0, Value::integer(0));
}

Value filter_format(const Value& input, const Arguments& args) {
  if (!args.positional.empty() && !args.keywords.empty()) {
    fail("format can't handle positional and keyword arguments at the same time");
  }
  if (!args.keywords.empty()) {
    Dict mapping;
    for (const auto& [key, value] : args.keywords) mapping.set(key, value);
    return Value::string(percent_format(to_str(input), Value::dict(std::move(mapping))));
  }
  return Value::string(percent_format(to_str(input), Value::tuple(args.positional)));
}

Value filter_indent(const Value& input, const Arguments& args) {
  const BoundArguments bound("indent", args, {"width", "first", "blank"});
  const Value& width = bound.get(0);
  std::string indentation;
  if (width.is_string()) {
    indentation = width.as_string();
  } else {
    indentation.assign(
        static_cast<std::size_t>(std::max<std::int64_t>(0, bound.has(0) ? width.as_int() : 4)),
        ' ');
  }
  if (input.is_undefined()) fail_undefined(input);
  if (!input.is_string())
    fail("unsupported operand type(s) for +=: '" + input.type_name() + "' and 'str'");
  // Jinja appends a newline first so that splitlines() keeps a trailing empty line.
  const std::vector<std::string> lines = unicode::split_lines(input.as_string() + "\n");
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    const bool indent_line =
        i == 0 ? bound.get(1).truthy() : (bound.get(2).truthy() || !lines[i].empty());
    if (indent_line) out += indentation;
    out += lines[i];
  }
  return Value::string(std::move(out));
}

Value filter_items(const Value& input, const Arguments& args) {
  BoundArguments("items", args, {});
  if (input.is_undefined()) return Value::list({});
  if (!input.is_dict()) fail("Can only get item pairs from a mapping.");
  return Value::list(iterate(call_method(input, "items", {})));
}

Value filter_join(const Value& input, const Arguments& args) {
  const BoundArguments bound("join", args, {"d", "attribute"});
  const std::string separator = bound.has(0) ? to_str(bound.get(0)) : "";
  std::string out;
  bool first = true;
  for (const Value& item : iterate(input)) {
    if (!first) out += separator;
    first = false;
    append_str(out, bound.has(1) ? attribute_path(item, bound.get(1), Value()) : item);
  }
  return Value::string(std::move(out));
}

Value filter_length(const Value& input, const Arguments& args) {
  BoundArguments("length", args, {});
  return Value::integer(static_cast<std::int64_t>(length(input)));
}

Value filter_list(const Value& input, const Arguments& args) {
  BoundArguments("list", args, {});
  return Value::list(iterate(input));
}

Value filter_lower(const Value& input, const Arguments& args) {
  BoundArguments("lower", args, {});
  return Value::string(unicode::lower(to_str(input)));
}

Value filter_upper(const Value& input, const Arguments& args) {
  BoundArguments("upper", args, {});
  return Value::string(unicode::upper(to_str(input)));
}

Value filter_map(const Value& input, const Arguments& args) {
  if (!input.truthy()) return Value::list({});  // Jinja skips even the arguments then
  List out;
  const Value* attribute = nullptr;
  Value fallback;
  for (const auto& [name, value] : args.keywords) {
    if (name == "attribute" && args.positional.empty()) {
      attribute = &value;
    } else if (name == "default" && args.positional.empty()) {
      fallback = value;
    } else if (args.positional.empty()) {
      fail("Unexpected keyword argument '" + name + "' for map");
    }
  }
  if (attribute) {
    for (const Value& item : iterate(input))
      out.push_back(attribute_path(item, *attribute, fallback));
    return Value::list(std::move(out));
  }
  if (args.positional.empty()) fail("map requires a filter argument");
  const std::string name = to_str(args.positional.front());
  const FilterFunction filter = find_filter(name);
  if (!filter) fail(missing_filter_message(name));
  Arguments rest{List(args.positional.begin() + 1, args.positional.end()), args.keywords};
  for (const Value& item : iterate(input)) out.push_back(filter(item, rest));
  return Value::list(std::move(out));
}

Value min_or_max(const Value& input, const Arguments& args, bool maximum) {
  const BoundArguments bound(maximum ? "max" : "min", args, {"case_sensitive", "attribute"});
  const List items = iterate(input);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  const bool case_sensitive = bound.get(0).truthy();
  const auto key = [&](const Value& item) {
    return sort_key(bound.has(1) ? attribute_path(item, bound.get(1), Value()) : item,
                    case_sensitive);
  };
  std::size_t best = 0;
  Value best_key = key(items[0]);
  for (std::size_t i = 1; i < items.size(); ++i) {
    Value candidate = key(items[i]);
    if (maximum ? less_than(best_key, candidate) : less_than(candidate, best_key)) {
      best = i;
      best_key = std::move(candidate);
    }
  }
  return items[best];
}
Value filter_max(const Value& input, const Arguments& args) {
  return min_or_max(input, args, true);
}
Value filter_min(const Value& input, const Arguments& args) {
  return min_or_max(input, args, false);
}

Value filter_replace(const Value& input, const Arguments& args) {
  const BoundArguments bound("replace", args, {"old", "new", "count"}, 2);
  Arguments call{{string_of(bound.get(0)), string_of(bound.get(1))}, {}};
  if (bound.has(2) && !bound.get(2).is_none()) call.positional.push_back(bound.get(2));
  return call_method(string_of(input), "replace", call);
}

Value filter_reverse(const Value& input, const Arguments& args) {
  BoundArguments("reverse", args, {});
  if (input.is_string()) return get_slice(input, Value::none(), Value::none(), Value::integer(-1));
  if (!input.is_undefined() && !input.is_sequence() && !input.is_dict() &&
      !(input.is_object() && input.as_object().is_iterable())) {
    fail("argument must be iterable");
  }
  List items = iterate(input);
  std::reverse(items.begin(), items.end());
  // reversed() of a generator fails, so Jinja falls back to a reversed list;
  // everything else gives Python's one-shot reverse iterator.
  if (is_generator(input)) return Value::list(std::move(items));
  return make_generator(input.is_dict() ? "dict_reversekeyiterator" : "list_reverseiterator",
                        [&] { return std::move(items); });
}

Value round_common(const Value& value, std::int64_t precision) {
  if (value.is_integral()) {
    if (precision >= 0) return Value::integer(value.as_int());
    // Round half to even at a power of ten, as Python's round(int, -n).
    std::int64_t scale = 1;
    for (std::int64_t i = 0; i < -precision && scale <= (INT64_MAX / 10); ++i) scale *= 10;
    const std::int64_t v = value.as_int();
    std::int64_t quotient = v / scale;
    std::int64_t remainder = v % scale;
    if (remainder < 0) {
      remainder += scale;
      quotient -= 1;
    }
    if (remainder * 2 > scale || (remainder * 2 == scale && (quotient & 1))) quotient += 1;
    return Value::integer(quotient * scale);
  }
  const double v = value.as_float();
  if (!std::isfinite(v)) return value;
  if (precision >= 0) {
    // printf rounds the exact binary value half-to-even, like Python's round().
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(std::min<std::int64_t>(precision, 300)),
                  v);
    return Value::real(std::strtod(buf, nullptr));
  }
  const double scale = std::pow(10.0, static_cast<double>(-precision));
  return Value::real(std::nearbyint(v / scale) * scale);
}

Value filter_round(const Value& input, const Arguments& args) {
  const BoundArguments bound("round", args, {"precision", "method"});
  const std::int64_t precision = bound.has(0) ? bound.get(0).as_int() : 0;
  const std::string method = bound.has(1) ? to_str(bound.get(1)) : "common";
  if (input.is_undefined()) fail_undefined(input);
  if (!input.is_number()) fail("type " + input.type_name() + " doesn't define __round__ method");
  if (method == "common") return round_common(input, precision);
  if (method != "ceil" && method != "floor") fail("method must be common, ceil or floor");
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double scaled = input.as_float() * scale;
  return Value::real((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
}

Value filter_safe(const Value& input, const Arguments& args) {
  BoundArguments("safe", args, {});
  return string_of(input);
}

Value select_or_reject(const Value& input, const Arguments& args, bool select, bool by_attribute) {
  if (!input.truthy()) return Value::list({});  // Jinja skips even the arguments then
  std::size_t offset = 0;
  Value attribute;
  if (by_attribute) {
    if (args.positional.empty()) fail("Missing parameter for attribute name");
    attribute = args.positional[0];
    offset = 1;
  }
  TestFunction test = nullptr;
  Arguments test_args;
  if (args.positional.size() > offset) {
    const std::string name = to_str(args.positional[offset]);
    test = find_test(name);
    if (!test) fail(missing_test_message(name));
    test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(offset + 1),
                                args.positional.end());
    test_args.keywords = args.keywords;
  }
  List out;
  for (const Value& item : iterate(input)) {
    const Value subject = by_attribute ? attribute_path(item, attribute, Value()) : item;
    const bool passes = test ? test(subject, test_args) : subject.truthy();
    if (passes == select) out.push_back(item);
  }
  return Value::list(std::move(out));
}
Value filter_select(const Value& in, const Arguments& a) {
  return select_or_reject(in, a, true, false);
}
Value filter_reject(const Value& in, const Arguments& a) {
  return select_or_reject(in, a, false, false);
}
Value filter_selectattr(const Value& in, const Arguments& a) {
  return select_or_reject(in, a, true, true);
}
Value filter_rejectattr(const Value& in, const Arguments& a) {
  return select_or_reject(in, a, false, true);
}

Value filter_sort(const Value& input, const Arguments& args) {
  const BoundArguments bound("sort", args, {"reverse", "case_sensitive", "attribute"});
  List items = iterate(input);
  const bool case_sensitive = bound.get(1).truthy();
  sort_values(items, bound.get(0).truthy(), [&](const Value& item) {
    return sort_key(bound.has(2) && !bound.get(2).is_none()
                        ? attribute_path(item, bound.get(2), Value())
                        : item,
                    case_sensitive);
  });
  return Value::list(std::move(items));
}

Value filter_string(const Value& input, const Arguments& args) {
  BoundArguments("string", args, {});
  return string_of(input);
}

Value filter_sum(const Value& input, const Arguments& args) {
  const BoundArguments bound("sum", args, {"attribute", "start"});
  Value total = bound.get_or(1, Value::integer(0));
  for (const Value& item : iterate(input)) {
    const Value term = bound.has(0) && !bound.get(0).is_none()
                           ? attribute_path(item, bound.get(0), Value())
                           : item;
    if (total.is_string() || term.is_string())
      fail("sum() can't sum strings [use ''.join(seq) instead]");
    total = binary_operation(BinaryOp::Add, total, term);
  }
  return total;
}

// Jinja's title: capitalise each word, where words start after whitespace or - ( { [ <.
Value filter_title(const Value& input, const Arguments& args) {
  BoundArguments("title", args, {});
  const std::string text = to_str(input);
  std::string out;
  bool word_start = true;
  for (std::size_t pos = 0; pos < text.size();) {
    const char32_t c = utf8::next(text, pos);
    const bool boundary =
        unicode::is_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
    utf8::append(out, boundary ? c : (word_start ? unicode::to_upper(c) : unicode::to_lower(c)));
    word_start = boundary;
  }
  return Value::string(std::move(out));
}

// transformers' tojson: json.dumps(x, ensure_ascii=False, indent=None, separators=None,
// sort_keys=False).
Value filter_tojson(const Value& input, const Arguments& args) {
  const BoundArguments bound("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"});
  JsonFormat format;
  format.ensure_ascii = bound.get(0).truthy();
  const Value& indent = bound.get(1);
  if (indent.is_string()) {
    format.indent = indent.as_string();
  } else if (indent.is_integral()) {
    format.indent =
        std::string(static_cast<std::size_t>(std::max<std::int64_t>(0, indent.as_int())), ' ');
  } else if (!indent.is_none() && !indent.is_undefined()) {
    fail("tojson indent must be an int or a string, not " + indent.type_name());
  }
  const Value& separators = bound.get(2);
  if (separators.is_sequence()) {
    const List& pair = separators.as_list();
    if (pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      fail("tojson separators must be a pair of strings (item_separator, key_separator)");
    }
    format.item_separator = pair[0].as_string();
    format.key_separator = pair[1].as_string();
  } else if (!separators.is_none() && !separators.is_undefined()) {
    fail("tojson separators must be a pair of strings, not " + separators.type_name());
  }
  format.sort_keys = bound.get(3).truthy();
  return Value::string(to_json(input, format));
}

Value filter_trim(const Value& input, const Arguments& args) {
  const BoundArguments bound("trim", args, {"chars"});
  Arguments call;
  if (bound.has(0)) call.positional.push_back(bound.get(0));
  return call_method(string_of(input), "strip", call);
}

Value filter_truncate(const Value& input, const Arguments& args) {
  const BoundArguments bound("truncate", args, {"length", "killwords", "end", "leeway"});
  const std::string text = to_str(input);
  const std::int64_t limit = bound.has(0) ? bound.get(0).as_int() : 255;
  const std::string end = bound.has(2) ? to_str(bound.get(2)) : "...";
  const std::int64_t leeway = bound.has(3) && !bound.get(3).is_none() ? bound.get(3).as_int() : 5;
  const auto end_length = static_cast<std::int64_t>(utf8::count(end));
  if (limit < end_length)
    fail("expected length >= " + std::to_string(end_length) + ", got " + std::to_string(limit));
  if (static_cast<std::int64_t>(utf8::count(text)) <= limit + leeway) return Value::string(text);
  const Value head = get_slice(Value::string(text), Value::none(),
                               Value::integer(limit - end_length), Value::none());
  if (bound.get(1).truthy()) return Value::string(head.as_string() + end);
  const Value words =
      call_method(head, "rsplit", Arguments{{Value::string(" "), Value::integer(1)}, {}});
  return Value::string(words.as_list().front().as_string() + end);
}

Value filter_unique(const Value& input, const Arguments& args) {
  const BoundArguments bound("unique", args, {"case_sensitive", "attribute"});
  const bool case_sensitive = bound.get(0).truthy();
  List out;
  List seen;
  for (const Value& item : iterate(input)) {
    Value key = sort_key(bound.has(1) && !bound.get(1).is_none()
                             ? attribute_path(item, bound.get(1), Value())
                             : item,
                         case_sensitive);
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); }))
      continue;
    seen.push_back(std::move(key));
    out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value filter_wordcount(const Value& input, const Arguments& args) {
  BoundArguments("wordcount", args, {});
  const std::string text = to_str(input);
  std::int64_t words = 0;
  bool in_word = false;
  for (std::size_t pos = 0; pos < text.size();) {
    const char32_t c = utf8::next(text, pos);
    const bool word_char = unicode::is_alpha(c) || unicode::is_digit(c) || c == '_';
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  return Value::integer(words);
}

// Jinja's map, select, reject, selectattr, rejectattr, unique, batch and items
// are generator functions: their results are one-shot generators, and their
// errors surface only when the result is consumed.
template <FilterFunction Eager>
Value lazily(const Value& input, const Arguments& args) {
  return make_generator("generator", [&] { return iterate(Eager(input, args)); });
}

struct FilterEntry {
  std::string_view name;
  FilterFunction function;
};

constexpr FilterEntry kFilters[] = {
    {"abs", filter_abs},
    {"attr", filter_attr},
    {"batch", lazily<filter_batch>},
    {"capitalize", filter_capitalize},
    {"center", filter_center},
    {"count", filter_length},
    {"d", filter_default},
    {"default", filter_default},
    {"dictsort", filter_dictsort},
    {"e", filter_escape},
    {"escape", filter_escape},
    {"first", filter_first},
    {"float", filter_float},
    {"forceescape", filter_escape},
    {"format", filter_format},
    {"indent", filter_indent},
    {"int", filter_int},
    {"items", lazily<filter_items>},
    {"join", filter_join},
    {"last", filter_last},
    {"length", filter_length},
    {"list", filter_list},
    {"lower", filter_lower},
    {"map", lazily<filter_map>},
    {"max", filter_max},
    {"min", filter_min},
    {"reject", lazily<filter_reject>},
    {"rejectattr", lazily<filter_rejectattr>},
    {"replace", filter_replace},
    {"reverse", filter_reverse},
    {"round", filter_round},
    {"safe", filter_safe},
    {"select", lazily<filter_select>},
    {"selectattr", lazily<filter_selectattr>},
    {"sort", filter_sort},
    {"string", filter_string},
    {"sum", filter_sum},
    {"title", filter_title},
    {"tojson", filter_tojson},
    {"trim", filter_trim},
    {"truncate", filter_truncate},
    {"unique", lazily<filter_unique>},
    {"upper", filter_upper},
    {"wordcount", filter_wordcount},
};

constexpr std::string_view kUnsupportedFilters[] = {
    "filesizeformat", "groupby",   "pprint", "random",   "slice",
    "striptags",      "urlencode", "urlize", "wordwrap", "xmlattr"};

}  // namespace

FilterFunction find_filter(std::string_view name) {
  for (const auto& entry : kFilters) {
    if (entry.name == name) return entry.function;
  }
  return nullptr;
}

std::string missing_filter_message(std::string_view name) {
  const bool jinja_has_it =
      std::find(std::begin(kUnsupportedFilters), std::end(kUnsupportedFilters), name) !=
      std::end(kUnsupportedFilters);
  if (jinja_has_it)
    return "the filter '" + std::string(name) +
           "' is not supported by wizard's chat template engine";
  return "no filter named '" + std::string(name) + "'";
}

}  // namespace wizard::jinja
