import { Module } from '@nestjs/common';
import { PageRenderer } from './page-renderer.js';
import { PagesController } from './pages.controller.js';

/** The users page, the about page and the HTML 404 page; assets are served by `setupApp`. */
@Module({
  controllers: [PagesController],
  providers: [PageRenderer],
  exports: [PageRenderer],
})
export class PagesModule {}
