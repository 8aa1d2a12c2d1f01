// An ordinary shared library (no wizard ABI tag) sitting in a plugin folder.
extern "C" int not_a_plugin_answer() {
  return 42;
}
