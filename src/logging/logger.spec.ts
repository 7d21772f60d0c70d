import type { LogFormat } from '../config/configuration.js';
import { batchedLines, createLogger } from './logger.js';

function capture(format: LogFormat) {
  const lines: string[] = [];
  const logger = createLogger({ logLevel: 'info', logFormat: format }, { write: (line) => lines.push(line) });
  return { logger, lines };
}

describe(createLogger.name, () => {
  it('writes JSON lines with the level name, time and pid', () => {
    const { logger, lines } = capture('json');

    logger.info({ event: 'fork', worker: 42 }, 'supervisor: forked worker 42');

    expect(lines).toHaveLength(1);
    expect(lines[0].endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0])).toEqual({
      level: 'info',
      time: expect.any(Number),
      pid: process.pid,
      hostname: expect.any(String),
      event: 'fork',
      worker: 42,
      msg: 'supervisor: forked worker 42',
    });
  });

  it('redacts credentials, cookies, bodies and session ids handed to it', () => {
    const { logger, lines } = capture('json');

    logger.warn(
      {
        req: {
          headers: { cookie: 'sid=s%3Asecret-1', authorization: 'Bearer secret-2' },
          body: { a: 'secret-3' },
        },
        res: { headers: { 'set-cookie': 'sid=secret-4' } },
        password: 'secret-5',
        currentPassword: 'secret-6',
        sid: 'secret-7',
        session: { userId: 'secret-8' },
        body: { name: 'secret-9' },
      },
      'careless',
    );

    expect(lines[0]).not.toMatch(/secret-/);
    expect(JSON.parse(lines[0])).toMatchObject({
      password: '[redacted]',
      req: { headers: { cookie: '[redacted]' } },
    });
  });

  it('leaves out levels below LOG_LEVEL, and maps Nest’s verbose to trace', () => {
    const { logger, lines } = capture('json');
    const verbose = createLogger({ logLevel: 'verbose', logFormat: 'json' }, { write: () => undefined });

    logger.debug('hidden');

    expect(lines).toEqual([]);
    expect(verbose.level).toBe('trace');
  });

  it('writes one readable line per request in the pretty format', () => {
    const { logger, lines } = capture('pretty');

    logger
      .child({ reqId: 'r-1' })
      .info(
        { method: 'GET', route: '/api/users/:id', status: 200, duration: 3, userId: 'u-1' },
        'request completed',
      );
    logger.info({ context: 'Server' }, 'Listening on http://localhost:3000 (pid 1)');

    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(\d+\): GET \/api\/users\/:id 200 3 ms \{"reqId":"r-1","userId":"u-1"\}\n$/,
    );
    expect(lines[1]).toMatch(/INFO \(\d+\): \[Server\] Listening on http:\/\/localhost:3000 \(pid 1\)\n$/);
  });
});

describe(batchedLines.name, () => {
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  function sink() {
    const writes: string[] = [];
    return { writes, out: { write: (chunk: string) => writes.push(chunk) } };
  }

  it('writes the lines of one event-loop turn together, in order, at its end', async () => {
    const { writes, out } = sink();
    const lines = batchedLines(out);

    lines.write('a\n');
    lines.write('b\n');
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual(['a\nb\n']);

    lines.write('c\n');
    await turn();
    expect(writes).toEqual(['a\nb\n', 'c\n']);
  });

  it('never puts more than maxBytes (counted in bytes) in one write, nor splits a line', async () => {
    const { writes, out } = sink();
    const lines = batchedLines(out, 8);

    lines.write('123\n');
    lines.write('한\n'); // 4 bytes: 8 in all, still one write
    lines.write('x\n'); // would make 10
    expect(writes).toEqual(['123\n한\n']);
    lines.write('a line longer than eight bytes\n');
    await turn();
    expect(writes).toEqual(['123\n한\n', 'x\n', 'a line longer than eight bytes\n']);
  });

  it('writes what it holds on flush, and nothing when it holds nothing', async () => {
    const { writes, out } = sink();
    const lines = batchedLines(out);

    lines.flush();
    lines.write('last words\n');
    lines.flush();
    expect(writes).toEqual(['last words\n']);
    await turn();
    expect(writes).toEqual(['last words\n']);
  });
});
