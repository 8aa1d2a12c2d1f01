// Errors name what failed and where (line:column in the template); unsupported
// constructs are named as such. Messages of Python's own errors keep Python's
// wording, so users can search for them.
#include "chat_test_util.hpp"

namespace wizard::chat_test {
namespace {

struct ErrorCase {
  const char* source;
  std::size_t line;
  std::size_t column;
  const char* reason;  // a part of ChatTemplateError::reason()
};

void expect_errors(const std::vector<ErrorCase>& cases) {
  const nlohmann::ordered_json context = {{"d", {{"a", 1}}}, {"l", {1, 2}}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.source);
    try {
      const std::string text = ChatTemplate(c.source, "t").render(context);
      ADD_FAILURE() << "rendered instead of failing: " << text;
    } catch (const ChatTemplateError& e) {
      EXPECT_EQ(e.line(), c.line) << e.what();
      EXPECT_EQ(e.column(), c.column) << e.what();
      EXPECT_NE(e.reason().find(c.reason), std::string::npos) << e.what();
      EXPECT_EQ(e.template_name(), "t");
      EXPECT_FALSE(e.raised_by_template());
    }
  }
}

TEST(JinjaErrors, SyntaxErrorsPointAtTheToken) {
  expect_errors({
      {"{{ 1 + }}", 1, 8, "unexpected '}}'"},
      {"{{ 'abc }}", 1, 4, "unterminated string literal"},
      {"{{ a ! b }}", 1, 6, "unexpected character '!'"},
      {"{{ [1,2}} }}", 1, 8, "unexpected '}', expected ']'"},
      {"{% macro m(a=1, b) %}{% endmacro %}", 1, 18,
       "non-default argument follows default argument"},
      {"{{ x", 1, 1, "unexpected end of template, expected '}}'"},
      {"{# never closed", 1, 1, "missing end of comment tag"},
      {"{% raw %}never closed", 1, 1, "missing end of raw directive"},
  });
}

TEST(JinjaErrors, BlocksMustBeClosedInOrder) {
  expect_errors({
      {"a\n{% for x in l %}b", 2, 4,
       "the 'for' tag here was never closed (expected 'endfor' or 'else')"},
      {"{% if x %}{% endfor %}", 1, 14, "the innermost open block is 'if'"},
      {"{% endif %}", 1, 4, "there is no open block it could close"},
      {"{% break %}", 1, 4, "'break' outside of a for loop"},
      {"{% for x in l %}{% macro m() %}{% continue %}{% endmacro %}{% endfor %}", 1, 35,
       "'continue' outside of a for loop"},
  });
}

TEST(JinjaErrors, UnknownAndUnsupportedNamesAreReportedWhenParsing) {
  expect_errors({
      {"ok\n  {% foo %}", 2, 6, "unknown tag 'foo'"},
      {"{% include 'x' %}", 1, 4, "the tag 'include' is not supported"},
      {"{% extends 'base' %}", 1, 4, "the tag 'extends' is not supported"},
      {"{% do l.append(1) %}", 1, 4, "unknown tag 'do'"},  // transformers does not enable `do`
      {"{{ x | nope }}", 1, 8, "no filter named 'nope'"},
      {"{{ x|wordwrap }}", 1, 6, "the filter 'wordwrap' is not supported"},
      {"{{ x is nope }}", 1, 9, "no test named 'nope'"},
      {"{% for x in l recursive %}{% endfor %}", 1, 15, "recursive for loops are not supported"},
  });
}

TEST(JinjaErrors, RuntimeErrorsPointAtTheExpression) {
  expect_errors({
      {"line\n {{ x.y }}", 2, 6, "'x' is undefined"},
      {"{{ d.zz.y }}", 1, 8, "'dict object' has no attribute 'zz'"},
      {"{{ foo() }}", 1, 7, "'foo' is undefined"},
      {"{{ none.x.y }}", 1, 10, "'None' has no attribute 'x'"},
      {"{{ 'a' + 1 }}", 1, 8, "can only concatenate str (not \"int\") to str"},
      {"{{ 1 < 'a' }}", 1, 4, "'<' not supported between instances of 'int' and 'str'"},
      {"{{ 1 // 0 }}", 1, 6, "integer division or modulo by zero"},
      {"{{ 'x'.encode() }}", 1, 14, "the str method 'encode' is not supported"},
      {"{{ l.append(1) }}", 1, 12, "access to attribute 'append' of 'list' object is unsafe"},
      {"{% set d.a = 1 %}", 1, 1, "cannot assign attribute on non-namespace object"},
      {"{% for a, b in [1] %}{% endfor %}", 1, 1, "cannot unpack non-iterable int object"},
      {"{% set a, b = [1, 2, 3] %}", 1, 1, "too many values to unpack (expected 2)"},
      {"{{ range(1000000) }}", 1, 9, "Range too big"},
      {"{{ d | tojson(indent=none) ~ (d.a | tojson(separators=1)) }}", 1, 37,
       "separators must be a pair"},
      {"{{ namespace() | tojson }}", 1, 18, "Object of type Namespace is not JSON serializable"},
      {"{{ 'x'|trim(1) }}", 1, 8, "strip() argument must be str, not int"},
      {"{{ '%c'|format(1114112) }}", 1, 9, "%c arg not in range(0x110000)"},
      {"{{ '{:c}'.format(-1) }}", 1, 17, "%c arg not in range(0x110000)"},
      {"{{ d.items(1) }}", 1, 11, "takes no arguments"},
      {"{% macro m(a) %}x{% endmacro %}{{ m(1, 2) }}", 1, 36,
       "macro 'm' takes not more than 1 argument(s)"},
      {"{% macro m(a) %}x{% endmacro %}{{ m(1, a=2) }}", 1, 36,
       "macro 'm' takes no keyword argument 'a'"},
      {"{% macro m(a) %}x{% endmacro %}{% call m(1) %}y{% endcall %}", 1, 32,
       "takes no keyword argument 'caller'"},
  });
}

TEST(JinjaErrors, RaiseExceptionCarriesTheTemplatesMessage) {
  const std::string source =
      "{%- if true %}\n  {{ raise_exception('Bad role: ' ~ 'x') }}\n{% endif %}";
  try {
    render(source);
    FAIL() << "raise_exception did not raise";
  } catch (const ChatTemplateError& e) {
    EXPECT_TRUE(e.raised_by_template());
    EXPECT_EQ(e.reason(), "Bad role: x");
    EXPECT_EQ(e.line(), 2u);
    EXPECT_EQ(e.column(), 21u);
    EXPECT_NE(std::string(e.what()).find("Bad role: x"), std::string::npos);
  }
}

TEST(JinjaErrors, ColumnsCountCharactersNotBytes) {
  const std::string message = render_error("{{ 'é' }}{{ é.x }}");
  EXPECT_NE(message.find("line 1, column 14"), std::string::npos) << message;
}

TEST(JinjaErrors, ContextMustBeAnObject) {
  EXPECT_THROW(ChatTemplate("x").render(nlohmann::ordered_json::array()), Error);
}

}  // namespace
}  // namespace wizard::chat_test
