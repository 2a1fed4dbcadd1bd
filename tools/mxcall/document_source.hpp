// Splits an input stream into JSON documents for `mxcall validate`, in bounded memory: JSON lines (one document a
// line), or one pretty-printed document spanning many lines. The choice is made from the first non-blank line: if it
// is a complete JSON value the input is JSON lines; otherwise the whole input (up to the batch bound) is tried as one
// document, and read as lines after all if it is not one.
#pragma once

#include <cstddef>
#include <cstdio>
#include <deque>
#include <string>

namespace mxcall::tools {

struct InputDocument {
  std::string text;      // empty when the document was too large to keep
  std::size_t line = 0;  // the 1-based line it starts on
  std::size_t size = 0;  // its full size in bytes, kept or not
  bool too_large = false;
  std::size_t limit = 0;  // when too large: the bound it went over (a line's, or a multi-line document's)
};

class DocumentSource {
 public:
  DocumentSource(std::FILE* file, std::size_t max_line_bytes, std::size_t max_document_bytes);

  // The next document; false at the end of the input. read_error() tells whether the end was an I/O error.
  bool next(InputDocument& out);
  bool read_error() const { return read_error_; }

 private:
  struct Line {
    std::string text;
    std::size_t number = 0;
    std::size_t size = 0;
    bool too_large = false;
  };
  bool read_line(Line& line);    // from the file: bounded, strips "\r\n"
  bool replay_line(Line& line);  // from text read ahead while deciding the mode
  bool next_line(Line& line);    // from the pending queue first, then the file
  void decide_mode(Line first);

  std::FILE* file_;
  std::size_t max_line_bytes_;
  std::size_t max_document_bytes_;
  std::size_t line_number_ = 0;
  bool mode_decided_ = false;
  bool read_error_ = false;
  std::deque<Line> pending_;  // the first line, when it decided the mode alone
  // Lines read ahead while deciding the mode, when they were not one document after all: their text joined by '\n'
  // (one string, not a string per line: 16 million "{}," lines cost 64 MB here, not gigabytes), the number of the
  // first, and the too-large lines among them (number and size; their text is not kept).
  std::string replay_text_;
  std::size_t replay_at_ = 0;
  std::size_t replay_number_ = 0;
  std::size_t replay_end_number_ = 0;
  std::deque<std::pair<std::size_t, std::size_t>> replay_too_large_;
  std::deque<InputDocument> ready_;
};

}  // namespace mxcall::tools
