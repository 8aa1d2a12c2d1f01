// Rendering a report in headless Chromium (Debian's `chromium`, no sandbox, no network): a
// screenshot, and what a small checking script, added to a copy of the page, finds once the
// page has loaded: for each plot how many of its lines and points have a non-empty box, and
// any error the page raised.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wizard::test {

// The Chromium binary on PATH (chromium, chromium-browser, google-chrome), if any.
std::optional<std::string> chromium_binary();

struct RenderedReport {
  std::vector<std::pair<std::string, int>> plots;  // plot title, drawn lines and points
  std::string page_errors;                         // "" when the page raised none
  std::string browser_output;                      // Chromium's stdout and stderr
};

// Renders `html` and writes a screenshot of it to `screenshot` (PNG).
RenderedReport render_in_chromium(const std::string& chromium, const std::filesystem::path& html,
                                  const std::filesystem::path& screenshot);

}  // namespace wizard::test
