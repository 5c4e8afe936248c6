import { Socket } from 'node:net';

export interface ProbeTarget {
  host: string;
  port: number;
}

export type ProbeResult = { up: true } | { up: false; reason: string };

/**
 * SEC3's cheap check of a down tenant server: TCP connect, a 220 banner, 250 to EHLO, then QUIT. No mail
 * is sent. Infrastructure (a socket), kept apart from the rules; never throws.
 */
export function probeSmtpServer(target: ProbeTarget, ehloName: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    const socket = new Socket();
    let buffer = '';
    let stage: 'banner' | 'ehlo' = 'banner';
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (result.up) socket.end('QUIT\r\n');
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ up: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('error', (error: Error) => finish({ up: false, reason: error.message }));
    socket.on('close', () => finish({ up: false, reason: 'connection closed' }));
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      // A reply is complete at a line whose code is followed by a space (the last line of a multi-line reply).
      const lines = buffer.split('\r\n');
      const last = lines.slice(0, -1).find((line) => /^\d{3} /.test(line) || /^\d{3}$/.test(line));
      if (!last) return;
      buffer = '';
      const code = Number(last.slice(0, 3));
      if (stage === 'banner') {
        if (code !== 220) return finish({ up: false, reason: `banner: ${last}` });
        stage = 'ehlo';
        socket.write(`EHLO ${ehloName}\r\n`);
      } else {
        finish(code === 250 ? { up: true } : { up: false, reason: `EHLO: ${last}` });
      }
    });
    socket.connect(target.port, target.host);
  });
}
