// Expressions: arithmetic, comparison, `in`, slicing, literals, Python str() forms.
#include "chat_test_util.hpp"

namespace wizard::chat_test {
namespace {

TEST(JinjaExpressions, RendersAsPythonJinja) {
  expect_renders({
      {"{{ 1/2 }} {{ 4/2 }} {{ 7//2 }} {{ -7//2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2**10 }} {{ 2**-1 "
       "}} {{ 5 // 2.0 }} {{ -5.5 % 2 }} {{ 7 / 7 }}",
       "0.5 2.0 3 -4 2 -2 1024 0.5 2.0 0.5 1.0"},
      {"{{ 1e20 }} {{ 1e16 }} {{ 1e15 }} {{ 1.5e-5 }} {{ 0.0001 }} {{ 0.1+0.2 }} {{ "
       "123456789012345678.0 }} {{ -0.0 }} {{ 100.0 }} {{ 1/3 }} {{ 2.5e-300 * 1e-20 }}",
       "1e+20 1e+16 1000000000000000.0 1.5e-05 0.0001 0.30000000000000004 1.2345678901234568e+17 "
       "-0.0 100.0 0.3333333333333333 2.5e-320"},
      {"{{ (1 + 2) * 3 - 4 / 2 }} {{ not true or false }} {{ 1 < 2 < 3 }} {{ 3 > 2 == 2 }} {{ -2 "
       "** 2 }} {{ 2 ** 3 ** 2 }} {{ (1 + 2) ~ 3 }} {{ 'x' + 'y' ~ 'z' }}",
       "7.0 False True True 4 64 33 xyz"},
      {"{{ [1,'a',none,true,1.0,{'k':'v'}] }} {{ (1,) }} {{ (1,2) }} {{ () }} {{ \"it's\" }} {{ "
       "[\"it's\", 'a\"b', \"x\\ny\", 'tab\\there', 'back\\\\slash'] }}",
       "[1, 'a', None, True, 1.0, {'k': 'v'}] (1,) (1, 2) () it's [\"it's\", 'a\"b', 'x\\ny', "
       "'tab\\there', 'back\\\\slash']"},
      {"{{ d }} {{ none }} {{ true }} {{ false }} {{ n }} {{ t }} {{ f }} {{ m[0] }} {{ {'nested': "
       "{'x': [1, {'y': none}]}} }}",
       "{'a': 1, 'b': [1, 2]} None True False None True 1.5 {'role': 'user', 'content': 'hi'} "
       "{'nested': {'x': [1, {'y': None}]}}"},
      {"{{ 'a' ~ 1 ~ none ~ true ~ 1.0 ~ undefined_name }} {{ 'ab' * 3 }} {{ [1] + [2] }} {{ 3 * "
       "'x' }} {{ [0] * 3 }} {{ 'x' * 0 }}|",
       "a1NoneTrue1.0 ababab [1, 2] xxx [0, 0, 0] |"},
      {"{{ 1 == 1.0 }} {{ 1 == true }} {{ 'a' == 'a' }} {{ [1,2] == [1,2] }} {{ (1,2) == [1,2] }} "
       "{{ none == none }} {{ x == y }} {{ x == none }} {{ {'a':1} == {'a':1.0} }} {{ 1 != 2 }}",
       "True True True True False True True False True True"},
      {"{{ 'a' < 'b' }} {{ 'B' < 'a' }} {{ [1, 2] < [1, 3] }} {{ 2 >= 2.0 }} {{ 3 <= 2 }} {{ (1, "
       "'a') < (1, 'b') }}",
       "True True True True False True"},
      {"{{ 'a' in 'abc' }} {{ 'z' not in ['a'] }} {{ 'a' in d }} {{ not 'a' in d }} {{ 1 in x }} "
       "{{ 2 in l }} {{ 'b' in {'b': 0} }} {{ '' in 'abc' }} {{ 1 in (1, 2) }}",
       "True True True False False True True True True"},
      {"{{ s[1:3] }} {{ s[-1] }} {{ s[::-1] }} {{ l[-1] }} {{ l[5] }}|{{ s[100] }}| {{ s[-3:] }} "
       "{{ s[:-6] }} {{ l[::2] }} {{ l[1:] }} {{ l[::-1] }} {{ s[10:2:-2] }} {{ l[-100:100] }}",
       "el d dlroW olleH 2 || rld Hello [3, 2] [1, 2] [2, 1, 3] drWo [3, 1, 2]"},
      {"{{ u[1] }} {{ u[-1] }} {{ u[1:4] }} {{ u|length }} {{ u[::-1] }} {{ u.find('w') }} {{ "
       "u.upper() }}",
       "é d éll 11 dlröw olléh 6 HÉLLO WÖRLD"},
      {"{{ true and 'x' }} {{ false or 'y' }} {{ '' or 0 }} {{ 0 and 1 }} {{ n or 'default' }} {{ "
       "[] or {} }} {{ x or 'undefined is falsy' }}",
       "x y 0 0 default {} undefined is falsy"},
      {"{{ \"a\" if false }}|{{ \"a\" if true else \"b\" }}|{{ 1 if x }}|{{ 'p' if n is none else "
       "'q' }}|{{ 'one' if f > 2 else 'two' if f > 1 else 'three' }}",
       "|a||p|two"},
      {"{{ d.a }} {{ d['a'] }} {{ d.b[1] }} {{ d.b.0 }} {{ m[0].role }} {{ m[-1]['content'] }} {{ "
       "d.zz }}|{{ d['zz'] }}| {{ d.zz is defined }} {{ d.items is defined }}",
       "1 1 2 1 user yo || False True"},
      {"{{ \"x\" \"y\" }}{{ 1_000 }}{{ 0x1F }}{{ 0o17 }}{{ 0b101 }}{{ 1_0.5 }}{{ 1E3 }}",
       "xy10003115510.51000.0"},
      {"{{ 'a\\tb\\x41\\u00e9\\101\\q\\'' }}|{{ \"say \\\"hi\\\"\" }}", "a\tbAéA\\q'|say \"hi\""},
      {"{{ -f }} {{ +3 }} {{ -(1 + 2) }} {{ not none }} {{ not [] }}", "-1.5 3 -3 True True"},
      {"{{ 10 // 3 * 3 + 10 % 3 }} {{ 2 * 3 ** 2 }} {{ 1 - 2 - 3 }} {{ 100 / 10 / 5 }}",
       "10 18 -4 2.0"},
      {"{{ (m|length - 1) }} {{ m|length - 1 }} {{ messages|length }} {{ l|first + 1 }}",
       "1 1 0 4"},
      {"{{ true + 1 }} {{ true * 2.5 }} {{ 3 - true }}", "2 2.5 2"},
  });
}

TEST(JinjaExpressions, IntegerOverflowIsAnErrorNotAWrap) {
  EXPECT_NE(render_error("{{ 9223372036854775807 + 1 }}").find("integer overflow"),
            std::string::npos);
}

TEST(JinjaExpressions, ValuesFromJsonKeepTheirTypes) {
  const auto context = nlohmann::ordered_json::parse(
      R"({"i": 2, "x": 2.0, "big": 1e300, "neg": -0.5, "flag": false})");
  EXPECT_EQ(
      render("{{ i }} {{ x }} {{ big }} {{ neg }} {{ flag }} {{ i / 4 }} {{ x * i }}", context),
      "2 2.0 1e+300 -0.5 False 0.5 4.0");
}

// Python's repr (Jinja2 3.1 printed these): characters str.isprintable() rejects are escaped.
TEST(JinjaExpressions, ListsPrintStringsWithPythonsRepr) {
  const auto context =
      nlohmann::ordered_json::parse(R"({"x": ["\u0600", "\u00e9", "\u0378", "a\u00a0b"]})");
  EXPECT_EQ(render("{{ x }} {{ x[0] }}|{{ x[0]|length }}", context),
            "['\\u0600', '\u00e9', '\\u0378', 'a\\xa0b'] \u0600|1");
}

// Python strings cannot hold invalid UTF-8; a C++ caller's can. Each maximal invalid subpart
// reads as one U+FFFD (base/utf8.hpp), in the context and in the template's source.
TEST(JinjaExpressions, InvalidUtf8ReadsAsReplacementCharacters) {
  const nlohmann::ordered_json context = {{"s", "a\xFF\xE2\x82\u00e9"}};
  EXPECT_EQ(render("{{ s|length }} {{ s|upper }} {{ s[1] }} {{ [s] }} {{ s }} \xC3", context),
            "4 A\uFFFD\uFFFD\u00c9 \uFFFD ['a\uFFFD\uFFFD\u00e9'] a\uFFFD\uFFFD\u00e9 \uFFFD");
}

}  // namespace
}  // namespace wizard::chat_test
