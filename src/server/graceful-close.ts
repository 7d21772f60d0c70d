import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, Http2Session } from 'node:http2';
import type { Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import type { AnyServer } from './create-server';

/**
 * Follows a server's connections so that closing it finishes quickly and cleanly: HTTP/2
 * sessions get GOAWAY (open streams finish first), idle HTTP/1.x keep-alive sockets are closed
 * at once and busy ones right after their last response. Without this, `server.close()` waits
 * for every idle client to leave by itself.
 */
export function closeGracefully(server: AnyServer): () => Promise<void> {
  const sessions = new Set<Http2Session>();
  const busy = new Map<Socket, number>();
  const sockets = new Set<Socket>();
  let closing = false;

  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    if (closing) session.close();
  });
  const onSocket = (socket: Socket) => {
    if ((socket as { alpnProtocol?: string | false }).alpnProtocol === 'h2') return;
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      busy.delete(socket);
    });
  };
  // On a TLS server the requests ride the TLS socket; the raw TCP one under it must not be ended.
  server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', onSocket);
  server.on(
    'request',
    (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
      if (req.httpVersionMajor === 2) return;
      const socket = req.socket;
      busy.set(socket, (busy.get(socket) ?? 0) + 1);
      if (closing) (res as ServerResponse).setHeader('Connection', 'close');
      res.once('close', () => {
        const left = (busy.get(socket) ?? 1) - 1;
        busy.set(socket, left);
        if (closing && left === 0) socket.end();
      });
    },
  );

  return () =>
    new Promise<void>((resolve) => {
      closing = true;
      server.close(() => resolve());
      for (const session of sessions) session.close();
      for (const socket of sockets) if (!busy.get(socket)) socket.end();
    });
}
