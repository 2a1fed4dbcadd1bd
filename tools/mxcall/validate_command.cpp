#include "validate_command.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <limits>
#include <optional>
#include <string_view>

#include "document_source.hpp"
#include "mxcall/protocol/event_reader.hpp"
#include "mxcall/protocol/json_writer.hpp"
#include "mxcall/protocol/send_rules.hpp"
#include "printable.hpp"

namespace mxcall::tools {
namespace {

using protocol::ReadResult;
using protocol::ReadStatus;

constexpr std::string_view kUsage =
    "usage: mxcall validate [--strict] [--json] [FILE...]\n"
    "Reads room events (one JSON object, a JSON array of them, or JSON lines) from each FILE, or from standard input\n"
    "when there is none or FILE is -, and prints one line per event:\n"
    "  ok <type> <call_id>         a call event that can be used\n"
    "  skip <type>                 not a call event\n"
    "  invalid <type or ?>: <why>  names the field and what is wrong with it\n"
    "  --strict  apply the sending rules: what a spec-conformant sender must produce\n"
    "  --json    print one JSON object per event instead\n"
    "Exit status: 0 when no event was invalid, 1 when one was, 2 on a usage or file error.\n";

struct Options {
  bool strict = false;
  bool json = false;
  std::vector<std::string> files;
};

class Validator {
 public:
  explicit Validator(const Options& options) : options_(options), reader_(file_limits()) {}

  bool any_invalid() const { return any_invalid_; }

  void validate_stream(std::FILE* file, std::string_view input_name) {
    const auto& limits = reader_.limits();
    DocumentSource source(file, limits.max_event_bytes, limits.max_batch_bytes);
    InputDocument doc;
    while (source.next(doc)) validate_document(doc, input_name);
    if (source.read_error()) {
      std::cerr << "mxcall validate: error reading " << input_name << ": " << std::strerror(errno) << "\n";
      read_failed_ = true;
    }
  }

  bool read_failed() const { return read_failed_; }

 private:
  void validate_document(const InputDocument& doc, std::string_view input_name) {
    const auto& limits = reader_.limits();
    auto first = doc.text.find_first_not_of(" \t");
    bool is_array = !doc.too_large && first != std::string::npos && doc.text[first] == '[';
    if (!is_array) {
      if (doc.too_large || doc.size > limits.max_event_bytes) {
        std::size_t limit = doc.limit != 0 ? doc.limit : limits.max_event_bytes;
        report_error(input_name, doc.line, {},
                     {"document", "the document is " + std::to_string(doc.size) + " bytes, over the " +
                                      std::to_string(limit) + "-byte limit"});
        return;
      }
      report(input_name, doc.line, reader_.read_event(doc.text));
      return;
    }
    // Each result is printed as it is read: a batch of millions of events costs its parse, not a result each.
    auto error =
        reader_.for_each_event(doc.text, {}, [&](const ReadResult& result) { report(input_name, doc.line, result); });
    if (error) report_error(input_name, doc.line, {}, *error);
  }

  void report(std::string_view input_name, std::size_t line, const ReadResult& result) {
    if (result.status == ReadStatus::invalid) {
      report_error(input_name, line, result.type, result.error);
      return;
    }
    if (result.status == ReadStatus::not_call_event) {
      print(input_name, line, "skip", result.type, {}, nullptr);
      return;
    }
    if (options_.strict) {
      std::optional<protocol::FieldError> error = result.leniency;
      if (!error) error = protocol::check_send_rules(result.event.content);
      if (error) {
        report_error(input_name, line, result.type, *error);
        return;
      }
    }
    print(input_name, line, "ok", result.type, protocol::common_of(result.event.content).call_id, nullptr);
  }

  void report_error(std::string_view input_name, std::size_t line, std::string_view type,
                    const protocol::FieldError& error) {
    any_invalid_ = true;
    print(input_name, line, "invalid", type, {}, &error);
  }

  void print(std::string_view input_name, std::size_t line, std::string_view result, std::string_view type,
             std::string_view call_id, const protocol::FieldError* error) {
    if (!options_.json) {
      std::string out(result);
      out += ' ';
      out += type.empty() ? "?" : printable(type);
      if (error) out += ": " + printable(error->to_string());
      if (!call_id.empty()) out += " " + printable(call_id);
      out += '\n';
      std::fwrite(out.data(), 1, out.size(), stdout);
      return;
    }
    std::string out;
    protocol::JsonWriter w(out);
    w.start_object().field("input", input_name).key("line").uint(line).field("result", result).key("type");
    if (type.empty()) {
      w.null();
    } else {
      w.string(type);
    }
    if (!call_id.empty()) w.field("call_id", call_id);
    if (error) w.field("field", error->field).field("reason", error->reason);
    w.end_object();
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
  }

  // A file's batch may hold any number of events: they are streamed one result at a time, so the count costs no
  // memory (the parse of at most max_batch_bytes does). The other limits are the reader's.
  static protocol::ReadLimits file_limits() {
    protocol::ReadLimits limits;
    limits.max_batch_events = std::numeric_limits<std::size_t>::max();
    return limits;
  }

  const Options& options_;
  protocol::EventReader reader_;
  bool any_invalid_ = false;
  bool read_failed_ = false;
};

}  // namespace

int run_validate(const std::vector<std::string>& args) {
  Options options;
  bool only_files = false;
  for (const std::string& arg : args) {
    if (!only_files && arg == "--") {
      only_files = true;
    } else if (!only_files && arg == "--strict") {
      options.strict = true;
    } else if (!only_files && arg == "--json") {
      options.json = true;
    } else if (!only_files && (arg == "--help" || arg == "-h")) {
      std::cout << kUsage;
      return 0;
    } else if (!only_files && arg.size() > 1 && arg[0] == '-') {
      std::cerr << "mxcall validate: unknown option " << arg << "\n" << kUsage;
      return 2;
    } else {
      options.files.push_back(arg);
    }
  }
  if (options.files.empty()) options.files.push_back("-");

  Validator validator(options);
  bool file_error = false;
  for (const std::string& name : options.files) {
    if (name == "-") {
      validator.validate_stream(stdin, "-");
      continue;
    }
    std::FILE* file = std::fopen(name.c_str(), "rb");
    if (file == nullptr) {
      std::cerr << "mxcall validate: cannot open " << name << ": " << std::strerror(errno) << "\n";
      file_error = true;
      continue;
    }
    validator.validate_stream(file, name);
    std::fclose(file);
  }
  std::fflush(stdout);
  if (file_error || validator.read_failed()) return 2;
  return validator.any_invalid() ? 1 : 0;
}

}  // namespace mxcall::tools
