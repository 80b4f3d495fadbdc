// A one-line progress bar on standard error, drawn only when it is a terminal
// and the output is for people (never with --json): redrawn in place with a
// carriage return, at most ten times a second, and erased when done.
import type { CliIo } from './output.js';

export interface Progress {
  /** `done` of `total` (total 0: no bar, only the note). */
  update(done: number, total: number, note?: string): void;
  /** Erases the line. */
  end(): void;
}

const WIDTH = 30;
const none: Progress = { update: () => undefined, end: () => undefined };

export function progressBar(io: CliIo, json: boolean, label: string): Progress {
  if (json || !io.stderrIsTTY) return none;
  let last = 0;
  let drawn = false;
  return {
    update(done, total, note) {
      const now = Date.now();
      if (drawn && done < total && now - last < 100) return;
      last = now;
      drawn = true;
      const bar =
        total > 0 ? `[${'#'.repeat(Math.round((WIDTH * Math.min(done, total)) / total)).padEnd(WIDTH, '.')}] ${done}/${total}` : '';
      // \x1b[K clears what a longer previous line left.
      io.stderr(`\r${[label, bar, note].filter(Boolean).join(' ')}\x1b[K`);
    },
    end() {
      if (drawn) io.stderr('\r\x1b[K');
      drawn = false;
    },
  };
}
