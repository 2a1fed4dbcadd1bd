// Rooms: create, invite, join, leave, and the direct-message bookkeeping of m.direct (account data).
#include <algorithm>
#include <nlohmann/json.hpp>

#include "client_internal.hpp"
#include "mxcall/matrix/client.hpp"

namespace mxcall::matrix {

using nlohmann::json;

namespace {

Result<json> parse_object(const Result<RawResponse>& response, const std::string& homeserver, const char* path) {
  if (!response) return response.error();
  auto j = json::parse(response->body, nullptr, false);
  if (!j.is_object()) return detail::bad_response(homeserver, path, "not a JSON object");
  return j;
}

}  // namespace

Result<std::string> Client::create_room(std::string_view body_json) {
  auto j =
      parse_object(api("POST", "/_matrix/client/v3/createRoom", body_json), state_->config.homeserver, "/createRoom");
  if (!j) return j.error();
  if (!j->contains("room_id") || !(*j)["room_id"].is_string()) {
    return detail::bad_response(state_->config.homeserver, "/createRoom", "no room_id");
  }
  return (*j)["room_id"].get<std::string>();
}

Result<std::string> Client::create_dm(const std::string& user_id, bool encrypted) {
  json body = {{"preset", "trusted_private_chat"}, {"is_direct", true}, {"invite", {user_id}}};
  if (encrypted) {
    body["initial_state"] = json::array(
        {{{"type", "m.room.encryption"}, {"state_key", ""}, {"content", {{"algorithm", "m.megolm.v1.aes-sha2"}}}}});
  }
  auto room = create_room(body.dump());
  if (!room) return room;
  if (auto marked = add_direct(user_id, *room); !marked) return marked.error();
  return room;
}

Status Client::invite(const std::string& room_id, const std::string& user_id) {
  auto response =
      api("POST", "/_matrix/client/v3/rooms/" + escape(room_id) + "/invite", json{{"user_id", user_id}}.dump());
  if (!response) return response.error();
  return Ok{};
}

Result<std::string> Client::join(const std::string& room_id_or_alias) {
  auto j = parse_object(api("POST", "/_matrix/client/v3/join/" + escape(room_id_or_alias), "{}"),
                        state_->config.homeserver, "/join");
  if (!j) return j.error();
  if (!j->contains("room_id") || !(*j)["room_id"].is_string()) {
    return detail::bad_response(state_->config.homeserver, "/join", "no room_id");
  }
  return (*j)["room_id"].get<std::string>();
}

Status Client::leave(const std::string& room_id) {
  auto response = api("POST", "/_matrix/client/v3/rooms/" + escape(room_id) + "/leave", "{}");
  if (!response) return response.error();
  return Ok{};
}

Result<std::vector<std::string>> Client::joined_rooms() {
  auto j = parse_object(api("GET", "/_matrix/client/v3/joined_rooms"), state_->config.homeserver, "/joined_rooms");
  if (!j) return j.error();
  std::vector<std::string> rooms;
  if (j->contains("joined_rooms") && (*j)["joined_rooms"].is_array()) {
    for (const auto& room : (*j)["joined_rooms"]) {
      if (room.is_string()) rooms.push_back(room.get<std::string>());
    }
  }
  return rooms;
}

namespace {

// m.direct maps user ids to arrays of room ids. A missing event (404) is an empty map.
Result<json> read_direct(Client& client, const std::string& me) {
  auto response = client.api("GET", "/_matrix/client/v3/user/" + Client::escape(me) + "/account_data/m.direct");
  if (!response) {
    if (response.error().code == ErrorCode::not_found) return json::object();
    return response.error();
  }
  auto j = json::parse(response->body, nullptr, false);
  return j.is_object() ? j : json::object();
}

}  // namespace

Status Client::add_direct(const std::string& user_id, const std::string& room_id) {
  std::string me = session().user_id;
  auto direct = read_direct(*this, me);
  if (!direct) return direct.error();
  json& rooms = (*direct)[user_id];
  if (!rooms.is_array()) rooms = json::array();
  if (std::find(rooms.begin(), rooms.end(), json(room_id)) != rooms.end()) return Ok{};
  rooms.push_back(room_id);
  auto response = api("PUT", "/_matrix/client/v3/user/" + escape(me) + "/account_data/m.direct", direct->dump());
  if (!response) return response.error();
  return Ok{};
}

Result<std::optional<std::string>> Client::find_dm(const std::string& user_id) {
  std::string me = session().user_id;
  auto direct = read_direct(*this, me);
  if (!direct) return direct.error();
  auto it = direct->find(user_id);
  if (it == direct->end() || !it->is_array() || it->empty()) return std::optional<std::string>{};
  auto joined = joined_rooms();
  if (!joined) return joined.error();
  // Newest first: m.direct lists are appended to, and an older DM may have been abandoned.
  for (auto room = it->rbegin(); room != it->rend(); ++room) {
    if (!room->is_string()) continue;
    const auto& room_id = room->get_ref<const std::string&>();
    if (std::find(joined->begin(), joined->end(), room_id) == joined->end()) continue;
    auto member = api("GET", "/_matrix/client/v3/rooms/" + escape(room_id) + "/state/m.room.member/" + escape(user_id));
    if (!member) {
      if (member.error().code == ErrorCode::not_found) continue;
      return member.error();
    }
    auto content = json::parse(member->body, nullptr, false);
    if (!content.is_object() || !content.contains("membership") || !content["membership"].is_string()) continue;
    const auto& membership = content["membership"].get_ref<const std::string&>();
    if (membership == "join" || membership == "invite") return std::optional<std::string>{room_id};
  }
  return std::optional<std::string>{};
}

Result<std::optional<std::string>> Client::direct_peer(const std::string& room_id) {
  std::string me = session().user_id;
  auto direct = read_direct(*this, me);
  if (!direct) return direct.error();
  std::optional<std::string> listed_under;
  for (const auto& [user_id, rooms] : direct->items()) {
    if (user_id == me || !rooms.is_array()) continue;
    if (std::find(rooms.begin(), rooms.end(), json(room_id)) == rooms.end()) continue;
    if (listed_under) return std::optional<std::string>{};  // several users: no single peer
    listed_under = user_id;
  }
  if (!listed_under) return std::optional<std::string>{};
  const char* path = "/joined_members";
  auto j = parse_object(api("GET", "/_matrix/client/v3/rooms/" + escape(room_id) + "/joined_members"),
                        state_->config.homeserver, path);
  if (!j) return j.error();
  if (!j->contains("joined") || !(*j)["joined"].is_object()) {
    return detail::bad_response(state_->config.homeserver, path, "no joined object");
  }
  const json& joined = (*j)["joined"];
  bool only_us_two = joined.size() == 2 && joined.contains(me) && joined.contains(*listed_under);
  return only_us_two ? listed_under : std::optional<std::string>{};
}

Result<std::string> Client::messages(const std::string& room_id, std::string_view dir, int limit,
                                     const std::string& from) {
  std::string path = "/_matrix/client/v3/rooms/" + escape(room_id) + "/messages?dir=" + std::string(dir) +
                     "&limit=" + std::to_string(limit);
  if (!from.empty()) path += "&from=" + escape(from);
  auto response = api("GET", path);
  if (!response) return response.error();
  return std::move(response->body);
}

}  // namespace mxcall::matrix
