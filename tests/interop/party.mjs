// One matrix-js-sdk party: a real MatrixClient syncing with a homeserver and its MatrixCalls, driven by commands
// (see peer.mjs for the protocol). The same code runs in Node on @roamhq/wrtc (peer.mjs) and inside Chromium
// (browser/page.mjs); `host` supplies what differs: how a received track is listened to and how the microphone tone
// is set and stopped.
//
// host = { emit(event), listenAudio(track, onFirstAudio) -> listener, listenVideo(track) -> listener,
//          setTone(hz), stopMedia(), exit(), crypto? }; a listener has report() and stop(). `crypto` is present where
//          end-to-end encryption can run (Node: rust_crypto.mjs); login's `crypto` flag asks for it.
import * as sdk from "matrix-js-sdk";
import { CallEvent } from "matrix-js-sdk/lib/webrtc/call.js";
import { CallEventHandlerEvent } from "matrix-js-sdk/lib/webrtc/callEventHandler.js";
import { CallFeedEvent } from "matrix-js-sdk/lib/webrtc/callFeed.js";
import { awaitDeviceKeys, encryptionState, excludeInsecureDevices } from "./rust_crypto.mjs";

export function createParty(host) {
  const now = () => performance.timeOrigin + performance.now();
  const emit = (event) => host.emit({ ...event, t: now() });

  let client = null;
  let autoJoin = true;
  let autoAnswer = false;  // the setup benchmark answers on ring, in the callback, as mxcall's side does
  const calls = new Map();  // call_id -> {call, audio: AudioListener[], video: VideoListener[], tracks: Set}

  function remember(call) {
    if (calls.has(call.callId)) return calls.get(call.callId);
    const entry = { call, audio: [], video: [], screen: [], tracks: new Set(), pcWatched: false };
    calls.set(call.callId, entry);
    const callId = call.callId;
    call.on(CallEvent.State, (state, old) => {
      if (state !== old) emit({ ev: "state", call_id: callId, state, old });  // it repeats on ICE changes
    });
    call.on(CallEvent.Hangup, () => {
      emit({ ev: "hangup", call_id: callId, reason: call.hangupReason, party: call.hangupParty });
      for (const listener of [...entry.audio, ...entry.video]) listener.stop();
    });
    call.on(CallEvent.Error, (error) => emit({ ev: "call_error", call_id: callId, code: error.code, message: error.message }));
    call.on(CallEvent.RemoteHoldUnhold, (held) => emit({ ev: "remote_hold", call_id: callId, held }));
    call.on(CallEvent.LocalHoldUnhold, (held) => emit({ ev: "local_hold", call_id: callId, held }));
    call.on(CallEvent.AssertedIdentityChanged, () => {
      const identity = call.getRemoteAssertedIdentity();
      emit({ ev: "asserted_identity", call_id: callId, id: identity?.id ?? null, display_name: identity?.displayName ?? null });
    });
    call.on(CallEvent.FeedsChanged, () => listenToFeeds(entry));
    call.on(CallEvent.PeerConnectionCreated, (pc) => watchPeerConnection(entry, pc));
    if (call.peerConn) watchPeerConnection(entry, call.peerConn);
    return entry;
  }

  function watchPeerConnection(entry, pc) {
    if (entry.pcWatched) return;
    entry.pcWatched = true;
    const callId = entry.call.callId;
    pc.addEventListener("iceconnectionstatechange", () => emit({ ev: "ice", call_id: callId, state: pc.iceConnectionState }));
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "connected") emit({ ev: "dtls", call_id: callId, state: pc.connectionState });
    });
  }

  function listenToFeeds(entry) {
    const callId = entry.call.callId;
    for (const feed of entry.call.getRemoteFeeds()) {
      if (!feed.muteWatched) {
        feed.muteWatched = true;
        const report = () => emit({ ev: "peer_mute", call_id: callId, audio: feed.isAudioMuted(), video: feed.isVideoMuted() });
        feed.on(CallFeedEvent.MuteStateChanged, report);
        report();
      }
      for (const track of feed.stream.getTracks()) {
        if (entry.tracks.has(track.id)) continue;
        entry.tracks.add(track.id);
        if (track.kind === "audio") {
          entry.audio.push(host.listenAudio(track, (at) => emit({ ev: "first_audio", call_id: callId, at })));
        } else if (track.kind === "video" && feed.purpose === "m.screenshare") {
          entry.screen.push(host.listenVideo(track));  // the peer's screen share, counted apart from its camera
        } else if (track.kind === "video") {
          entry.video.push(host.listenVideo(track));
        }
      }
    }
  }

  function sumReports(listeners) {
    // The newest track is the live one after a renegotiation; counters add up over all of them.
    const total = { frames: 0, loud_frames: 0, rms: 0, freq: 0, width: 0, height: 0 };
    for (const listener of listeners) {
      const r = listener.report();
      for (const [key, value] of Object.entries(r)) {
        if (key === "frames" || key === "loud_frames") total[key] += value;
        else total[key] = value;
      }
    }
    return total;
  }

  function entryOf(callId) {
    const entry = calls.get(callId);
    if (!entry) throw new Error(`no call ${callId}`);
    return entry;
  }

  async function login({ homeserver, user, password, device_id, tone_hz, auto_join, auto_answer, supports_call_transfer, crypto }) {
    if (crypto && !host.crypto) throw new Error("this peer cannot run end-to-end encryption (the Node peer can)");
    if (tone_hz) host.setTone(tone_hz);
    autoJoin = auto_join ?? true;
    autoAnswer = Boolean(auto_answer);
    const bare = sdk.createClient({ baseUrl: homeserver });
    const session = await bare.login("m.login.password", {
      identifier: { type: "m.id.user", user },
      password,
      device_id,
      initial_device_display_name: "mxcall interop peer",
    });
    client = sdk.createClient({
      baseUrl: homeserver,
      accessToken: session.access_token,
      userId: session.user_id,
      deviceId: session.device_id,
      fallbackICEServerAllowed: false,
      supportsCallTransfer: Boolean(supports_call_transfer),  // advertised as m.call.transferee (MSC2747)
    });
    // Every m.call.* event this party sends, timed when the homeserver accepted it.
    const sendEvent = client.sendEvent.bind(client);
    client.sendEvent = async (roomId, ...rest) => {
      const [type, content] = typeof rest[0] === "string" && typeof rest[1] === "object" ? rest : [rest[1], rest[2]];
      const result = await sendEvent(roomId, ...rest);
      if (typeof type === "string" && type.includes(".call.")) emit({ ev: "sent", type, call_id: content?.call_id, room_id: roomId, reason: content?.reason, lifetime: content?.lifetime });
      return result;
    };
    client.on(sdk.ClientEvent.ReceivedVoipEvent, (event) => {
      const content = event.getContent();
      emit({ ev: "voip", type: event.getType(), call_id: content.call_id, sender: event.getSender(), party_id: content.party_id, reason: content.reason, encrypted: event.isEncrypted() });
    });
    client.on(CallEventHandlerEvent.Incoming, (call) => {
      remember(call);
      emit({
        ev: "incoming",
        call_id: call.callId,
        room_id: call.roomId,
        caller: call.getOpponentMember()?.userId,
        video: call.type === "video",
      });
      if (autoAnswer) call.answer(true, false).catch((error) => emit({ ev: "call_error", call_id: call.callId, message: String(error) }));
    });
    client.on(sdk.RoomMemberEvent.Membership, (event, member) => {
      emit({ ev: "member", room_id: member.roomId, user_id: member.userId, membership: member.membership });
      if (autoJoin && member.userId === client.getUserId() && member.membership === "invite") {
        client.joinRoom(member.roomId).catch((error) => emit({ ev: "call_error", message: `join ${member.roomId}: ${error}` }));
      }
    });
    const firstSync = new Promise((resolve, reject) => {
      const onSync = (state) => {
        if (state === "PREPARED" || state === "SYNCING") resolve();
        else if (state === "ERROR") reject(new Error("first sync failed"));
      };
      client.on(sdk.ClientEvent.Sync, onSync);
    });
    // Rust crypto before the first sync, as Element does: that sync's to-device events and device lists go to it.
    if (crypto) await host.crypto.enable(client, emit);
    await client.startClient({ initialSyncLimit: 5, lazyLoadMembers: false });
    await firstSync;
    // Others can encrypt to this device only once its keys are on the homeserver (uploaded after the first sync).
    const keys = crypto ? await awaitDeviceKeys(client, client.getUserId(), client.getDeviceId()) : null;
    // Calls in the initial sync are never handled (js-sdk-peer note 1): only now may the other side place a call.
    emit({ ev: "ready", user_id: client.getUserId(), device_id: client.getDeviceId() });
    return { user_id: client.getUserId(), device_id: client.getDeviceId(), ...(keys ? { keys } : {}) };
  }

  const handlers = {
    login,
    async tone({ hz }) {
      host.setTone(hz);
      return {};
    },
    async create_room({ invite, encrypted }) {
      // An encrypted direct chat as Element makes one: m.room.encryption in the initial state.
      const initial_state = encrypted ? [encryptionState] : [];
      const { room_id } = await client.createRoom({ invite, is_direct: true, preset: "trusted_private_chat", initial_state });
      return { room_id };
    },
    // Whether js-sdk treats the room as encrypted (its crypto has seen m.room.encryption).
    async room_encrypted({ room_id }) {
      const crypto = client.getCrypto();
      return { encrypted: crypto ? await crypto.isEncryptionEnabledInRoom(room_id) : false };
    },
    async exclude_insecure_devices() {
      const crypto = client.getCrypto();
      if (!crypto) throw new Error("exclude_insecure_devices needs a party logged in with crypto");
      // Sending in this mode needs cross-signing on our own account too, as Element sets up at sign-in. Synapse takes
      // a user's first cross-signing keys without user-interactive auth (MSC3967).
      await crypto.bootstrapCrossSigning({ authUploadDeviceSigningKeys: async (makeRequest) => { await makeRequest(null); } });
      excludeInsecureDevices(crypto);
      return {};
    },
    // Waits until js-sdk's crypto sees another device as cross-signed by its owner: asked every 200 ms, at most 15 s
    // (inside the 20 s a command may take).
    async await_device_signed_by_owner({ user_id, device_id }) {
      const deadline = Date.now() + 15000;
      for (;;) {
        const status = await client.getCrypto()?.getDeviceVerificationStatus(user_id, device_id);
        if (status?.signedByOwner) return {};
        if (Date.now() >= deadline) throw new Error(`${user_id}'s device ${device_id} is not signed by its owner after 15 s`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    // Waits until the homeserver holds another device's keys (so that js-sdk can encrypt to it).
    async await_device_keys({ user_id, device_id }) {
      return { keys: await awaitDeviceKeys(client, user_id, device_id) };
    },
    async join({ room_id }) {
      await client.joinRoom(room_id);
      return {};
    },
    async call({ room_id, video }) {
      const call = client.createCall(room_id);
      if (!call) throw new Error("createCall returned null (no WebRTC support)");
      remember(call);
      const placing = video ? call.placeVideoCall() : call.placeVoiceCall();
      placing.catch((error) => emit({ ev: "call_error", call_id: call.callId, message: String(error) }));
      return { call_id: call.callId };
    },
    async answer({ call_id, video }) {
      await entryOf(call_id).call.answer(true, Boolean(video));
      return {};
    },
    async reject({ call_id }) {
      entryOf(call_id).call.reject();
      return {};
    },
    async hangup({ call_id, reason }) {
      entryOf(call_id).call.hangup(reason ?? "user_hangup", false);
      return {};
    },
    async hold({ call_id, on }) {
      entryOf(call_id).call.setRemoteOnHold(Boolean(on));
      return {};
    },
    async mute({ call_id, audio, video }) {
      const { call } = entryOf(call_id);
      await call.setMicrophoneMuted(Boolean(audio));
      if (call.hasLocalUserMediaVideoTrack) await call.setLocalVideoMuted(Boolean(video));
      return {};
    },
    // MSC2747 as js-sdk sends it: transfer() (create_call to the peer) and transferToCall() (create_call to this
    // call's peer, await_call to the other call's peer); js-sdk then ends both calls locally without a hangup.
    async transfer({ call_id, target }) {
      await entryOf(call_id).call.transfer(target);
      return {};
    },
    async transfer_to_call({ call_id, target_call_id }) {
      await entryOf(call_id).call.transferToCall(entryOf(target_call_id).call);
      return {};
    },
    // RTCDTMFSender through js-sdk, one digit per call (js-sdk-peer note 13): each replaces any tone still queued,
    // so they are paced here.
    async dtmf({ call_id, digits, gap_ms }) {
      const { call } = entryOf(call_id);
      for (const digit of digits) {
        call.sendDtmfDigit(digit);
        await new Promise((resolve) => setTimeout(resolve, gap_ms ?? 400));
      }
      return {};
    },
    async screenshare({ call_id, on }) {
      // It resolves to whether the call shares its screen now.
      const sharing = await entryOf(call_id).call.setScreensharingEnabled(Boolean(on));
      if (sharing !== Boolean(on)) throw new Error(`setScreensharingEnabled(${Boolean(on)}) left sharing ${sharing}`);
      return {};
    },
    async upgrade({ call_id }) {
      await entryOf(call_id).call.upgradeCall(false, true);
      return {};
    },
    async report({ call_id }) {
      const { call, audio, video } = entryOf(call_id);
      return {
        state: call.state,
        hangup_reason: call.hangupReason ?? null,
        audio: sumReports(audio),
        video: sumReports(video),
        screenshare: sumReports(entryOf(call_id).screen),
        remote_purposes: call.getRemoteFeeds().map((feed) => feed.purpose),
        remote_on_hold: call.isRemoteOnHold(),
        local_on_hold: call.isLocalOnHold(),
        opponent_can_be_transferred: call.opponentCanBeTransferred(),
        remote_asserted_identity: call.getRemoteAssertedIdentity() ?? null,
        directions: call.peerConn ? call.peerConn.getTransceivers().map((t) => `${t.mid}:${t.currentDirection}`) : [],
      };
    },
    async quit() {
      // Stopping the client inside a Hangup handler throws (note 4), and wrtc crashes on a natural exit with native
      // objects alive (note 10): stop on a later tick and leave through the host (process.exit() in Node).
      setTimeout(() => {
        host.stopMedia();
        client?.stopClient();
        host.exit();
      }, 50);
      return {};
    },
  };

  // Runs one command; resolves with its result (the fields of the "done" event) or rejects with an error.
  return {
    async run(command) {
      const handler = handlers[command.cmd];
      if (!handler) throw new Error(`unknown command ${command.cmd}`);
      return handler(command);
    },
    emit,
  };
}
