import { ExpressAdapter } from '@nestjs/platform-express';
import express from 'express';
import type { AddressInfo } from 'node:net';
import type { AppConfig } from '../config/configuration.js';
import { type AnyServer, createServer, listen } from './create-server.js';
import { expressListener } from './express-http2.js';
import { closeGracefully } from './graceful-close.js';
import { CertificateHosts, createRedirectServer } from './redirect-server.js';
import type { TlsMaterial } from './tls.js';

/**
 * Nest's Express adapter on the transport the configuration asks for (HTTP, HTTPS or HTTP/2
 * with HTTP/1.1 fallback), plus the optional plain-HTTP redirect listener; closing it closes
 * idle connections and HTTP/2 sessions instead of waiting for clients to leave.
 */
// How long an idle keep-alive connection is left open when closing, so a request already on its
// way is answered rather than crossing the FIN: a network round trip, not a keep-alive timeout.
const IDLE_GRACE_MS = 250;

export class TransportAdapter extends ExpressAdapter {
  private readonly closers: Array<() => Promise<void>> = [];

  /** @param tls the checked PEM material (see loadTls), required for https and http2 */
  constructor(
    private readonly config: AppConfig,
    private readonly tls?: TlsMaterial,
  ) {
    super(express());
  }

  override initHttpServer(): void {
    const { protocol, timeouts } = this.config;
    const server = createServer(protocol, this.tls, timeouts, expressListener(this.getInstance()));
    // Nest types this as an HTTP/1 server; the HTTP/2 one offers everything Nest uses of it.
    this.httpServer = server as unknown as typeof this.httpServer;
    this.closers.push(closeGracefully(server, IDLE_GRACE_MS));
  }

  /** Starts the redirect listener when HTTP_REDIRECT_PORT is set; call once the main server listens. */
  async listenRedirect(): Promise<AddressInfo | undefined> {
    if (this.config.httpRedirectPort === undefined) return undefined;
    const { port } = (this.httpServer as AnyServer).address() as AddressInfo;
    const hosts = new CertificateHosts(this.tls?.subjectAltName);
    const server = createRedirectServer(port, hosts, this.config.timeouts);
    this.closers.push(closeGracefully(server, IDLE_GRACE_MS));
    return listen(server, this.config.httpRedirectPort, this.config.host);
  }

  override async close(): Promise<void> {
    await Promise.all(this.closers.map((close) => close()));
  }
}
