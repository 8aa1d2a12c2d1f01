#include "browser_check.hpp"

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "test_support.hpp"

namespace wizard::test {

namespace fs = std::filesystem;

namespace {

// Added before </body> of a copy: records page errors, and after load counts each plot's
// drawn marks (polylines and circles with a non-empty bounding box) into #wizard-check.
const char* kCheckScript = R"(<script>
window.wizardErrors = [];
window.addEventListener('error', e => window.wizardErrors.push(String(e.message)));
window.addEventListener('load', () => {
  const out = [];
  document.querySelectorAll('svg.plot').forEach(svg => {
    let drawn = 0;
    svg.querySelectorAll('polyline.series, circle').forEach(mark => {
      const box = mark.getBBox();
      if (box.width > 0 || box.height > 0) drawn++;
    });
    out.push(svg.getAttribute('aria-label') + '\t' + drawn);
  });
  const result = document.createElement('pre');
  result.id = 'wizard-check';
  result.textContent = 'PLOTS\n' + out.join('\n') + '\nERRORS\n' + window.wizardErrors.join('\n') + '\nEND';
  document.body.appendChild(result);
});
</script>)";

std::string run(const std::string& command) {
  const fs::path out = temp_dir("chromium") / "out.txt";
  std::system((command + " > '" + out.string() + "' 2>&1").c_str());
  return read_text(out);
}

}  // namespace

std::optional<std::string> chromium_binary() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    if (std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0) {
      return std::string(name);
    }
  }
  return std::nullopt;
}

RenderedReport render_in_chromium(const std::string& chromium, const fs::path& html,
                                  const fs::path& screenshot) {
  std::string page = read_text(html);
  const auto body_end = page.rfind("</body>");
  if (body_end == std::string::npos) throw std::runtime_error(html.string() + " has no </body>");
  page.insert(body_end, kCheckScript);
  const fs::path checked = html.parent_path() / "report_checked.html";
  std::ofstream(checked) << page;

  // No network: the page must not need any (a proxy that does not exist refuses every request).
  const std::string flags =
      " --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run"
      " --disable-background-networking --proxy-server=127.0.0.1:9 --enable-logging=stderr"
      " --user-data-dir='" +
      (temp_dir("chromium-profile") / "p").string() + "'";
  RenderedReport rendered;
  const std::string dom = run(chromium + flags + " --virtual-time-budget=5000 --dump-dom 'file://" +
                              fs::absolute(checked).string() + "'");
  rendered.browser_output = dom;
  std::smatch match;
  const std::regex block("PLOTS\\n([\\s\\S]*?)\\nERRORS\\n([\\s\\S]*?)\\nEND");
  if (!std::regex_search(dom, match, block)) {
    rendered.page_errors = "the checking script produced no result";
    return rendered;
  }
  std::istringstream lines(match[1].str());
  for (std::string line; std::getline(lines, line);) {
    const auto tab = line.find('\t');
    if (tab != std::string::npos)
      rendered.plots.emplace_back(line.substr(0, tab), std::stoi(line.substr(tab + 1)));
  }
  rendered.page_errors = match[2].str();
  if (dom.find("Uncaught") != std::string::npos)
    rendered.page_errors += "\nUncaught error in the log";
  run(chromium + flags + " --window-size=1500,2600 --screenshot='" + screenshot.string() +
      "' 'file://" + fs::absolute(html).string() + "'");
  return rendered;
}

}  // namespace wizard::test
