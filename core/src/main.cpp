#include <iostream>

#include "wizard/version.hpp"

int main() {
  std::cout << "wizard " << WIZARD_VERSION_STRING << "\n";
  return 0;
}
