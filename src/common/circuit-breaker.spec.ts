import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DependencyCircuit } from './circuit-breaker.js';
import { DependencyUnavailableError } from './dependency-unavailable.error.js';

class Down extends Error {}

describe(DependencyCircuit.name, () => {
  const HALF_OPEN_AFTER_MS = 100;
  let calls: number;
  const circuit = () =>
    new DependencyCircuit('session store', (error) => error instanceof Down, {
      halfOpenAfterMs: HALF_OPEN_AFTER_MS,
    });
  const failing = (error: Error) => () => {
    calls++;
    return Promise.reject(error);
  };
  const working = () => {
    calls++;
    return Promise.resolve('answer');
  };

  beforeEach(() => {
    calls = 0;
    // The circuit's own lines (opened, closed) are for operators, not for this output.
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });

  afterEach(() => jest.restoreAllMocks());

  it('passes answers and errors through while closed', async () => {
    const c = circuit();
    await expect(c.run(working)).resolves.toBe('answer');
    await expect(c.run(failing(new Down('no answer')))).rejects.toBeInstanceOf(Down);
    await expect(c.run(working)).resolves.toBe('answer');
  });

  it('opens after three unavailable failures in a row: then fails at once, as a 503, without calling', async () => {
    const c = circuit();
    for (let i = 0; i < 3; i++)
      await expect(c.run(failing(new Down('no answer')))).rejects.toBeInstanceOf(Down);
    calls = 0;

    const error = await c.run(working).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).dependency).toBe('session store');
    expect(calls).toBe(0);
  });

  it('does not count errors that say nothing about the server (a bad query)', async () => {
    const c = circuit();
    for (let i = 0; i < 5; i++)
      await expect(c.run(failing(new TypeError('bad')))).rejects.toBeInstanceOf(TypeError);

    await expect(c.run(working)).resolves.toBe('answer');
  });

  it('lets one call through after a while, and closes when it succeeds', async () => {
    const c = circuit();
    for (let i = 0; i < 3; i++) await c.run(failing(new Down('no answer'))).catch(() => undefined);
    await expect(c.run(working)).rejects.toBeInstanceOf(DependencyUnavailableError);

    await sleep(HALF_OPEN_AFTER_MS + 20);

    await expect(c.run(working)).resolves.toBe('answer');
    await expect(c.run(working)).resolves.toBe('answer');
  });

  it('opens again at once when the trial call fails', async () => {
    const c = circuit();
    for (let i = 0; i < 3; i++) await c.run(failing(new Down('no answer'))).catch(() => undefined);
    await sleep(HALF_OPEN_AFTER_MS + 20);

    await expect(c.run(failing(new Down('still no answer')))).rejects.toBeInstanceOf(Down);
    calls = 0;
    await expect(c.run(working)).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(calls).toBe(0);
  });
});
