import ora, { type Ora } from 'ora';
import { formatRate } from '../export/format.js';

/**
 * A spinner on stderr for long work, shown only on a terminal and without --quiet, so piped and
 * machine-readable output stays clean.
 */
export class Progress {
  private spinner: Ora | undefined;
  private startedAt = 0;
  private label = '';

  constructor(enabled: boolean) {
    if (enabled && process.stderr.isTTY) this.spinner = ora({ stream: process.stderr, discardStdin: false });
  }

  start(text: string): void {
    this.startedAt = performance.now();
    this.spinner?.start(text);
  }

  /** `label: done/total (pct%), rate vectors/s`. */
  update(label: string, done: number, total: number): void {
    if (!this.spinner) return;
    if (label !== this.label) {
      // A new phase: its rate counts from here.
      this.label = label;
      this.startedAt = performance.now();
    }
    const seconds = (performance.now() - this.startedAt) / 1000;
    const pct = total > 0 ? ((100 * done) / total).toFixed(1) : '100.0';
    const rate = seconds > 0 ? `, ${formatRate(done / seconds)} vectors/s` : '';
    this.spinner.text = `${label}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${pct}%)${rate}`;
  }

  stop(): void {
    this.spinner?.stop();
  }
}
