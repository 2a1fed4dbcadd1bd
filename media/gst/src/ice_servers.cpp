// RTCIceServer URIs (RFC 7064/7065: "stun:host:port", "turn:host:port?transport=udp") to webrtcbin's forms.
// webrtcbin splits the TURN userinfo at ':' and unescapes both halves, and Synapse's time-limited usernames are
// "<expiry>:<user>" with base64 passwords, so both must be percent-encoded or the split lands in the wrong place.
#include <optional>
#include <string>
#include <string_view>

#include "mxcall/media/gst_media_engine.hpp"

namespace mxcall::media {
namespace {

std::string percent_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : in) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

struct ParsedUri {
  std::string scheme;     // stun, stuns, turn, turns
  std::string hostport;   // host[:port], brackets kept for IPv6
  std::string transport;  // empty when not given
};

std::optional<ParsedUri> parse(std::string_view uri) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  ParsedUri p;
  for (char c : uri.substr(0, colon)) p.scheme += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (p.scheme != "stun" && p.scheme != "stuns" && p.scheme != "turn" && p.scheme != "turns") return std::nullopt;
  std::string_view rest = uri.substr(colon + 1);
  if (rest.starts_with("//")) rest.remove_prefix(2);  // tolerate "turn://host" seen in hand-written configs
  auto query = rest.find('?');
  std::string_view host = rest.substr(0, query);
  if (host.empty() || host.find('@') != std::string_view::npos || host.find('/') != std::string_view::npos) {
    return std::nullopt;
  }
  p.hostport = std::string(host);
  if (query != std::string_view::npos) {
    std::string_view q = rest.substr(query + 1);
    constexpr std::string_view key = "transport=";
    if (auto at = q.find(key); at != std::string_view::npos) {
      std::string_view value = q.substr(at + key.size());
      value = value.substr(0, value.find('&'));
      if (value != "udp" && value != "tcp") return std::nullopt;
      p.transport = std::string(value);
    }
  }
  std::size_t port_search_from = 0;
  if (p.hostport.front() == '[') {  // IPv6 literal: the port colon comes after the bracket
    port_search_from = p.hostport.find(']');
    if (port_search_from == std::string::npos) return std::nullopt;
  }
  bool has_port = p.hostport.find(':', port_search_from) != std::string::npos;
  if (!has_port) p.hostport += (p.scheme == "turns" || p.scheme == "stuns") ? ":5349" : ":3478";
  return p;
}

}  // namespace

WebrtcbinIceConfig to_webrtcbin_ice_config(const std::vector<IceServer>& servers) {
  WebrtcbinIceConfig config;
  for (const auto& server : servers) {
    for (const auto& url : server.urls) {
      auto p = parse(url);
      if (!p || p->scheme == "stuns") {  // libnice has no STUN over TLS
        config.rejected.push_back(url);
        continue;
      }
      if (p->scheme == "stun") {
        if (!config.stun_server) config.stun_server = "stun://" + p->hostport;
        continue;
      }
      std::string turn = p->scheme + "://" + percent_encode(server.username) + ":" + percent_encode(server.credential) +
                         "@" + p->hostport;
      if (!p->transport.empty()) turn += "?transport=" + p->transport;
      config.turn_servers.push_back(std::move(turn));
    }
  }
  return config;
}

}  // namespace mxcall::media
