// Internal: the replacement calls of the transfers we accepted (rules T7-T8), for the router. A link holds both
// calls until the replacement connects (the original is hung up) or fails (the transferor is told): at most one
// link per call with an accepted transfer, so the links are bounded by the live calls.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "call.hpp"

namespace mxcall::protocol::engine {

class TransferLinks {
 public:
  // create_call: we placed `replacement` for `original`.
  void placed(std::shared_ptr<Call> original, std::shared_ptr<Call> replacement);
  // await_call: the target's invite with `call_id` is the replacement (in `room` when the request named one).
  void await(std::shared_ptr<Call> original, std::string call_id, std::string from_user,
             std::optional<std::string> room, bool video);
  // A new incoming call: when it is an awaited replacement, links it and returns how to answer it.
  struct Claimed {
    CallRef original;
    std::string replacement_id;
    bool video = false;
  };
  std::optional<Claimed> claim(const std::shared_ptr<Call>& incoming, std::string_view sender);
  // Completes the transfers whose replacement connected and fails those whose replacement ended first; drops
  // links whose original gave up. Returns the original calls it touched, for the router to settle.
  std::vector<std::shared_ptr<Call>> check();
  bool empty() const { return links_.empty(); }

 private:
  struct Link {
    std::shared_ptr<Call> original;
    std::string replacement_id;
    std::shared_ptr<Call> replacement;  // null while awaiting
    std::string awaited_call_id;
    std::string from_user;
    std::optional<std::string> room;
    bool video = false;
  };
  bool still_wanted(const Link& link) const;

  std::vector<Link> links_;
};

}  // namespace mxcall::protocol::engine
