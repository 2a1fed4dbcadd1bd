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

std::string_view json_type_name(od::json_type type) {
  switch (type) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
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

bool JsonInput::fail_json(const Path& path, simdjson::error_code code) {
  switch (code) {
    case simdjson::UTF8_ERROR: return fail(path, "invalid UTF-8");
    case simdjson::DEPTH_ERROR: return fail(path, "nested deeper than " + std::to_string(max_depth_) + " levels");
    case simdjson::NUMBER_ERROR: return fail(path, "not a valid JSON number");
    case simdjson::STRING_ERROR: return fail(path, "not a valid JSON string (bad escape or control character)");
    case simdjson::UNCLOSED_STRING: return fail(path, "not JSON: a string is not closed");
    default: return fail(path, std::string("not valid JSON (") + simdjson::error_message(code) + ")");
  }
}

bool JsonInput::expect_type(od::value v, const Path& path, od::json_type wanted, std::string_view wanted_name,
                            bool null_allowed, bool& was_null) {
  was_null = false;
  od::json_type type;
  if (auto e = v.type().get(type)) return fail_json(path, e);
  if (type == wanted) return true;
  if (null_allowed && type == od::json_type::null) {
    bool is_null_value = false;
    if (auto e = v.is_null().get(is_null_value)) return fail_json(path, e);
    if (!is_null_value) return fail(path, "not valid JSON (a bad literal)");
    note_leniency(path, "null (a sender leaves the field out instead)");
    was_null = true;
    return true;
  }
  return fail(path, "expected " + std::string(wanted_name) + ", got " + std::string(json_type_name(type)));
}

bool JsonInput::string(od::value v, const Path& path, std::string_view& out) {
  bool was_null = false;
  if (!expect_type(v, path, od::json_type::string, "a string", false, was_null)) return false;
  if (auto e = v.get_string().get(out)) return fail_json(path, e);
  return true;
}

bool JsonInput::optional_string(od::value v, const Path& path, std::optional<std::string_view>& out) {
  bool was_null = false;
  if (!expect_type(v, path, od::json_type::string, "a string", true, was_null)) return false;
  if (was_null) {
    out.reset();
    return true;
  }
  std::string_view s;
  if (auto e = v.get_string().get(s)) return fail_json(path, e);
  out = s;
  return true;
}

bool JsonInput::optional_nonempty_string(od::value v, const Path& path, std::optional<std::string_view>& out) {
  if (!optional_string(v, path, out)) return false;
  if (out && out->empty()) {
    note_leniency(path, "an empty string (a sender leaves the field out instead)");
    out.reset();
  }
  return true;
}

bool JsonInput::boolean(od::value v, const Path& path, bool& out) {
  bool was_null = false;
  if (!expect_type(v, path, od::json_type::boolean, "a boolean", false, was_null)) return false;
  if (auto e = v.get_bool().get(out)) return fail_json(path, e);
  return true;
}

namespace {

// A JSON number as a whole non-negative value below `limit`; floats are accepted when they are whole (6e4).
enum class WholeNumber { ok, negative, fractional, too_large };

WholeNumber whole_number(od::number n, std::uint64_t limit, std::uint64_t& out) {
  switch (n.get_number_type()) {
    case od::number_type::signed_integer: {
      std::int64_t i = n.get_int64();
      if (i < 0) return WholeNumber::negative;
      out = static_cast<std::uint64_t>(i);
      break;
    }
    case od::number_type::unsigned_integer: out = n.get_uint64(); break;
    case od::number_type::floating_point_number: {
      double d = n.get_double();
      if (std::signbit(d) && d != 0) return WholeNumber::negative;
      if (!std::isfinite(d) || std::floor(d) != d) return WholeNumber::fractional;
      if (d >= 9.2e18) return WholeNumber::too_large;
      out = static_cast<std::uint64_t>(d);
      break;
    }
  }
  return out > limit ? WholeNumber::too_large : WholeNumber::ok;
}

}  // namespace

bool JsonInput::duration_ms(od::value v, const Path& path, std::uint64_t& out) {
  bool was_null = false;
  if (!expect_type(v, path, od::json_type::number, "a number of milliseconds", false, was_null)) return false;
  od::number n;
  if (auto e = v.get_number().get(n)) return fail_json(path, e);
  bool is_float = n.get_number_type() == od::number_type::floating_point_number;
  switch (whole_number(n, std::uint64_t{1} << 53, out)) {
    case WholeNumber::ok:
      if (is_float) note_leniency(path, "a floating-point number (the schema says integer)");
      return true;
    case WholeNumber::negative: return fail(path, "must not be negative");
    case WholeNumber::fractional: return fail(path, "expected a whole number of milliseconds");
    case WholeNumber::too_large: return fail(path, "too large (over 2^53 milliseconds)");
  }
  return true;
}

bool JsonInput::index(od::value v, const Path& path, std::optional<std::uint32_t>& out) {
  bool was_null = false;
  if (!expect_type(v, path, od::json_type::number, "a number", false, was_null)) return false;
  od::number n;
  if (auto e = v.get_number().get(n)) return fail_json(path, e);
  std::uint64_t value = 0;
  bool is_float = n.get_number_type() == od::number_type::floating_point_number;
  // mtxclient writes an uninitialised index when it has none, so a number that is no m-line index reads as absent
  // rather than costing the whole candidates event.
  switch (whole_number(n, 65535, value)) {
    case WholeNumber::ok:
      if (is_float) note_leniency(path, "a floating-point number (an m-line index is a whole number)");
      out = static_cast<std::uint32_t>(value);
      return true;
    case WholeNumber::negative:
    case WholeNumber::fractional:
    case WholeNumber::too_large:
      note_leniency(path, "not an m-line index (a whole number from 0 to 65535); read as absent");
      out.reset();
      return true;
  }
  return true;
}

bool JsonInput::int64(od::value v, const Path& path, std::int64_t& out) {
  bool was_null = false;
  if (!expect_type(v, path, od::json_type::number, "an integer", false, was_null)) return false;
  od::number n;
  if (auto e = v.get_number().get(n)) return fail_json(path, e);
  switch (n.get_number_type()) {
    case od::number_type::signed_integer: out = n.get_int64(); return true;
    case od::number_type::unsigned_integer: return fail(path, "too large for a 64-bit integer");
    case od::number_type::floating_point_number: {
      double d = n.get_double();
      if (!std::isfinite(d) || std::floor(d) != d || std::fabs(d) >= 9.2e18) return fail(path, "expected an integer");
      out = static_cast<std::int64_t>(d);
      return true;
    }
  }
  return true;
}

bool JsonInput::is_null(od::value v, const Path& path, bool& out) {
  od::json_type type;
  if (auto e = v.type().get(type)) return fail_json(path, e);
  out = false;
  if (type != od::json_type::null) return true;
  if (auto e = v.is_null().get(out)) return fail_json(path, e);
  if (!out) return fail(path, "not valid JSON (a bad literal)");
  return true;
}

bool JsonInput::object(od::value v, const Path& path, od::object& out) {
  bool was_null = false;
  if (!expect_type(v, path, od::json_type::object, "an object", false, was_null)) return false;
  if (auto e = v.get_object().get(out)) return fail_json(path, e);
  return true;
}

bool JsonInput::array(od::value v, const Path& path, od::array& out) {
  bool was_null = false;
  if (!expect_type(v, path, od::json_type::array, "an array", false, was_null)) return false;
  if (auto e = v.get_array().get(out)) return fail_json(path, e);
  return true;
}

bool JsonInput::skip(od::value v, const Path& path, std::size_t depth) {
  if (depth > max_depth_) return fail_json(path, simdjson::DEPTH_ERROR);
  od::json_type type;
  if (auto e = v.type().get(type)) return fail_json(path, e);
  switch (type) {
    case od::json_type::object: {
      od::object obj;
      if (auto e = v.get_object().get(obj)) return fail_json(path, e);
      return fields(obj, path, [&](std::string_view key, od::value child) {
        return skip(child, path.child(key), depth + 1);
      });
    }
    case od::json_type::array: {
      od::array arr;
      if (auto e = v.get_array().get(arr)) return fail_json(path, e);
      std::size_t i = 0;
      for (auto element : arr) {
        od::value child;
        if (auto e = std::move(element).get(child)) return fail_json(path.element(i), e);
        if (!skip(child, path.element(i), depth + 1)) return false;
        ++i;
      }
      return true;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return fail_json(path, e);
      return true;
    }
    case od::json_type::number: {
      od::number n;
      if (auto e = v.get_number().get(n)) return fail_json(path, e);
      return true;
    }
    case od::json_type::boolean: {
      bool b = false;
      if (auto e = v.get_bool().get(b)) return fail_json(path, e);
      return true;
    }
    case od::json_type::null: {
      bool n = false;
      if (auto e = v.is_null().get(n)) return fail_json(path, e);
      if (!n) return fail(path, "not valid JSON (a bad literal)");
      return true;
    }
  }
  return true;
}

}  // namespace mxcall::protocol::detail
