// Internal: reads the `content` object of one call event kind.
#pragma once

#include "json_input.hpp"
#include "mxcall/protocol/call_events.hpp"
#include "mxcall/protocol/event_types.hpp"

namespace mxcall::protocol::detail {

bool read_content(JsonInput& in, EventKind kind, dom::element content, CallContent& out);

}  // namespace mxcall::protocol::detail
