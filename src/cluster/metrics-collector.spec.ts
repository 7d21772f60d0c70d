import type { Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import { Counter, Histogram, Registry } from 'prom-client';
import { collectMetrics } from './metrics-collector.js';
import type { SupervisorMessage } from './messages.js';

/** A worker answering collections from its own registry, or (`behaviour`) not answering at all. */
function fakeWorker(pid: number, requests: number, behaviour: 'answer' | 'silent' | 'exit' = 'answer') {
  const registry = new Registry();
  const counter = new Counter({
    name: 'requests_total',
    help: 'h',
    labelNames: ['route'],
    registers: [registry],
  });
  const histogram = new Histogram({
    name: 'took_seconds',
    help: 'h',
    buckets: [0.1, 1],
    registers: [registry],
  });
  counter.inc({ route: '/a' }, requests);
  for (let i = 0; i < requests; i++) histogram.observe(0.05);
  const worker = Object.assign(new EventEmitter(), {
    process: { pid },
    send(message: SupervisorMessage, callback: () => void) {
      setImmediate(callback);
      if (message.type !== 'metrics-collect') return;
      if (behaviour === 'exit') setImmediate(() => worker.emit('exit', 0, null));
      if (behaviour !== 'answer') return;
      void registry
        .getMetricsAsJSON()
        .then((metrics) => worker.emit('message', { type: 'metrics-snapshot', id: message.id, metrics }));
    },
  });
  return worker as unknown as Worker;
}

describe(collectMetrics.name, () => {
  it("sums every worker's counters and histograms", async () => {
    const text = await collectMetrics([fakeWorker(1, 3), fakeWorker(2, 4)]);

    expect(text).toContain('requests_total{route="/a"} 7');
    expect(text).toContain('took_seconds_bucket{le="0.1"} 7');
    expect(text).toContain('took_seconds_count 7');
  });

  it('counts nothing for a worker that exits before answering', async () => {
    const text = await collectMetrics([fakeWorker(1, 3), fakeWorker(2, 4, 'exit')]);

    expect(text).toContain('requests_total{route="/a"} 3');
  });

  it('fails, naming the worker, when one does not answer in time', async () => {
    await expect(collectMetrics([fakeWorker(1, 3), fakeWorker(2, 4, 'silent')], 50)).rejects.toThrow(
      'worker 2 did not send its metrics within 50 ms',
    );
  });

  it('fails when a worker reports that it could not read its metrics', async () => {
    const worker = fakeWorker(3, 0, 'silent');
    const send = worker.send.bind(worker);
    worker.send = ((message: SupervisorMessage, callback: () => void) => {
      send(message, callback);
      if (message.type === 'metrics-collect')
        setImmediate(() =>
          worker.emit('message', { type: 'metrics-snapshot', id: message.id, error: 'boom' }),
        );
      return true;
    }) as Worker['send'];

    await expect(collectMetrics([worker])).rejects.toThrow('worker 3: boom');
  });

  it('ignores answers to other collections', async () => {
    const late = fakeWorker(4, 1, 'silent');
    const result = collectMetrics([late], 100);
    late.emit('message', { type: 'metrics-snapshot', id: -1, metrics: [] });

    await expect(result).rejects.toThrow('did not send its metrics');
  });

  it('is empty without workers', async () => {
    expect((await collectMetrics([])).trim()).toBe('');
  });
});
