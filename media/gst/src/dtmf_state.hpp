// A session's DTMF: the rtpdtmfsrc that sends telephone-events into the audio stream (through rtpdtmfmux), the
// thread that paces the queued digits, and the receiving side's payload types and RFC 4733 decoder.
#pragma once

#include <gst/gst.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "mxcall/media/dtmf.hpp"
#include "mxcall/protocol/media_io.hpp"

namespace mxcall::media::gst {

struct DtmfState {
  GstElement* source = nullptr;  // rtpdtmfsrc, owned by the pipeline

  // What we send with, from the negotiated descriptions (app thread writes, pacing thread reads).
  std::atomic<int> send_payload_type{-1};
  std::atomic<std::uint32_t> send_clock_rate{8000};
  // Offered by the peer (app thread): what our answer accepts.
  std::optional<TelephoneEvent> remote_offered;

  // Receiving: the clock rate of each telephone-event payload type (0: not one), read per packet on the streaming
  // thread without a lock.
  std::array<std::atomic<std::uint32_t>, 128> receive_rates{};
  std::mutex receiver_mu;
  DtmfReceiver receiver;

  // Pacing (its own thread, started with the first digits).
  std::thread pacer;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<protocol::media_op::SendDtmf> queue;
  bool stop = false;
};

}  // namespace mxcall::media::gst
