// Filters and tests (`x | f`, `x is t`), including transformers' tojson.
#include "chat_test_util.hpp"

namespace wizard::chat_test {
namespace {

TEST(JinjaFilters, RendersAsPythonJinja) {
  expect_renders({
      {"{{ l|sort }} {{ l|sort(reverse=true) }} {{ l|reverse|list }} {{ s|reverse }} {{ l|first }} "
       "{{ l|last }} {{ l|join(',') }} {{ [1, 2, 1, 3]|unique|list }} {{ ['b', 'A', 'a', 'B']|sort "
       "}} {{ ['b', 'A', 'a']|sort(case_sensitive=true) }} {{ ['a', 'A', 'b']|unique|list }}",
       "[1, 2, 3] [3, 2, 1] [2, 1, 3] dlroW olleH 3 2 3,1,2 [1, 2, 3] ['A', 'a', 'b', 'B'] ['A', "
       "'a', 'b'] ['a', 'b']"},
      {"{{ 'hello world'|title }} {{ \"it's a-b c_d\"|title }} {{ 'hELLO wORLD'|capitalize }} {{ ' "
       "x '|trim }}| {{ 'xxaxx'|trim('x') }} {{ '  \\u3000 wide \\u00a0'|trim }}| {{ s|upper }} {{ "
       "s|lower }}",
       "Hello World It's A-B C_d Hello world x| a wide| HELLO WORLD hello world"},
      {"{{ l|length }} {{ s|count }} {{ d|length }} {{ u|length }} {{ undefined_name|length }} {{ "
       "d|items|list }} {{ undefined_name|items|list }} {{ 'ab'|list }} {{ d|list }}",
       "3 11 2 11 0 [('a', 1), ('b', [1, 2])] [] ['a', 'b'] ['a', 'b']"},
      {"{{ [{'a':1},{'a':2},{'b':3}]|selectattr('a')|list }} {{ "
       "[{'a':1},{'a':2},{'b':3}]|selectattr('a','equalto',2)|list }} {{ "
       "[{'a':1},{'a':2},{'b':3}]|rejectattr('a','defined')|list }} {{ "
       "[{'a':1},{'a':2}]|map(attribute='a')|list }} {{ ['a','b']|map('upper')|join }} {{ [1, 2, "
       "3, 4]|select('odd')|list }} {{ [1, 2, 3, 4]|reject('odd')|list }} {{ [0, 1, '', "
       "'x']|select|list }}",
       "[{'a': 1}, {'a': 2}] [{'a': 2}] [{'b': 3}] [1, 2] AB [1, 3] [2, 4] [1, 'x']"},
      {"{{ m|selectattr('role', 'equalto', 'user')|list|length }} {{ "
       "m|map(attribute='role')|join(', ') }} {{ m|map(attribute='missing', default='?')|list }} "
       "{{ [{'a': {'b': 5}}]|map(attribute='a.b')|list }} {{ [[1, 2], [3, "
       "4]]|map(attribute='1')|list }}",
       "1 user, assistant ['?', '?'] [5] [2, 4]"},
      {"{{ 'x'|indent(2) }}|{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'a\\nb'|indent(2, true) }}|{{ "
       "'a\\n\\nb'|indent(2, blank=true) }}|{{ 'a\\nb'|indent('--', first=true) }}|{{ "
       "'a\\nb\\n'|indent }}|",
       "x|a\n  b\n\n  c|  a\n  b|a\n  \n  b|--a\n--b|a\n    b\n|"},
      {"{{ 3.7|int }} {{ '42'|int }} {{ 'x'|int }} {{ '3.5'|int }} {{ ' 7 '|int }} {{ 'x'|int(9) "
       "}} {{ 'ff'|int(base=16) }} {{ '0x1A'|int(0, 16) }} {{ true|int }} {{ none|int }} {{ "
       "'3.5'|float }} {{ 'abc'|float }} {{ 2|float }} {{ '1e3'|float }}",
       "3 42 0 3 7 9 255 26 1 0 3.5 0.0 2.0 1000.0"},
      {"{{ -3|abs }} {{ -2.5|abs }} {{ 2.5|round }} {{ 3.5|round }} {{ 3.14159|round(2) }} {{ "
       "2.675|round(2) }} {{ 2.5|round(0,'floor') }} {{ 2.1|round(0, 'ceil') }} {{ 3|round }} {{ "
       "1234|round(-2) }} {{ 2.5|round|int }}",
       "3 2.5 2.0 4.0 3.14 2.67 2.0 3.0 3 1200 2"},
      {"{{ 5|string }} {{ none|string }} {{ true|string }} {{ [1, 'a']|string }} {{ 1.0|string }} "
       "{{ x|string }}|",
       "5 None True [1, 'a'] 1.0 |"},
      {"{{ x|default('dflt') }} {{ none|default('dflt') }} {{ none|default('dflt', true) }} {{ "
       "''|d('e', true) }} {{ x|d }}| {{ 0|default(5) }} {{ d.zz|default(d.a) }}",
       "dflt None dflt e | 0 1"},
      {"{{ d|tojson }} {{ d|tojson(indent=2) }} {{ 'é\"\\n<>&\\''|tojson }} {{ [1.0, 1e20, none, "
       "true, 1.5e-7]|tojson }} {{ {}|tojson(indent=2) }} {{ {'a':[]}|tojson(indent=2) }} {{ "
       "'ü🙂'|tojson(ensure_ascii=true) }} {{ {'b': 1, 'a': [1, 2]}|tojson(sort_keys=true) }} "
       "{{ "
       "{'a': 1, 'b': 2}|tojson(separators=(',', ':')) }} {{ [1, [2, {'x': "
       "3}]]|tojson(indent='\\t') }} {{ m|tojson(indent=0) }}",
       "{\"a\": 1, \"b\": [1, 2]} {\n  \"a\": 1,\n  \"b\": [\n    1,\n    2\n  ]\n} "
       "\"é\\\"\\n<>&'\" [1.0, 1e+20, null, true, 1.5e-07] {} {\n  \"a\": []\n} "
       "\"\\u00fc\\ud83d\\ude42\" {\"a\": [1, 2], \"b\": 1} {\"a\":1,\"b\":2} "
       "[\n\t1,\n\t[\n\t\t2,\n\t\t{\n\t\t\t\"x\": 3\n\t\t}\n\t]\n] [\n{\n\"role\": "
       "\"user\",\n\"content\": \"hi\"\n},\n{\n\"role\": \"assistant\",\n\"content\": "
       "\"yo\"\n}\n]"},
      {"{{ 'a\\x01b\\tc\\x7f'|tojson }} {{ 1|tojson }} {{ 'x'|tojson }} {{ none|tojson }} {{ (1, "
       "2)|tojson }}",
       "\"a\\u0001b\\tc\x7f"
       "\" 1 \"x\" null [1, 2]"},
      {"{{ '%s-%d' % ('a', 3) }} {{ '%05.1f|%-4s|%4s' % (3.14159, 'ab', 'cd') }} {{ '%(x)s=%(y)r' "
       "% {'x': 1, 'y': 'z'} }} {{ '%x %o %%' % (255, 8) }} {{ '%s' % [1, 2] }} {{ '%s and "
       "%s'|format('a', 'b') }} {{ '%(k)s'|format(k='v') }}",
       "a-3 003.1|ab  |  cd 1='z' ff 10 % [1, 2] a and b v"},
      {"{{ '{}-{}'.format(1, 'b') }} {{ '{a}'.format(a=1) }} {{ '{0}{1}{0}'.format('x', 'y') }} {{ "
       "'{:>5}|{:<5}|{:^5}|'.format('a', 'b', 'c') }} {{ '{:.2f} {:5d} {:,}'.format(3.14159, 42, "
       "1234567) }} {{ '{{literal}} {!r}'.format('q') }} {{ '{0[a]} {1.role}'.format({'a': 5}, "
       "m[0]) }}",
       "1-b 1 xyx     a|b    |  c  | 3.14    42 1,234,567 {literal} 'q' 5 user"},
      {"{{ d|dictsort }} {{ {'b': 2, 'A': 1, 'a': 3}|dictsort }} {{ {'b': 2, 'a': "
       "1}|dictsort(by='value', reverse=true) }}",
       "[('a', 1), ('b', [1, 2])] [('A', 1), ('a', 3), ('b', 2)] [('b', 2), ('a', 1)]"},
      {"{{ [3, 1, 2]|max }} {{ [3, 1, 2]|min }} {{ ['b', 'A', 'c']|max }} {{ [{'n': 2}, {'n': "
       "5}]|max(attribute='n') }} {{ []|max }}| {{ [1, 2, 3]|sum }} {{ [{'n': 2}, {'n': "
       "5}]|sum(attribute='n') }} {{ [1.5, 2]|sum(start=10) }} {{ [[1], [2]]|sum(start=[]) }}",
       "3 1 c {'n': 5} | 6 7 13.5 [1, 2]"},
      {"{{ 'a<b>&\"c\\''|e }} {{ 'x'|safe }} {{ 1|safe ~ 'y' }} {{ 'text'|center(10) }}| {{ 'one "
       "two  three'|wordcount }} {{ 'abcabc'|replace('b', 'X') }} {{ 'abcabc'|replace('b', 'X', 1) "
       "}}",
       "a&lt;b&gt;&amp;&#34;c&#39; x 1y    text   | 3 aXcaXc aXcabc"},
      {"{{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 'x')|list }} {{ 'a long sentence "
       "that will be cut'|truncate(15) }} {{ 'a long sentence that will be cut'|truncate(15, true) "
       "}} {{ 'short'|truncate(15) }}",
       "[[1, 2], [3, 4], [5]] [[1, 2], [3, 'x']] a long... a long sente... short"},
      {"{{ m[0]|attr('role') }}| {{ s|attr('upper')() }} {{ []|first }}| {{ []|last }}| {{ "
       "'abc'|first }} {{ 'abc'|last }} {{ d|first }}",
       "| HELLO WORLD | | a c a"},
  });
}

TEST(JinjaTests, RendersAsPythonJinja) {
  expect_renders({
      {"{{ 1 is odd }} {{ 2 is even }} {{ 'a' is string }} {{ 1 is number }} {{ true is number }} "
       "{{ true is boolean }} {{ d is mapping }} {{ l is iterable }} {{ s is iterable }} {{ l is "
       "sequence }} {{ s is sequence }} {{ d is sequence }} {{ none is none }} {{ false is false "
       "}} {{ 1 is true }} {{ true is true }}",
       "True True True True True True True True True True True True True True False True"},
      {"{{ 6 is divisibleby 3 }} {{ 7 is divisibleby(3) }} {{ 1 is in [1] }} {{ 1 is eq 1 }} {{ 1 "
       "is equalto 2 }} {{ x is undefined }} {{ 1 is integer }} {{ 1.0 is float }} {{ 1.0 is "
       "integer }} {{ true is integer }} {{ 3 is gt 2 }} {{ 3 is lt 2 }} {{ 3 is ge 3 }} {{ 2 is "
       "le 1 }} {{ 2 is ne 2 }}",
       "True False True True False True True True False False True False True False False"},
      {"{{ x is defined }} {{ n is defined }} {{ n is not none }} {{ d.a is defined }} {{ d.zz is "
       "not defined }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aB' is lower }} {{ none is "
       "sameas none }} {{ true is sameas true }} {{ 'upper' is filter }} {{ 'odd' is test }} {{ "
       "'nope' is filter }} {{ range is callable }} {{ s is callable }} {{ s.upper is callable }}",
       "False True False True True True True False True True True True False True False True"},
      {"{{ 'a' is string and 'b' is not number }} {{ not x is defined }} {{ 'y' if t is true else "
       "'n' }} {{ 0 is false }} {{ [] is iterable }} {{ m[0] is mapping }} {{ x is iterable }} {{ "
       "x is sequence }} {{ 3 is escaped }}",
       "True True y False True True True True False"},
  });
}

// map, select, unique, ... return Python generators (truthy, one pass, no len),
// reverse returns an iterator, and dict.keys()/values()/items() return views.
TEST(JinjaLazySequences, BehaveAsPythonGeneratorsAndViews) {
  expect_renders({
      {"{% set users = m | selectattr('role', 'equalto', 'nobody') %}{% if users %}generators are "
       "truthy{% endif %}|{{ users | list }}|{{ m | selectattr('role', 'equalto', 'nobody') | list "
       "| length }}",
       "generators are truthy|[]|0"},
      {"{% set g = l | map('string') %}{{ g | join(',') }}|{{ g | join(',') }}|{% for x in "
       "l|select('odd') %}{{ x }}{% endfor %}",
       "3,1,2||31"},
      {"{{ d.items() | length }} {{ d.keys() }} {{ d.values() }} {{ d.items() }} {{ 'a' in "
       "d.keys() }} {% if {}.items() %}x{% else %}empty view is falsy{% endif %}",
       "2 dict_keys(['a', 'b']) dict_values([1, [1, 2]]) dict_items([('a', 1), ('b', [1, 2])]) "
       "True empty view is falsy"},
      {"{{ l | reverse | list }} {{ (l | map('string') | reverse) }} {{ d | reverse | list }} {{ x "
       "| reverse | list }}",
       "[2, 1, 3] ['2', '1', '3'] ['b', 'a'] []"},
      {"{{ 0 | map('string') | list }} {{ none | select | list }} {{ x | selectattr('y') | list }} "
       "{{ s % x }}|{{ 'abc' % [1, 2] }}|{{ '%s' % {'a': 1} }}",
       "[] [] [] Hello World|abc|{'a': 1}"},
      {"{{ 'a' is iterable }} {{ l | select('odd') is iterable }} {{ l | select('odd') is sequence "
       "}} {{ d.keys() is sequence }} {{ x is callable }} {{ x is iterable }}",
       "True True False False True True"},
  });
}

}  // namespace
}  // namespace wizard::chat_test
