#include "json_input.hpp"

#include <cmath>
#include <vector>

namespace mxcall::protocol::detail {

std::string Path::to_string() const {
  std::vector<const Path*> chain;
  for (const Path* p = this; p != nullptr; p = p->parent) chain.push_back(p);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const Path* p = *it;
    if (p->is_index) {
      out += '[';
      out += std::to_string(p->index);
      out += ']';
    } else if (!p->key.empty()) {
      if (!out.empty()) out += '.';
      out += p->key;
    }
  }
  return out.empty() ? std::string("document") : out;
}

std::string_view json_type_name(dom::element_type type) {
  switch (type) {
    case dom::element_type::ARRAY: return "an array";
    case dom::element_type::OBJECT: return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return "a number";
    case dom::element_type::STRING: return "a string";
    case dom::element_type::BOOL: return "a boolean";
    case dom::element_type::NULL_VALUE: return "null";
  }
  return "an unknown JSON value";
}

bool JsonInput::fail(const Path& path, std::string reason) {
  if (!failed_) {
    failed_ = true;
    error_ = FieldError{path.to_string(), std::move(reason)};
  }
  return false;
}

void JsonInput::note_leniency(const Path& path, std::string what) {
  if (!leniency_) leniency_ = FieldError{path.to_string(), std::move(what)};
}

bool JsonInput::fail_json(const Path& path, simdjson::error_code code, std::size_t max_depth) {
  switch (code) {
    case simdjson::UTF8_ERROR: return fail(path, "invalid UTF-8");
    case simdjson::DEPTH_ERROR: return fail(path, "nested deeper than " + std::to_string(max_depth) + " levels");
    case simdjson::NUMBER_ERROR: return fail(path, "not valid JSON (a malformed number)");
    case simdjson::STRING_ERROR: return fail(path, "not a valid JSON string (bad escape or control character)");
    case simdjson::UNCLOSED_STRING: return fail(path, "not valid JSON (a string is not closed)");
    case simdjson::EMPTY: return fail(path, "not valid JSON (the document is empty)");
    default: return fail(path, std::string("not valid JSON (") + simdjson::error_message(code) + ")");
  }
}

bool JsonInput::wrong_type(dom::element v, const Path& path, std::string_view wanted) {
  return fail(path, "expected " + std::string(wanted) + ", got " + std::string(json_type_name(v.type())));
}

bool JsonInput::null_as_absent(dom::element v, const Path& path) {
  if (!v.is_null()) return false;
  note_leniency(path, "null (a sender leaves the field out instead)");
  return true;
}

bool JsonInput::string(dom::element v, const Path& path, std::string_view& out) {
  if (v.get_string().get(out)) return wrong_type(v, path, "a string");
  return true;
}

bool JsonInput::optional_string(dom::element v, const Path& path, std::optional<std::string_view>& out) {
  if (null_as_absent(v, path)) {
    out.reset();
    return true;
  }
  std::string_view s;
  if (!string(v, path, s)) return false;
  out = s;
  return true;
}

bool JsonInput::optional_nonempty_string(dom::element v, const Path& path, std::optional<std::string_view>& out) {
  if (!optional_string(v, path, out)) return false;
  if (out && out->empty()) {
    note_leniency(path, "an empty string (a sender leaves the field out instead)");
    out.reset();
  }
  return true;
}

bool JsonInput::boolean(dom::element v, const Path& path, bool& out) {
  if (v.get_bool().get(out)) return wrong_type(v, path, "a boolean");
  return true;
}

namespace {

// A JSON number as a whole non-negative value up to `limit`; floats are accepted when they are whole (6e4).
enum class WholeNumber { ok, negative, fractional, too_large, not_a_number };

WholeNumber whole_number(dom::element v, std::uint64_t limit, std::uint64_t& out) {
  switch (v.type()) {
    case dom::element_type::INT64: {
      std::int64_t i = v.get_int64().value_unsafe();
      if (i < 0) return WholeNumber::negative;
      out = static_cast<std::uint64_t>(i);
      break;
    }
    case dom::element_type::UINT64: out = v.get_uint64().value_unsafe(); break;
    case dom::element_type::DOUBLE: {
      double d = v.get_double().value_unsafe();
      if (std::signbit(d) && d != 0) return WholeNumber::negative;
      if (!std::isfinite(d) || std::floor(d) != d) return WholeNumber::fractional;
      if (d >= 9.2e18) return WholeNumber::too_large;
      out = static_cast<std::uint64_t>(d);
      break;
    }
    default: return WholeNumber::not_a_number;
  }
  return out > limit ? WholeNumber::too_large : WholeNumber::ok;
}

}  // namespace

bool JsonInput::duration_ms(dom::element v, const Path& path, std::uint64_t& out) {
  switch (whole_number(v, std::uint64_t{1} << 53, out)) {
    case WholeNumber::ok:
      if (v.type() == dom::element_type::DOUBLE)
        note_leniency(path, "a floating-point number (the schema says integer)");
      return true;
    case WholeNumber::negative: return fail(path, "must not be negative");
    case WholeNumber::fractional: return fail(path, "expected a whole number of milliseconds");
    case WholeNumber::too_large: return fail(path, "too large (over 2^53 milliseconds)");
    case WholeNumber::not_a_number: return wrong_type(v, path, "a number of milliseconds");
  }
  return true;
}

bool JsonInput::index(dom::element v, const Path& path, std::optional<std::uint32_t>& out) {
  std::uint64_t value = 0;
  // mtxclient writes an uninitialised index when it has none, so a number that is no m-line index reads as absent
  // rather than costing the whole candidates event.
  switch (whole_number(v, 65535, value)) {
    case WholeNumber::ok:
      if (v.type() == dom::element_type::DOUBLE)
        note_leniency(path, "a floating-point number (an m-line index is a whole number)");
      out = static_cast<std::uint32_t>(value);
      return true;
    case WholeNumber::negative:
    case WholeNumber::fractional:
    case WholeNumber::too_large:
      note_leniency(path, "not an m-line index (a whole number from 0 to 65535); read as absent");
      out.reset();
      return true;
    case WholeNumber::not_a_number: return wrong_type(v, path, "a number");
  }
  return true;
}

bool JsonInput::int64(dom::element v, const Path& path, std::int64_t& out) {
  switch (v.type()) {
    case dom::element_type::INT64: out = v.get_int64().value_unsafe(); return true;
    case dom::element_type::UINT64: return fail(path, "too large for a 64-bit integer");
    case dom::element_type::DOUBLE: {
      double d = v.get_double().value_unsafe();
      if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) >= 9.2e18) return fail(path, "expected an integer");
      out = static_cast<std::int64_t>(d);
      return true;
    }
    default: return wrong_type(v, path, "an integer");
  }
}

bool JsonInput::object(dom::element v, const Path& path, dom::object& out) {
  if (v.get_object().get(out)) return wrong_type(v, path, "an object");
  return true;
}

bool JsonInput::array(dom::element v, const Path& path, dom::array& out) {
  if (v.get_array().get(out)) return wrong_type(v, path, "an array");
  return true;
}

}  // namespace mxcall::protocol::detail
