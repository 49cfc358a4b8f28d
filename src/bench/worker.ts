/**
 * The bench worker: builds each suite's cases and measures them off the main thread, posting events
 * as it goes, so the main thread keeps the spinner moving, answers Ctrl-C and writes exports.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../backends/select.js';
import type { BenchEvent, BenchPlan } from './plan.js';
import { measure } from './runner.js';
import { suiteByName } from './suites/index.js';

const plan = workerData as BenchPlan;
const post = (event: BenchEvent) => parentPort!.postMessage(event);
const backends = plan.backends.map((name) => selectBackend(name));

for (const suiteName of plan.suites) {
  const suite = suiteByName(suiteName)!;
  const cases = suite.cases(plan.options);
  for (const [index, c] of cases.entries()) {
    const runners = backends.filter((b) => !c.backends || c.backends.includes(b.name));
    if (runners.length === 0) continue;
    const run = c.setup();
    for (const backend of runners) {
      post({ type: 'case', suite: suite.name, case: c.name, backend: backend.name, index, total: cases.length });
      post({ type: 'result', result: measure(suite.name, c, run, backend, plan.limits, plan.peakGflops) });
    }
  }
  post({ type: 'suite-done', suite: suite.name });
}
post({ type: 'done' });
