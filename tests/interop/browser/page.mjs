// The browser side of the browser peer: the same party (../party.mjs) inside headless Chromium, on Chromium's own
// WebRTC. The microphone is a WebAudio oscillator at the party's tone, the camera is Chromium's fake device
// (--use-fake-device-for-media-stream); received tracks are read with WebCodecs (MediaStreamTrackProcessor).
// Bundled with matrix-js-sdk by browser_peer.mjs; talks to it through window.mxParty.run and window.mxEmit.
import { logger } from "matrix-js-sdk/lib/logger.js";
import { createParty } from "../party.mjs";
import { ToneMeter } from "../listener.mjs";

logger.setLevel("warn");
const audioContext = new AudioContext();
let toneHz = 440;
const liveTracks = new Set();
const realGetUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);

navigator.mediaDevices.getUserMedia = async (constraints = {}) => {
  const tracks = [];
  if (constraints.audio) {
    await audioContext.resume();
    const oscillator = audioContext.createOscillator();
    oscillator.frequency.value = toneHz;
    const gain = audioContext.createGain();
    gain.gain.value = 0.25;
    const destination = audioContext.createMediaStreamDestination();
    oscillator.connect(gain).connect(destination);
    oscillator.start();
    tracks.push(...destination.stream.getAudioTracks());
  }
  if (constraints.video) tracks.push(...(await realGetUserMedia({ video: true })).getVideoTracks());
  for (const track of tracks) liveTracks.add(track);
  return new MediaStream(tracks);
};

// The "screen" js-sdk shares (setScreensharingEnabled asks getDisplayMedia): a canvas that changes every frame, so
// that the encoder has something to send. Headless Chromium has no screen to capture.
navigator.mediaDevices.getDisplayMedia = async () => {
  const canvas = document.createElement("canvas");
  canvas.width = 640;
  canvas.height = 360;
  const context = canvas.getContext("2d");
  let frame = 0;
  const timer = setInterval(() => {
    context.fillStyle = `hsl(${(frame * 7) % 360} 80% 50%)`;
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.fillStyle = "#fff";
    context.fillText(`screen ${frame++}`, 20, 40);
  }, 66);
  const stream = canvas.captureStream(15);
  for (const track of stream.getVideoTracks()) {
    track.addEventListener("ended", () => clearInterval(timer));
    liveTracks.add(track);
  }
  return stream;
};

// Reads every frame of a track until it ends or stop() is called.
class TrackReader {
  constructor(track, onFrame) {
    this.reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    this.stopped = false;
    (async () => {
      while (!this.stopped) {
        const { value, done } = await this.reader.read();
        if (done) break;
        try {
          onFrame(value);
        } finally {
          value.close();
        }
      }
    })().catch(() => {});
  }

  stop() {
    this.stopped = true;
    this.reader.cancel().catch(() => {});
  }
}

class BrowserAudioListener {
  constructor(track, onFirstAudio) {
    this.meter = new ToneMeter(onFirstAudio);
    // Chromium decodes remote audio only for a track that plays somewhere.
    this.element = new Audio();
    this.element.srcObject = new MediaStream([track]);
    this.element.play().catch(() => {});
    let buffer = new Float32Array(0);
    this.reader = new TrackReader(track, (data) => {
      if (buffer.length < data.numberOfFrames) buffer = new Float32Array(data.numberOfFrames);
      data.copyTo(buffer, { planeIndex: 0, format: "f32-planar" });
      this.meter.push((i) => buffer[i] * 32767, data.numberOfFrames, data.sampleRate);
    });
  }

  report() {
    return this.meter.report();
  }

  stop() {
    this.reader.stop();
    this.element.srcObject = null;
  }
}

class BrowserVideoListener {
  constructor(track) {
    this.frames = 0;
    this.width = 0;
    this.height = 0;
    this.reader = new TrackReader(track, (frame) => {
      ++this.frames;
      this.width = frame.displayWidth;
      this.height = frame.displayHeight;
    });
  }

  report() {
    return { frames: this.frames, width: this.width, height: this.height };
  }

  stop() {
    this.reader.stop();
  }
}

window.mxParty = createParty({
  emit: (event) => window.mxEmit(event),
  listenAudio: (track, onFirstAudio) => new BrowserAudioListener(track, onFirstAudio),
  listenVideo: (track) => new BrowserVideoListener(track),
  setTone: (hz) => {
    toneHz = hz;
  },
  stopMedia: () => {
    for (const track of liveTracks) track.stop();
  },
  exit: () => window.mxEmit({ ev: "exit" }),
});
window.mxEmit({ ev: "page_ready" });
