// The command side of the peers' line-JSON protocol (peer.mjs, browser_peer.mjs): one JSON command a line on stdin,
// each answered by a "done" event carrying the result's fields, or by an "error" event. Closing stdin calls onClose.
import * as readline from "node:readline";

export function serveCommands({ run, emit, onClose }) {
  const input = readline.createInterface({ input: process.stdin });
  input.on("line", async (line) => {
    if (!line.trim()) return;
    let command;
    try {
      command = JSON.parse(line);
    } catch {
      emit({ ev: "error", error: `not JSON: ${line.slice(0, 80)}` });
      return;
    }
    try {
      emit({ ev: "done", id: command.id, cmd: command.cmd, ...(await run(command)) });
    } catch (error) {
      emit({ ev: "error", id: command.id, cmd: command.cmd, error: String(error?.message ?? error) });
    }
  });
  input.on("close", onClose);
}
