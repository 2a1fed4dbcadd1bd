// Loads the spec's own m.call.* examples from ../shared/matrix-spec (never copied into the repo), resolving their
// "$ref" chain the way the spec's tooling does: load the referenced file, resolve it, then overlay this object's
// keys on top (a shallow overlay: "content" replaces the core example's content whole).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace mxcall::test {

struct SpecExample {
  std::string name;      // the file name, e.g. "m.call.invite.yaml"
  nlohmann::json event;  // the resolved room event
};

nlohmann::json load_resolved(const std::filesystem::path& file);

// Every m.call.*.yaml example in `examples_dir`, sorted by name. Throws std::runtime_error naming what is missing.
std::vector<SpecExample> load_call_examples(const std::filesystem::path& examples_dir);

}  // namespace mxcall::test
