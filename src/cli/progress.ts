import ora, { type Ora } from 'ora';
import { formatRate } from '../units.js';

/**
 * A spinner on stderr for long work, shown only on a terminal and without --quiet, so piped and
 * machine-readable output stays clean.
 */
export class Progress {
  private spinner: Ora | undefined;
  private startedAt = 0;
  private label = '';
  /** Bytes already there when a resumed transfer began: the rate counts only new ones. */
  private baseline = 0;

  constructor(enabled: boolean) {
    if (enabled && process.stderr.isTTY) this.spinner = ora({ stream: process.stderr, discardStdin: false });
  }

  start(text: string): void {
    this.startedAt = performance.now();
    this.spinner?.start(text);
  }

  /** `label: done/total (pct%), rate/s, ETA`. The rate counts from the start of the label's phase. */
  update(label: string, done: number, total: number): void {
    if (!this.spinner) return;
    if (label !== this.label) {
      // A new phase: its rate counts from here.
      this.label = label;
      this.startedAt = performance.now();
    }
    const seconds = (performance.now() - this.startedAt) / 1000;
    const pct = total > 0 ? ((100 * done) / total).toFixed(1) : '100.0';
    const perSecond = seconds > 0 ? done / seconds : 0;
    const rate = perSecond > 0 ? `, ${formatRate(perSecond)}/s` : '';
    const eta = perSecond > 0 && done < total ? `, ETA ${formatDuration((total - done) / perSecond)}` : '';
    this.spinner.text = `${label}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} (${pct}%)${rate}${eta}`;
  }

  /** `label: 12.3 MB of 161 MB (7.6%), 4.1 MB/s, ETA 36s`; without a total, bytes and rate only. */
  updateBytes(label: string, done: number, total: number | undefined): void {
    if (!this.spinner) return;
    if (label !== this.label) {
      this.label = label;
      this.startedAt = performance.now();
      this.baseline = done;
    }
    const seconds = (performance.now() - this.startedAt) / 1000;
    const perSecond = seconds > 0 ? (done - this.baseline) / seconds : 0;
    const of = total ? ` of ${formatRate(total)}B (${((100 * done) / total).toFixed(1)}%)` : '';
    const rate = perSecond > 0 ? `, ${formatRate(perSecond)}B/s` : '';
    const eta = total && perSecond > 0 && done < total ? `, ETA ${formatDuration((total - done) / perSecond)}` : '';
    this.spinner.text = `${label}: ${formatRate(done)}B${of}${rate}${eta}`;
  }

  stop(): void {
    this.spinner?.stop();
  }
}

/** 75 -> "1m15s"; 9.2 -> "9s". */
export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
