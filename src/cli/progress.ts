import ora, { type Ora } from 'ora';

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
    const rate = seconds > 0 ? `, ${formatCount(done / seconds)} vectors/s` : '';
    this.spinner.text = `${label}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${pct}%)${rate}`;
  }

  stop(): void {
    this.spinner?.stop();
  }
}

/** 1234567 -> "1.23M". */
export function formatCount(n: number): string {
  if (n >= 1e9) return (n / 1e9).toFixed(2) + 'G';
  if (n >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return n.toFixed(0);
}
