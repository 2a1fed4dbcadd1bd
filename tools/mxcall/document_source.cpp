#include "document_source.hpp"

#include <simdjson.h>

namespace mxcall::tools {
namespace {

bool is_blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

bool is_complete_json(const std::string& text) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  simdjson::dom::element element;
  return parser.parse(padded).get(element) == simdjson::SUCCESS;
}

}  // namespace

DocumentSource::DocumentSource(std::FILE* file, std::size_t max_line_bytes, std::size_t max_document_bytes)
    : file_(file), max_line_bytes_(max_line_bytes), max_document_bytes_(max_document_bytes) {}

bool DocumentSource::read_line(Line& line) {
  line = Line{};
  line.number = ++line_number_;
  bool any = false;
  int c;
  while ((c = getc_unlocked(file_)) != EOF) {
    any = true;
    if (c == '\n') break;
    ++line.size;
    if (line.text.size() < max_line_bytes_) {
      line.text.push_back(static_cast<char>(c));
    } else {
      line.too_large = true;
    }
  }
  if (std::ferror(file_)) read_error_ = true;
  if (!any) {
    --line_number_;
    return false;
  }
  if (!line.text.empty() && line.text.back() == '\r') {
    line.text.pop_back();
    --line.size;
  }
  if (line.too_large) line.text.clear();
  return true;
}

bool DocumentSource::next_line(Line& line) {
  if (!pending_.empty()) {
    line = std::move(pending_.front());
    pending_.pop_front();
    return true;
  }
  return read_line(line);
}

void DocumentSource::decide_mode(Line first) {
  mode_decided_ = true;
  if (first.too_large || is_complete_json(first.text)) {
    pending_.push_front(std::move(first));
    return;
  }
  auto opening = first.text.find_first_not_of(" \t");
  bool may_span_lines = opening != std::string::npos && (first.text[opening] == '{' || first.text[opening] == '[');
  if (!may_span_lines) {
    pending_.push_front(std::move(first));
    return;
  }
  // Gather the rest, within the document bound, and see whether it is one document.
  InputDocument whole{first.text, first.number, first.size, false};
  std::deque<Line> lines;
  lines.push_back(std::move(first));
  Line line;
  while (whole.size <= max_document_bytes_ && read_line(line)) {
    whole.size += 1 + line.size;
    if (line.too_large) whole.too_large = true;
    if (!whole.too_large) {
      whole.text += '\n';
      whole.text += line.text;
    }
    lines.push_back(std::move(line));
  }
  if (!whole.too_large && whole.size <= max_document_bytes_ && is_complete_json(whole.text)) {
    ready_.push_back(std::move(whole));
    return;  // the file was one document; anything after it was part of it
  }
  for (auto& l : lines) pending_.push_back(std::move(l));
}

bool DocumentSource::next(InputDocument& out) {
  for (;;) {
    if (!ready_.empty()) {
      out = std::move(ready_.front());
      ready_.pop_front();
      return true;
    }
    Line line;
    if (!next_line(line)) return false;
    if (!line.too_large && is_blank(line.text)) continue;
    if (!mode_decided_) {
      decide_mode(std::move(line));
      continue;
    }
    out = InputDocument{std::move(line.text), line.number, line.size, line.too_large};
    return true;
  }
}

}  // namespace mxcall::tools
