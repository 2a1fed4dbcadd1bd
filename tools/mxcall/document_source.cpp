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

bool DocumentSource::replay_line(Line& line) {
  if (replay_number_ >= replay_end_number_) return false;
  line = Line{};
  line.number = replay_number_++;
  std::size_t end = replay_text_.find('\n', replay_at_);
  if (end == std::string::npos) end = replay_text_.size();
  if (!replay_too_large_.empty() && replay_too_large_.front().first == line.number) {
    line.too_large = true;
    line.size = replay_too_large_.front().second;
    replay_too_large_.pop_front();
  } else {
    line.text = replay_text_.substr(replay_at_, end - replay_at_);
    line.size = line.text.size();
  }
  replay_at_ = end + 1;
  if (replay_number_ >= replay_end_number_) std::string().swap(replay_text_);
  return true;
}

bool DocumentSource::next_line(Line& line) {
  if (!pending_.empty()) {
    line = std::move(pending_.front());
    pending_.pop_front();
    return true;
  }
  if (replay_line(line)) return true;
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
  // Gather the rest, within the document bound, and see whether it is one document. A too-large line stays in the
  // text as an empty line, so that the text still holds one line per line read.
  InputDocument whole{first.text, first.number, first.size, false};
  Line line;
  while (whole.size <= max_document_bytes_ && read_line(line)) {
    whole.size += 1 + line.size;
    whole.text += '\n';
    if (line.too_large) {
      whole.too_large = true;
      replay_too_large_.emplace_back(line.number, line.size);
    } else {
      whole.text += line.text;
    }
  }
  if (whole.size > max_document_bytes_) {
    // One document (it opened with a bracket and spans lines) over the bound: reported once, as one document, and
    // the rest of the input is counted, not kept and not read line by line.
    while (read_line(line)) whole.size += 1 + line.size;
    whole.text.clear();
    whole.text.shrink_to_fit();
    whole.too_large = true;
    whole.limit = max_document_bytes_;
    replay_too_large_.clear();
    ready_.push_back(std::move(whole));
    return;
  }
  if (!whole.too_large && is_complete_json(whole.text)) {
    replay_too_large_.clear();
    ready_.push_back(std::move(whole));
    return;  // the file was one document; anything after it was part of it
  }
  replay_number_ = first.number;
  replay_end_number_ = line_number_ + 1;
  replay_at_ = 0;
  replay_text_ = std::move(whole.text);
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
    out = InputDocument{std::move(line.text), line.number, line.size, line.too_large, max_line_bytes_};
    return true;
  }
}

}  // namespace mxcall::tools
