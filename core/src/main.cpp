#include "cli.hpp"

int main(int argc, char** argv) {
  return wizard::core::run_cli(argc, argv);
}
