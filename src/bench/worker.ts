/**
 * The bench worker: builds each suite's cases and measures them off the main thread, posting events
 * as it goes, so the main thread keeps the spinner moving, answers Ctrl-C and writes exports.
 */
import type { Backend } from '../backends/backend.js';
import { selectBackend } from '../backends/select.js';
import type { BenchEvent, BenchPlan } from './plan.js';
import { closeFaissWorkers, FaissError } from '../peers/faiss.js';
import { measure } from './runner.js';
import { suiteByName } from './suites/index.js';
import { serveTask } from '../tasks.js';

await serveTask<BenchPlan, BenchEvent, null>(async (plan, post) => {
  /** Kernel backends by name; index suites also name peers (hnswlib, usearch). */
  const kernels = new Map<string, Backend>(plan.backends.filter((n): n is 'native' | 'js' => n === 'native' || n === 'js').map((n) => [n, selectBackend(n)]));

  for (const suiteName of plan.suites) {
    const suite = suiteByName(suiteName)!;
    const cases = suite.cases(plan.options);
    for (const [index, c] of cases.entries()) {
      const chosen = plan.backends.includes('native') ? [...plan.backends, 'native-int8', 'native-rabitq4'] : plan.backends;
      const targets = chosen.filter((b) => (c.backends ?? ['native', 'js']).includes(b));
      if (targets.length === 0) continue;
      const kernelRun = c.setup?.();
      const targetRun = c.setupTarget?.();
      for (const target of targets) {
        post({ type: 'case', suite: suite.name, case: c.name, backend: target, index, total: cases.length });
        const run = targetRun ? () => targetRun(target) : () => kernelRun!(kernels.get(target)!);
        try {
          post({ type: 'result', result: await measure(suite.name, c, run, target, plan.limits, plan.peakGflops) });
        } catch (err) {
          if (!(err instanceof FaissError)) throw err;
          post({ type: 'skip', suite: suite.name, case: c.name, backend: target, reason: err.message });
        }
      }
    }
    post({ type: 'suite-done', suite: suite.name });
  }
  closeFaissWorkers();
  return { result: null };
});
