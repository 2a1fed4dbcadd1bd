// A matrix-js-sdk party inside headless Debian Chromium (real browser WebRTC), driven by the same line-JSON protocol
// as peer.mjs. The page (browser/page.mjs + matrix-js-sdk, bundled here with esbuild) is served from memory through
// playwright-core's request routing; no browser is downloaded (MXCALL_CHROMIUM or /usr/bin/chromium).
// Loopback ICE needs --allow-loopback-in-peer-connection (Chromium gathers no loopback candidate otherwise), and
// host candidates are only shown as 127.0.0.1 (not mDNS names) with the media permission granted.
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import { serveCommands } from "./command_lines.mjs";

const log = (...args) => process.stderr.write(`[browser] ${args.map(String).join(" ")}\n`);
const emit = (event) => process.stdout.write(JSON.stringify(event) + "\n");

const bundle = await esbuild.build({
  entryPoints: [fileURLToPath(new URL("./browser/page.mjs", import.meta.url))],
  bundle: true,
  write: false,
  format: "esm",
  platform: "browser",
  target: "chrome120",
  logLevel: "error",
  define: { global: "globalThis", "process.env.NODE_ENV": '"production"' },
});

const browser = await chromium.launch({
  executablePath: process.env.MXCALL_CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox",  // the tests run as root in CI
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    // The page (served from memory, so from no address space) reaches Synapse on 127.0.0.1: Chromium's Local
    // Network Access would refuse that ("Permission was denied for this request to access the `loopback` address
    // space"); a browser page of a deployed client talks to a public homeserver instead.
    "--disable-features=LocalNetworkAccessChecks,BlockInsecurePrivateNetworkRequests",
  ],
});
const context = await browser.newContext({ permissions: ["microphone", "camera"] });
const page = await context.newPage();
page.on("console", (message) => log(message.text()));
page.on("pageerror", (error) => log("page error:", error.message));
let pageReady;
const ready = new Promise((resolve) => (pageReady = resolve));
await page.exposeFunction("mxEmit", (event) => {
  if (event.ev === "page_ready") pageReady();
  else if (event.ev === "exit") quit();
  else emit(event);
});
await page.route("http://localhost/**", (route) => {
  const url = new URL(route.request().url());
  if (url.pathname === "/page.js") {
    return route.fulfill({ contentType: "text/javascript", body: bundle.outputFiles[0].text });
  }
  return route.fulfill({ contentType: "text/html", body: '<!doctype html><script type="module" src="/page.js"></script>' });
});
await page.goto("http://localhost/");
await ready;

let quitting = false;
async function quit() {
  if (quitting) return;
  quitting = true;
  await browser.close().catch(() => {});
  process.exit(0);
}

serveCommands({
  run: (command) => page.evaluate((c) => window.mxParty.run(c), command),
  emit: (event) => emit(event.t ? event : { ...event, t: Date.now() }),
  onClose: quit,
});
