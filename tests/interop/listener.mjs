// What a JS party hears and sees: PCM from a remote audio track (wrtc's RTCAudioSink) and decoded frames from a
// remote video track (RTCVideoSink). Reports the dominant frequency of the recent audio (a Goertzel sweep), its level,
// and counters the harness diffs to tell "audio flows" from "silence" (a held call still carries a few packets).
const windowSeconds = 0.2;
export const energyThreshold = 300;  // RMS on the int16 scale: comfort noise and silence stay far below

// Power of `frequency` in `samples` (one Goertzel filter).
function goertzel(samples, count, sampleRate, frequency) {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < count; ++i) {
    const s0 = samples[i] + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}

// The strongest frequency between 100 and 4000 Hz: a coarse 10 Hz sweep, then 1 Hz around the peak.
export function dominantFrequency(samples, count, sampleRate) {
  let best = 0;
  let bestPower = -1;
  const sweep = (from, to, step) => {
    for (let f = from; f <= to; f += step) {
      const power = goertzel(samples, count, sampleRate, f);
      if (power > bestPower) {
        bestPower = power;
        best = f;
      }
    }
  };
  sweep(100, 4000, 10);
  sweep(Math.max(100, best - 10), best + 10, 1);
  return best;
}

// Counts and analyses received PCM, whatever delivers it (wrtc's RTCAudioSink in Node, WebCodecs AudioData in
// Chromium). Samples are on the int16 scale. "frames" are 10 ms of audio, as wrtc delivers them.
export class ToneMeter {
  constructor(onFirstAudio) {
    this.onFirstAudio = onFirstAudio;
    this.ring = null;
    this.filled = 0;
    this.write = 0;
    this.sampleRate = 48000;
    this.frames = 0;
    this.loudFrames = 0;
    this.firstAudioAt = null;
  }

  // `at(i)` is sample i (of `count`) of the first channel.
  push(at, count, sampleRate) {
    if (!this.ring || this.sampleRate !== sampleRate) {
      this.sampleRate = sampleRate;
      this.ring = new Float64Array(Math.round(sampleRate * windowSeconds));
      this.filled = 0;
      this.write = 0;
    }
    const frameSamples = sampleRate / 100;
    for (let start = 0; start < count; start += frameSamples) {
      const end = Math.min(count, start + frameSamples);
      let energy = 0;
      for (let i = start; i < end; ++i) {
        const value = at(i);
        energy += value * value;
        this.ring[this.write] = value;
        this.write = (this.write + 1) % this.ring.length;
      }
      this.filled = Math.min(this.ring.length, this.filled + end - start);
      ++this.frames;
      if (Math.sqrt(energy / Math.max(1, end - start)) > energyThreshold) {
        ++this.loudFrames;
        if (this.firstAudioAt === null) {
          this.firstAudioAt = performance.timeOrigin + performance.now();
          this.onFirstAudio?.(this.firstAudioAt);
        }
      }
    }
  }

  report() {
    const count = this.filled;
    const ordered = new Float64Array(count);
    for (let i = 0; i < count; ++i) ordered[i] = this.ring[(this.write - count + i + this.ring.length) % this.ring.length];
    let energy = 0;
    for (const value of ordered) energy += value * value;
    const rms = count ? Math.sqrt(energy / count) : 0;
    return {
      frames: this.frames,
      loud_frames: this.loudFrames,
      rms: Math.round(rms),
      freq: rms > energyThreshold ? dominantFrequency(ordered, count, this.sampleRate) : 0,
    };
  }
}

// A remote audio track in Node: wrtc's RTCAudioSink hands over 10 ms of int16 PCM at a time.
export class AudioListener {
  constructor(track, wrtc, onFirstAudio) {
    this.meter = new ToneMeter(onFirstAudio);
    this.sink = new wrtc.nonstandard.RTCAudioSink(track);
    this.sink.ondata = ({ samples, sampleRate, channelCount, numberOfFrames }) =>
      this.meter.push((i) => samples[i * channelCount], numberOfFrames, sampleRate);
  }

  report() {
    return this.meter.report();
  }

  stop() {
    this.sink.stop();
  }
}

export class VideoListener {
  constructor(track, wrtc) {
    this.sink = new wrtc.nonstandard.RTCVideoSink(track);
    this.frames = 0;
    this.width = 0;
    this.height = 0;
    this.sink.onframe = ({ frame }) => {
      ++this.frames;
      this.width = frame.width;
      this.height = frame.height;
    };
  }

  report() {
    return { frames: this.frames, width: this.width, height: this.height };
  }

  stop() {
    this.sink.stop();
  }
}
