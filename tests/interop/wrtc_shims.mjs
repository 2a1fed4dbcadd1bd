// The browser surface matrix-js-sdk's MatrixCall needs, built from @roamhq/wrtc (libwebrtc in Node): WebRTC classes
// as globals, `window`/`document` (supportsMatrixCall() checks for them), navigator.mediaDevices whose microphone is a
// sine tone of a chosen frequency and whose camera is a moving test pattern, and an AudioContext stand-in (every
// CallFeed with audio builds a volume analyser). Import this before matrix-js-sdk.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
export const wrtc = require("@roamhq/wrtc");
const { RTCAudioSource, RTCVideoSource } = wrtc.nonstandard;

globalThis.window = globalThis;
globalThis.document = globalThis.document ?? {};
for (const name of [
  "RTCPeerConnection",
  "RTCSessionDescription",
  "RTCIceCandidate",
  "MediaStream",
  "MediaStreamTrack",
  "RTCRtpSender",
  "RTCRtpReceiver",
  "RTCRtpTransceiver",
  "RTCDataChannel",
]) {
  globalThis[name] = wrtc[name];
}

const sampleRate = 48000;
const frameSamples = sampleRate / 100;  // libwebrtc takes 10 ms frames
const videoWidth = 320;
const videoHeight = 240;

// The tone every new microphone track sends; set by the harness (`tone` command) before it places or answers.
export const media = { toneHz: 440, amplitude: 8000, liveSources: new Set() };

function startTone() {
  const source = new RTCAudioSource();
  const track = source.createTrack();
  let phase = 0;
  const samples = new Int16Array(frameSamples);
  const started = performance.now();
  let sent = 0;
  // Paced against the clock, not the timer: setInterval drifts under load and the receiver would hear gaps.
  const timer = setInterval(() => {
    if (track.readyState === "ended") {
      clearInterval(timer);
      media.liveSources.delete(timer);
      return;
    }
    const due = Math.floor((performance.now() - started) / 10) + 1;
    for (; sent < due; ++sent) {
      const step = (2 * Math.PI * media.toneHz) / sampleRate;
      for (let i = 0; i < frameSamples; ++i) {
        samples[i] = Math.round(media.amplitude * Math.sin(phase));
        phase += step;
      }
      phase %= 2 * Math.PI;
      source.onData({ samples, sampleRate, bitsPerSample: 16, channelCount: 1, numberOfFrames: frameSamples });
    }
  }, 10);
  media.liveSources.add(timer);
  return track;
}

function startCamera() {
  const source = new RTCVideoSource();
  const track = source.createTrack();
  const data = new Uint8ClampedArray((videoWidth * videoHeight * 3) / 2);
  let frame = 0;
  const timer = setInterval(() => {
    if (track.readyState === "ended") {
      clearInterval(timer);
      media.liveSources.delete(timer);
      return;
    }
    // A bar that moves each frame, so the encoder never sees a still picture.
    const luma = videoWidth * videoHeight;
    for (let y = 0; y < videoHeight; ++y) {
      for (let x = 0; x < videoWidth; ++x) data[y * videoWidth + x] = (x + frame * 4) % videoWidth < 40 ? 235 : 40;
    }
    data.fill(128, luma);
    ++frame;
    source.onFrame({ width: videoWidth, height: videoHeight, data });
  }, 66);
  media.liveSources.add(timer);
  return track;
}

globalThis.navigator = globalThis.navigator ?? {};
globalThis.navigator.mediaDevices = {
  async getUserMedia(constraints = {}) {
    const tracks = [];
    if (constraints.audio) tracks.push(startTone());
    if (constraints.video) tracks.push(startCamera());
    return new wrtc.MediaStream(tracks);
  },
  async enumerateDevices() {
    return [
      { kind: "audioinput", deviceId: "tone", groupId: "harness", label: "tone" },
      { kind: "videoinput", deviceId: "pattern", groupId: "harness", label: "pattern" },
    ];
  },
  addEventListener() {},
  removeEventListener() {},
};

class AnalyserStandIn {
  fftSize = 512;
  frequencyBinCount = 256;
  smoothingTimeConstant = 0;
  getFloatFrequencyData(array) {
    array.fill(-Infinity);
  }
  getByteFrequencyData(array) {
    array.fill(0);
  }
}

globalThis.AudioContext = class AudioContextStandIn {
  createAnalyser() {
    return new AnalyserStandIn();
  }
  createMediaStreamSource() {
    return { connect() {}, disconnect() {} };
  }
  close() {
    return Promise.resolve();
  }
};
globalThis.window.AudioContext = globalThis.AudioContext;
