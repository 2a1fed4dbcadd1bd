#include "spec_examples.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mxcall::test {

nlohmann::json load_resolved(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open spec example " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str());  // the .yaml examples are plain JSON
  if (!doc.is_object() || !doc.contains("$ref")) return doc;
  nlohmann::json base = load_resolved(file.parent_path() / doc["$ref"].get<std::string>());
  for (auto& [key, value] : doc.items()) {
    if (key != "$ref") base[key] = value;
  }
  return base;
}

std::vector<SpecExample> load_call_examples(const std::filesystem::path& examples_dir) {
  std::vector<SpecExample> out;
  if (!std::filesystem::is_directory(examples_dir)) {
    throw std::runtime_error("spec examples folder not found: " + examples_dir.string() +
                             " (set MXCALL_SPEC_DIR to the spec's folder)");
  }
  for (const auto& entry : std::filesystem::directory_iterator(examples_dir)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("m.call.") && name.ends_with(".yaml")) out.push_back({name, load_resolved(entry.path())});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

}  // namespace mxcall::test
