import { Backoff, DEFAULT_BACKOFF } from './backoff.js';

describe(Backoff.name, () => {
  it('grows the delay by half each time, up to 15 s', () => {
    const backoff = new Backoff();
    const delays = Array.from({ length: 9 }, (_, i) => backoff.exited(10, i * 10_000));

    expect(delays).toEqual([100, 150, 225, 338, 506, 759, 1139, 1709, 2563]);
    const capped = new Backoff({ ...DEFAULT_BACKOFF, crashLoopExits: 100 });
    let last = 0;
    for (let i = 0; i < 20; i++) last = capped.exited(10, i * 60_000)!;
    expect(last).toBe(15_000);
  });

  it('starts again from 100 ms after a worker ran for 30 s', () => {
    const backoff = new Backoff();
    backoff.exited(10, 0);
    backoff.exited(10, 1_000);

    expect(backoff.exited(30_000, 40_000)).toBe(100);
  });

  it('reports a crash loop at the 10th exit within 60 s', () => {
    const backoff = new Backoff();
    for (let i = 0; i < 9; i++) expect(backoff.exited(10, i * 1_000)).toBeDefined();

    expect(backoff.exited(10, 9_000)).toBeUndefined();
  });

  it('forgets exits older than the window', () => {
    const backoff = new Backoff();
    for (let i = 0; i < 9; i++) backoff.exited(10, i * 1_000);

    expect(backoff.exited(10, 70_000)).toBeDefined();
  });
});
