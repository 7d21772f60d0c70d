import { Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where pages and assets live; `public/assets` is served as is, the templates beside it are rendered. */
export const PUBLIC_DIR = join(import.meta.dirname, '..', '..', 'public');

export type PageName = 'index' | 'about' | '404';
export type Language = 'ko' | 'en';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Fills `{{name}}` placeholders in the HTML templates, always HTML-escaped. Templates are read
 * once at start; texts are translated in the browser (`assets/i18n.js`).
 */
@Injectable()
export class PageRenderer {
  // Shared pieces (`{{>head}}`, `{{>header}}`) are put in once, when the templates are read.
  private readonly templates = new Map<PageName, string>(
    (['index', 'about', '404'] as const).map((name) => [
      name,
      readFileSync(join(PUBLIC_DIR, `${name}.html`), 'utf8').replace(
        / *\{\{>(\w+)\}\}\n/g,
        (_, partial: string) => readFileSync(join(PUBLIC_DIR, 'partials', `${partial}.html`), 'utf8'),
      ),
    ]),
  );

  render(name: PageName, values: Record<string, string | number>): string {
    return this.templates
      .get(name)!
      .replace(/\{\{(\w+)\}\}/g, (placeholder, key: string) =>
        key in values ? String(values[key]).replace(/[&<>"']/g, (c) => ESCAPES[c]) : placeholder,
      );
  }
}
