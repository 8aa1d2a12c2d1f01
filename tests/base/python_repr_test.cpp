// Python 3's repr() of strings and floats (base/python_repr.hpp). Every expected string was
// printed by CPython 3.11 (`python3 -c 'print(repr(...))'`) and written here as a literal.
#include <gtest/gtest.h>

#include <limits>

#include "base/python_repr.hpp"

namespace {

using wizard::python::float_repr;
using wizard::python::str_repr;

TEST(PythonRepr, FloatsAreTheShortestRoundTripDigits) {
  EXPECT_EQ(float_repr(1.0), "1.0");
  EXPECT_EQ(float_repr(100.0), "100.0");
  EXPECT_EQ(float_repr(0.1), "0.1");
  EXPECT_EQ(float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(float_repr(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(float_repr(-1234.5), "-1234.5");
  EXPECT_EQ(float_repr(123456789012345.6), "123456789012345.6");
  EXPECT_EQ(float_repr(9999999999999998.0), "9999999999999998.0");
}

TEST(PythonRepr, FloatsSwitchToExponentsBelow1eMinus4AndFrom1e16) {
  EXPECT_EQ(float_repr(0.0001), "0.0001");
  EXPECT_EQ(float_repr(1e-5), "1e-05");
  EXPECT_EQ(float_repr(0.00001234), "1.234e-05");
  EXPECT_EQ(float_repr(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(float_repr(1e16), "1e+16");
  EXPECT_EQ(float_repr(1e22), "1e+22");
  EXPECT_EQ(float_repr(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(float_repr(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(float_repr(2.5e-320), "2.5e-320");  // subnormal
  EXPECT_EQ(float_repr(5e-324), "5e-324");
}

TEST(PythonRepr, FloatSpecialValues) {
  EXPECT_EQ(float_repr(0.0), "0.0");
  EXPECT_EQ(float_repr(-0.0), "-0.0");
  EXPECT_EQ(float_repr(std::numeric_limits<double>::infinity()), "inf");
  EXPECT_EQ(float_repr(-std::numeric_limits<double>::infinity()), "-inf");
  EXPECT_EQ(float_repr(std::numeric_limits<double>::quiet_NaN()), "nan");
}

TEST(PythonRepr, StringQuoteIsSingleUnlessOnlySingleQuotesOccur) {
  EXPECT_EQ(str_repr("plain"), "'plain'");
  EXPECT_EQ(str_repr("it's"), R"("it's")");
  EXPECT_EQ(str_repr(R"(say "hi")"), R"('say "hi"')");
  EXPECT_EQ(str_repr(R"(both ' and ")"), R"('both \' and "')");
  EXPECT_EQ(str_repr(""), "''");
}

TEST(PythonRepr, StringEscapesBackslashTabNewlineReturnAndControls) {
  EXPECT_EQ(str_repr("back\\slash"), R"('back\\slash')");
  EXPECT_EQ(str_repr("tab\tnl\nret\r"), R"('tab\tnl\nret\r')");
  EXPECT_EQ(str_repr(std::string("\x00\x1f\x7f", 3)), R"('\x00\x1f\x7f')");
  EXPECT_EQ(str_repr("\u0080\u009f"), R"('\x80\x9f')");  // C1 controls
  EXPECT_EQ(str_repr("a\u0085b"), R"('a\x85b')");
}

TEST(PythonRepr, StringEscapesNonPrintableNonAscii) {
  EXPECT_EQ(str_repr("\u00a0nbsp"), R"('\xa0nbsp')");            // Zs
  EXPECT_EQ(str_repr("\u00ad soft"), R"('\xad soft')");          // Cf
  EXPECT_EQ(str_repr("\u200b zw"), R"('\u200b zw')");            // Cf
  EXPECT_EQ(str_repr("\u061c"), R"('\u061c')");                  // Cf
  EXPECT_EQ(str_repr("\u2000"), R"('\u2000')");                  // Zs
  EXPECT_EQ(str_repr("\u2028 ls"), R"('\u2028 ls')");            // Zl
  EXPECT_EQ(str_repr("\u3000 ideo"), R"('\u3000 ideo')");        // Zs
  EXPECT_EQ(str_repr("\ufeff bom"), R"('\ufeff bom')");          // Cf
  EXPECT_EQ(str_repr("\ue000 pua"), R"('\ue000 pua')");          // Co
  EXPECT_EQ(str_repr("\u0378"), R"('\u0378')");                  // Cn (unassigned)
  EXPECT_EQ(str_repr("\U000e0001 tag"), R"('\U000e0001 tag')");  // Cf, astral
  EXPECT_EQ(str_repr("\U0010ffff"), R"('\U0010ffff')");          // Cn, the last code point
}

TEST(PythonRepr, StringKeepsPrintableNonAscii) {
  EXPECT_EQ(str_repr("\u00e9 \u00fc \u00df"), "'\u00e9 \u00fc \u00df'");
  EXPECT_EQ(str_repr("\u6f22\u5b57"), "'\u6f22\u5b57'");
  EXPECT_EQ(str_repr("\U0001f600\u0301"), "'\U0001f600\u0301'");  // emoji, combining mark
  EXPECT_EQ(str_repr("\U0001f9ff"), "'\U0001f9ff'");
  EXPECT_EQ(str_repr("\ufffd"), "'\ufffd'");
}

TEST(PythonRepr, InvalidUtf8ReadsAsReplacementCharacters) {
  // base/utf8.hpp's rule: each maximal invalid subpart is one U+FFFD (as bytes.decode with
  // errors="replace": b"a\xff\xe2\x82b".decode(errors="replace") == 'a\ufffd\ufffdb').
  EXPECT_EQ(str_repr("a\xff\xe2\x82"
                     "b"),
            "'a\ufffd\ufffdb'");
}

}  // namespace
