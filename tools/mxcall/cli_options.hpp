// The options parser every subcommand shares: GNU-style long options (`--name VALUE`, `--name=VALUE`, flags),
// positionals, `--` to end options. Each subcommand lists its options once; the same list prints its --help, so the
// help can never miss an option the parser accepts.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mxcall::tools {

struct OptionSpec {
  std::string_view name;        // without the leading dashes
  std::string_view value_name;  // empty: a flag without a value
  std::string_view help;
  bool repeatable = false;  // may be given more than once (each value is kept)
};

class ParsedOptions {
 public:
  bool has(std::string_view name) const { return values_.count(std::string(name)) != 0; }
  // The value of an option given once; nullopt when absent.
  std::optional<std::string> value(std::string_view name) const;
  // Every value of a repeatable option, in order; comma-separated lists are split.
  std::vector<std::string> list(std::string_view name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  friend struct OptionParser;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
};

struct ParseOutcome {
  ParsedOptions options;
  std::string error;  // non-empty: a usage error, one line naming the option
};

ParseOutcome parse_options(const std::vector<std::string>& args, const std::vector<OptionSpec>& specs);

// "  --name VALUE   help" lines, aligned, for a subcommand's --help.
std::string format_options(const std::vector<OptionSpec>& specs);

// A number option within [min, max]; `error` names the option and the accepted range when the value is not one.
std::optional<double> number_option(const ParsedOptions& options, std::string_view name, double min, double max,
                                    std::string* error);

}  // namespace mxcall::tools
