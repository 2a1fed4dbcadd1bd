// Forward declaration of the one simdjson type EventReader's private interface names, so that including the reader's
// header does not pull simdjson into every user of the protocol layer.
#pragma once

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom
