import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const LOGGER = join(import.meta.dirname, '..', '..', 'dist', 'logging', 'logger.js');
const LINES = 3000;

/**
 * A process that logs `LINES` lines in one turn (all held by the batching), then `last words`,
 * then leaves as `how` says: its stdout is a pipe read by someone slow, so writes block on a
 * full pipe halfway through.
 */
async function logThenLeave(
  how: 'process.exit' | 'uncaught exception',
): Promise<{ lines: string[]; code: number | null }> {
  const script = `
    const { createLogger } = require(${JSON.stringify(LOGGER)});
    const log = createLogger({ logLevel: 'info', logFormat: 'json' });
    process.on('uncaughtException', (error) => {
      log.error({ n: ${LINES + 1} }, 'last words: ' + error.message);
      process.exit(1);
    });
    for (let n = 0; n < ${LINES}; n++) log.info({ n }, 'line ' + n + ' ' + 'x'.repeat(100));
    ${how === 'process.exit' ? `log.info({ n: ${LINES + 1} }, 'last words'); process.exit(3);` : `setImmediate(() => { throw new Error('boom'); });`}
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  // Nobody reads for a while: the pipe (64 KiB) fills and the child's writes wait.
  child.stdout.pause();
  await sleep(300);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { lines: output.split('\n').filter(Boolean), code };
}

describe('log lines when the process exits (dist/logging/logger.js)', () => {
  it.each(['process.exit', 'uncaught exception'] as const)(
    'every line held or blocked on a full pipe is written, in order, when it leaves by %s',
    async (how) => {
      const { lines, code } = await logThenLeave(how);

      expect(code).toBe(how === 'process.exit' ? 3 : 1);
      const numbers = lines.map((line) => (JSON.parse(line) as { n: number }).n);
      expect(numbers).toEqual([...Array.from({ length: LINES }, (_, n) => n), LINES + 1]);
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ msg: expect.stringMatching(/^last words/) });
    },
  );
});
