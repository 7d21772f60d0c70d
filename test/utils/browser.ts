import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium; never a downloaded browser. Playwright gives each launch a fresh profile. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/**
 * Records everything that would show up as a problem in a person's browser: console errors
 * (CSP violations included), uncaught page errors, HTTP error responses, and requests that
 * failed at the network level.
 */
export class PageProblems {
  readonly all: string[] = [];

  watch(page: Page): Page {
    page.on('console', (message) => {
      if (message.type() === 'error') this.all.push(`console: ${message.text()} (${message.location().url})`);
    });
    page.on('pageerror', (error) => this.all.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) this.all.push(`HTTP ${response.status()}: ${response.url()}`);
    });
    page.on('requestfailed', (request) =>
      this.all.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`),
    );
    return page;
  }

  /** Takes the problems seen so far, leaving none. */
  take(): string[] {
    return this.all.splice(0);
  }
}

export async function newPage(
  browser: Browser,
  problems: PageProblems,
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = problems.watch(await context.newPage());
  return { context, page };
}
