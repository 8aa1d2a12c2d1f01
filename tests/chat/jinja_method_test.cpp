// Python methods of str, dict and list called from templates.
#include "chat_test_util.hpp"

namespace wizard::chat_test {
namespace {

TEST(JinjaMethods, RendersAsPythonJinja) {
  expect_renders({
      {"{{ 'a,b,,c'.split(',') }} {{ 'a b  c'.split(' ') }} {{ '  a b  '.split() }} {{ "
       "'a,b,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }} {{ ' a  b  c '.split(None, 1) }} {{ "
       "' a  b  c '.rsplit(None, 1) }} {{ 'a\\u3000b'.split() }} {{ ''.split() }} {{ ''.split(',') "
       "}} {{ 'abc'.split('abc') }}",
       "['a', 'b', '', 'c'] ['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b,c'] ['a,b', 'c'] ['a', 'b  c "
       "'] [' a  b', 'c'] ['a', 'b'] [] [''] ['', '']"},
      {"{{ 'xyx'.strip('x') }} {{ '  pad  '.strip() }}|{{ '\\n\\nx\\n'.lstrip('\\n') }}|{{ "
       "'\\n\\nx\\n'.rstrip('\\n') }}|{{ "
       "'<think>\\nA\\n</think>\\n\\nB'.split('</think>')[-1].lstrip('\\n') }}|{{ 'ab "
       "cd'.lstrip('ba') }}|{{ 'x\\u00a0 '.rstrip() }}|",
       "y pad|x\n|\n\nx|B| cd|x|"},
      {"{{ 'abc'.find('c') }} {{ 'abc'.find('z') }} {{ 'abcabc'.rfind('b') }} {{ "
       "'abcabc'.find('b', 2) }} {{ 'abc'.index('b') }} {{ 'aaa'.count('a') }} {{ "
       "'aaaa'.count('aa') }} {{ 'abc'.count('') }} {{ 'héllo'.find('l') }}",
       "2 -1 4 4 1 3 2 4 2"},
      {"{{ 'abc'.replace('b','X') }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'abc'.replace('', '-') }} "
       "{{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ 'hello world'.title() }} {{ \"it's "
       "3rd\".title() }} {{ 'hELLO'.capitalize() }} {{ 'Hello'.swapcase() }}",
       "aXc bba -a-b-c- ABC abc Hello World It'S 3Rd Hello hELLO"},
      {"{{ 'abc'.startswith('a') }} {{ 'abc'.startswith(('x', 'ab')) }} {{ 'abc'.endswith('bc') }} "
       "{{ 'abc'.startswith('b', 1) }} {{ 'abc'.endswith('b', 0, 2) }} {{ ''.startswith('') }} {{ "
       "'<tool_response>x</tool_response>'.startswith('<tool_response>') and "
       "'<tool_response>x</tool_response>'.endswith('</tool_response>') }}",
       "True True True True True True True"},
      {"{{ ', '.join(['a', 'b']) }} {{ ''.join('abc') }} {{ '-'.join(d) }} {{ 'x'.center(5) }}| {{ "
       "'x'.ljust(3, '.') }} {{ 'x'.rjust(3, '.') }} {{ '42'.zfill(5) }} {{ '-42'.zfill(5) }} {{ "
       "'a=b=c'.partition('=') }} {{ 'a=b=c'.rpartition('=') }} {{ 'abc'.partition('z') }}",
       "a, b abc a-b   x  | x.. ..x 00042 -0042 ('a', '=', 'b=c') ('a=b', '=', 'c') ('abc', '', "
       "'')"},
      {"{{ 'prefix_x'.removeprefix('prefix_') }} {{ 'x.txt'.removesuffix('.txt') }} {{ "
       "'abc'.isalpha() }} {{ 'a1'.isalnum() }} {{ '123'.isdigit() }} {{ ' \\t'.isspace() }} {{ "
       "''.isspace() }} {{ 'abc'.islower() }} {{ 'ABC'.isupper() }} {{ 'aB'.islower() }} {{ "
       "'1'.islower() }}",
       "x x True True True True False True True False False"},
      {"{{ 'a\\nb\\r\\nc'.splitlines() }} {{ '{} {}'.format('x', 1) }} {{ 'Hi "
       "{name}!'.format(name='Bob') }}",
       "['a', 'b', 'c'] x 1 Hi Bob!"},
      {"{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 5) }} {{ d.keys()|list }} {{ "
       "d.values()|list }} {{ d['a'] }} {{ d.items()|list }} {{ m[0].get('role') }}",
       "1 None 5 ['a', 'b'] [1, [1, 2]] 1 [('a', 1), ('b', [1, 2])] user"},
      {"{{ [1, 2, 2].count(2) }} {{ [1, 2, 3].index(2) }} {{ (1, 2).index(2) }} {{ l.copy() }}",
       "2 1 1 [3, 1, 2]"},
  });
}

TEST(JinjaMethods, MutatingMethodsAreRefusedAsInTheSandbox) {
  EXPECT_NE(render_error("{{ l.append(4) }}")
                .find("access to attribute 'append' of 'list' object is unsafe"),
            std::string::npos);
  EXPECT_NE(render_error("{{ d.update({'x': 1}) }}").find("unsafe"), std::string::npos);
}

}  // namespace
}  // namespace wizard::chat_test
