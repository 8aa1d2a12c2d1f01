// Python 3's repr() of strings and floats, the SDK's one implementation: chat templates print
// values the way Jinja does in Python, and data templates fill "{x!r}" and list items the way
// str.format does.
#pragma once

#include <string>
#include <string_view>

namespace wizard::python {

// repr(str): single quotes, or double quotes when the text holds ' and no "; backslash, the
// quote, \t \n \r escaped; other characters that str.isprintable() rejects (categories C* and Z*
// but the space) as \xhh, \uhhhh or \Uhhhhhhhh; printable non-ASCII kept as it is. Invalid
// UTF-8 reads as U+FFFD (base/utf8.hpp).
void append_str_repr(std::string& out, std::string_view text);
std::string str_repr(std::string_view text);

// Python's str.isprintable() for one code point (Unicode data from ICU).
bool is_printable(char32_t c);

// repr(float): the shortest digits that read back to the same double; positional notation for
// decimal exponents -4..15 ("0.0001", "1234.5"), else "1e-05", "1e+16"; also, "inf", "-inf", "nan",
// "-0.0".
std::string float_repr(double value);

}  // namespace wizard::python
