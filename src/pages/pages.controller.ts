import { Controller, Get, Header, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../auth/public.decorator.js';
import { PACKAGE } from '../package-info.js';
import { pageLanguage } from './language.js';
import { PageRenderer } from './page-renderer.js';

// Each page's language depends on the visitor's cookie and Accept-Language.
const VARY = 'Accept-Language, Cookie';

@ApiExcludeController()
@Public()
@Controller()
export class PagesController {
  constructor(private readonly pages: PageRenderer) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Vary', VARY)
  @Header('Cache-Control', 'no-cache')
  users(@Req() req: Request): string {
    return this.pages.render('index', { lang: pageLanguage(req) });
  }

  /** Live facts about the request that served it: under the cluster, reloading shows other pids. */
  @Get('about')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Vary', VARY)
  @Header('Cache-Control', 'no-store')
  about(@Req() req: Request): string {
    return this.pages.render('about', {
      lang: pageLanguage(req),
      version: PACKAGE.version,
      protocol: req.httpVersionMajor === 2 ? 'HTTP/2' : `HTTP/${req.httpVersion}`,
      pid: process.pid,
      node: process.version,
    });
  }
}
