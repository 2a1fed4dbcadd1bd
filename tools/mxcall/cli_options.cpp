#include "cli_options.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace mxcall::tools {

std::optional<std::string> ParsedOptions::value(std::string_view name) const {
  auto it = values_.find(std::string(name));
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::vector<std::string> ParsedOptions::list(std::string_view name) const {
  std::vector<std::string> out;
  auto it = values_.find(std::string(name));
  if (it == values_.end()) return out;
  for (const std::string& value : it->second) {
    std::size_t start = 0;
    while (start <= value.size()) {
      std::size_t comma = value.find(',', start);
      if (comma == std::string::npos) comma = value.size();
      if (comma > start) out.push_back(value.substr(start, comma - start));
      start = comma + 1;
    }
  }
  return out;
}

struct OptionParser {
  static ParseOutcome parse(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs) {
    ParseOutcome out;
    bool only_positionals = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
      const std::string& arg = args[i];
      if (only_positionals || arg.size() < 2 || arg[0] != '-') {
        out.options.positionals_.push_back(arg);
        continue;
      }
      if (arg == "--") {
        only_positionals = true;
        continue;
      }
      if (arg == "-h") {
        out.options.values_["help"].push_back({});
        continue;
      }
      if (arg.rfind("--", 0) != 0) {
        out.error = "unknown option " + arg + " (options are spelt --name)";
        return out;
      }
      std::string name = arg.substr(2);
      std::optional<std::string> inline_value;
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
      }
      const OptionSpec* spec = nullptr;
      for (const OptionSpec& s : specs) {
        if (s.name == name) spec = &s;
      }
      if (spec == nullptr) {
        out.error = "unknown option --" + name;
        return out;
      }
      auto& values = out.options.values_[name];
      if (!values.empty() && !spec->repeatable) {
        out.error = "--" + name + " is given twice";
        return out;
      }
      if (spec->value_name.empty()) {
        if (inline_value) {
          out.error = "--" + name + " takes no value";
          return out;
        }
        values.push_back({});
        continue;
      }
      if (inline_value) {
        values.push_back(*inline_value);
      } else if (i + 1 < args.size()) {
        values.push_back(args[++i]);
      } else {
        out.error = "--" + name + " needs a value (" + std::string(spec->value_name) + ")";
        return out;
      }
    }
    return out;
  }
};

ParseOutcome parse_options(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs) {
  return OptionParser::parse(args, specs);
}

std::string format_options(const std::vector<OptionSpec>& specs) {
  std::vector<std::string> heads;
  std::size_t width = 0;
  for (const OptionSpec& s : specs) {
    std::string head = "  --" + std::string(s.name);
    if (!s.value_name.empty()) head += " " + std::string(s.value_name);
    width = std::max(width, head.size());
    heads.push_back(std::move(head));
  }
  std::string out;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    out += heads[i] + std::string(width - heads[i].size() + 2, ' ');
    // Continuation lines of a long help text line up under its first line.
    std::string_view help = specs[i].help;
    std::size_t start = 0;
    while (start < help.size()) {
      std::size_t nl = help.find('\n', start);
      if (nl == std::string_view::npos) nl = help.size();
      if (start > 0) out += std::string(width + 2, ' ');
      out += std::string(help.substr(start, nl - start)) + "\n";
      start = nl + 1;
    }
    if (help.empty()) out += "\n";
  }
  return out;
}

std::optional<double> number_option(const ParsedOptions& options, std::string_view name, double min, double max,
                                    std::string* error) {
  auto text = options.value(name);
  if (!text) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size() || !std::isfinite(value) || value < min || value > max) {
    char range[96];
    std::snprintf(range, sizeof range, "a number from %g to %g", min, max);
    *error = "--" + std::string(name) + " " + *text + ": expected " + range;
    return std::nullopt;
  }
  return value;
}

}  // namespace mxcall::tools
