// mxcall-spec-examples DIR: prints each m.call.* example of the spec, resolved, as one JSON line.
#include <iostream>

#include "spec_examples.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: mxcall-spec-examples <matrix-spec/data/event-schemas/examples>\n";
    return 2;
  }
  try {
    for (const auto& example : mxcall::test::load_call_examples(argv[1])) std::cout << example.event.dump() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "mxcall-spec-examples: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
