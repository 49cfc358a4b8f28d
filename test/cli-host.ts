/**
 * A child process that runs many CLI command lines in-process (main() with stdout and stderr
 * captured), so the fuzz and safety tests pay Node's start-up once instead of per command.
 * Not a test file itself: started by `CliHost` in helpers.ts.
 */
import { main } from '../src/cli/main.js';

interface Request {
  id: number;
  args: string[];
  env: Record<string, string>;
}

type Write = typeof process.stdout.write;

process.on('message', async ({ id, args, env }: Request) => {
  let stdout = '';
  let stderr = '';
  const [out, err] = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as Write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as Write;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  process.exitCode = undefined;
  let code: number;
  try {
    code = await main(['node', 'vectro', ...args]);
  } catch (e) {
    code = -1;
    stderr += `cli-host: main threw: ${(e as Error).stack}\n`;
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.exitCode = undefined;
  }
  process.send!({ id, code, stdout, stderr });
});
