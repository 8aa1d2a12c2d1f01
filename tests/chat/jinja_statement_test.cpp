// Statements: for (loop variables, else, filters, break/continue), set, namespace, macros, call,
// with, filter.
#include "chat_test_util.hpp"

namespace wizard::chat_test {
namespace {

TEST(JinjaStatements, RendersAsPythonJinja) {
  expect_renders({
      {"{% for i in [1,2] %}{{ x }}{% set x = i %}{% endfor %}[{{ x }}]", "[]"},
      {"{% set x = 5 %}{% for i in [1,2] %}{{ x }}{% set x = i %}{{x}}{% endfor %}[{{ x }}]",
       "5152[5]"},
      {"{% set x = 'a' %}{% if true %}{% set x = 'b' %}{% endif %}{{ x }}", "b"},
      {"{% for x in l %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 "
       "}}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }}/{{ loop.previtem }}/{{ loop.nextitem "
       "}}/{{ loop.depth }}/{{ loop.cycle('a','b') }};{% endfor %}",
       "1/0/3/2/True/False/3//1/1/a;2/1/2/1/False/False/3/3/2/1/b;3/2/1/0/False/True/3/1//1/a;"},
      {"{% for x in l if x > 1 %}{{ loop.index }}:{{ x }}/{{ loop.length }};{% else %}none{% "
       "endfor %}|{% for x in [] %}{% else %}empty{% endfor %}|{% for x in l if x > 5 %}{% else "
       "%}filtered away{% endfor %}",
       "1:3/2;2:2/2;|empty|filtered away"},
      {"{% for x in l %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 2 %}{% break %}{% endif "
       "%}{{ x }}{% endfor %}|{% for x in l %}{% for y in l %}{% if y == 1 %}{% break %}{% endif "
       "%}{{ x }}{{ y }},{% endfor %}{% endfor %}",
       "3|33,13,23,"},
      {"{% for a in [1, 2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{{ "
       "loop.index }};{% endfor %}",
       "11x 21y 1;12x 22y 2;"},
      {"{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor "
       "%}{% for c in 'ab' %}[{{ c }}]{% endfor %}{% for x in undefined_thing %}never{% endfor %}",
       "a=1;b=[1, 2];ab[a][b]"},
      {"{% for message in m %}{{ loop.index0 }}{{ message.role[0] }}{% if not loop.last %},{% "
       "endif %}{% endfor %}",
       "0u,1a"},
      {"{% for message in m[::-1] %}{% set index = (m|length - 1) - loop.index0 %}{{ index }}{{ "
       "message.role }} {% endfor %}",
       "1assistant 0user "},
      {"{% set ns = namespace(a=1, b=[]) %}{% for x in l %}{% set ns.a = ns.a + x %}{% endfor %}{{ "
       "ns.a }} {{ ns }}",
       "7 <Namespace {'a': 7, 'b': []}>"},
      {"{% set ns = namespace() %}{{ ns.zz }}|{{ ns.zz is defined }}{% set ns.zz = 'set' %}|{{ "
       "ns.zz }}|{{ ns['zz'] }}",
       "|False|set|set"},
      {"{% set ns = namespace(found=false) %}{% for message in m %}{% if message.role == "
       "'assistant' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}",
       "True"},
      {"{% set ns = namespace(items=[]) %}{% for x in l %}{% set ns.items = ns.items + [x * 2] "
       "%}{% endfor %}{{ ns.items }}",
       "[6, 2, 4]"},
      {"{% macro f(a, b=2) %}[{{ a }}-{{ b }}-{{ varargs }}-{{ kwargs }}]{% endmacro %}{{ f(1) "
       "}}{{ f(1, 3) }}{{ f(b=5, a=0) }}{{ f() }}",
       "[1-2-()-{}][1-3-()-{}][0-5-()-{}][-2-()-{}]"},
      {"{% macro f(a) %}<{{ caller() }}{{ a }}>{% endmacro %}{% call f(1) %}inner{% endcall %}",
       "<inner1>"},
      {"{% macro row(x) %}{{ x }}{% if x > 0 %},{{ row(x - 1) }}{% endif %}{% endmacro %}{{ row(3) "
       "}}",
       "3,2,1,0"},
      {"{% set x = 1 %}{% macro m() %}{{ x }}{% endmacro %}{% set x = 2 %}{{ m() }}", "2"},
      {"{% macro m() %}{% set y = 5 %}{{ s }}{% endmacro %}{{ m() }}{{ y }}", "Hello World"},
      {"{% macro render_type(t) %}{% if t == 'string' %}str{% elif t == 'integer' %}int{% else "
       "%}{{ t }}{% endif %}{% endmacro %}{% for t in ['string', 'integer', 'object'] %}{{ "
       "render_type(t) }} {% endfor %}",
       "str int object "},
      {"{% set x %}  block {{ 1 }} {% endset %}[{{ x }}]{% set y | upper %}shout{% endset %}{{ y "
       "}}",
       "[  block 1 ]SHOUT"},
      {"{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, (d2, e2) = [1, [2, 3]] %}{{ c }}{{ d2 }}{{ e2 "
       "}}",
       "12123"},
      {"{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a }}", "3"},
      {"{% filter upper %}hello {{ s }}{% endfilter %}", "HELLO HELLO WORLD"},
      {"{% if false %}a{% elif n %}b{% elif t %}c{% else %}d{% endif %}{% if l %}nonempty{% endif "
       "%}{% if e %}x{% else %}empty string{% endif %}",
       "cnonemptyempty string"},
      {"{% if d.zz is defined and d.zz %}x{% else %}y{% endif %}{% if m[0].content is string "
       "%}str{% endif %}",
       "ystr"},
      {"{% for x in range(3) %}{{ x }}{% endfor %}{{ range(2, 10, 3)|list }}{{ range(5, 0, "
       "-2)|list }}{{ range(0)|list }}",
       "012[2, 5, 8][5, 3, 1][]"},
      {"{{ dict(a=1, b='x') }}{{ namespace(d).a }}", "{'a': 1, 'b': 'x'}1"},
      {"{% for x in l %}{{ loop.changed(x > 1) }}{% endfor %}", "TrueTrueTrue"},
      {"{% set j = joiner('|') %}{% for x in l %}{{ j() }}{{ x }}{% endfor %}", "3|1|2"},
      {"{% print 'printed' %}", "printed"},
  });
}

TEST(JinjaStatements, GenerationTagRendersItsBody) {
  // transformers' AssistantTracker extension: {% generation %} only marks text.
  EXPECT_EQ(render("{% generation %}assistant {{ s }}{% endgeneration %}!"),
            "assistant Hello World!");
}

TEST(JinjaStatements, LoopVariableSurvivesTheLoopThroughANamespace) {
  EXPECT_EQ(render("{% set ns = namespace() %}{% for x in l %}{% set ns.l = loop %}{% endfor %}{{ "
                   "ns.l.length }}"),
            "3");
}

TEST(JinjaStatements, RecursiveMacroDepthIsBounded) {
  EXPECT_NE(render_error("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").find("nests deeper"),
            std::string::npos);
}

// Jinja details templates can run into: `else` of a for loop runs when no
// iteration reached the end of the body; filter and set blocks have their own
// scope; a loop filter re-packs tuple targets; macros take surplus arguments
// only when their body mentions varargs/kwargs/caller.
TEST(JinjaStatements, QuirksMatchJinja) {
  expect_renders({
      {"{% for x in l %}{% continue %}{% else %}else runs: no iteration completed{% endfor %}|{% "
       "for x in l %}{% if x == 1 %}{% continue %}{% endif %}{% else %}never{% endfor %}|{% for x "
       "in l %}{% break %}{% else %}else after break{% endfor %}",
       "else runs: no iteration completed||else after break"},
      {"{% filter upper %}{% set inner = 1 %}{% endfilter %}{{ inner is defined }}|{% set outer "
       "%}{% set inner2 = 2 %}{% endset %}{{ inner2 is defined }}",
       "False|False"},
      {"{% for k, v in d.items() if k %}{{ loop.previtem }};{% endfor %}", ";('a', 1);"},
      {"{% macro m(a) %}{{ kwargs }}{% endmacro %}{{ m(1, z=2) }}|{% macro n(a) %}{{ varargs }}{% "
       "endmacro %}{{ n(1, 2, 3) }}|{% macro o(a) %}{% macro inner() %}{{ varargs }}{% endmacro "
       "%}{% endmacro %}{{ o(1, 2) }}",
       "{'z': 2}|(2, 3)|"},
      {"{% macro m(a) %}[{{ caller() if caller is defined else 'no caller' }}]{% endmacro %}{{ "
       "m(1) }}{% call m(2) %}body{% endcall %}",
       "[no caller][body]"},
  });
}

}  // namespace
}  // namespace wizard::chat_test
