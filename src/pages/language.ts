import type { Request } from 'express';
import type { Language } from './page-renderer.js';

/** The page language: the visitor's own choice (the `lang` cookie set by the switch), else Accept-Language. */
export function pageLanguage(req: Request): Language {
  const chosen = /(?:^|;\s*)lang=(ko|en)(?:;|$)/.exec(req.get('cookie') ?? '')?.[1];
  if (chosen) return chosen as Language;
  // English first: a client that states no preference at all gets English.
  return (req.acceptsLanguages('en', 'ko') as Language | false) || 'en';
}
