// Whitespace control: trim_blocks, lstrip_blocks, -/+ markers, comments, raw.
#include "chat_test_util.hpp"

namespace wizard::chat_test {
namespace {

TEST(JinjaWhitespace, RendersAsPythonJinja) {
  expect_renders({
      {"a\n  {% if true %}\n  b\n  {% endif %}\nc", "a\n  b\nc"},
      {"  {% if true %}x{% endif %}  \n  {{ 'y' }}\n {#- c #} z", "x  \n  y z"},
      {"a {% if true %}b{% endif %}", "a b"},
      {"{% for x in l %}\n    {{ x }}\n{% endfor %}", "    3\n    1\n    2\n"},
      {"{%- for x in l -%}\n [{{- x -}}] \n{%- endfor %}", "[3][1][2]"},
      {"x {{- ' y ' -}} z {#- comment -#}  w", "x y zw"},
      {"a  {%+ if true %}b{% endif +%}\nc", "a  b\nc"},
      {"{% raw %}{{ x }}{% endraw %}|{%- raw -%}  a  {%- endraw %}|", "{{ x }}|a|"},
      {"line1\n{# a comment #}\nline2", "line1\nline2"},
      {"  {{ 'var lines keep indentation' }}\n  {% set x = 1 %}\nafter set",
       "  var lines keep indentation\nafter set"},
      {"{% if true %}\nyes\n{% else %}\nno\n{% endif %}\nend", "yes\nend"},
      {"trailing newline is dropped", "trailing newline is dropped"},
      {"{%- if true %}\n\ttab-indented {{ 'x' }}\n\t{% if true %}\n\tinner\n\t{% endif %}\n{% "
       "endif -%}\n!",
       "\ttab-indented x\n\tinner\n!"},
      {"{{ 'a' }}\n{{ 'b' }}", "a\nb"},
      {"text {% if false %}hidden{% endif %}\nmore", "text more"},
      {"  {%- set y = 2 %}\n{{ y }}", "2"},
  });
}

TEST(JinjaWhitespace, DropsOneTrailingNewlineAndNormalizesLineEnds) {
  EXPECT_EQ(render("a\n"), "a");
  EXPECT_EQ(render("a\n\n"), "a\n");
  EXPECT_EQ(render("a\r\nb\rc"), "a\nb\nc");
  EXPECT_EQ(render("{% if true %}\r\nx{% endif %}"), "x");
}

TEST(JinjaWhitespace, StripsUnicodeWhitespaceWithMinus) {
  EXPECT_EQ(render("a \u3000\n {{- 'b' -}} \u00a0\n c"), "abc");
}

TEST(JinjaWhitespace, KeepsBlockMarkersInsideStringLiterals) {
  EXPECT_EQ(render("{{ '{% not a tag %}' }}{{ \"}}\" }}{{ {'a': {'b': 1}}['a']['b'] }}"),
            "{% not a tag %}}}1");
}

}  // namespace
}  // namespace wizard::chat_test
