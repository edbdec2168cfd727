/**
 * GET over HTTPS as a platform client: the server's certificate is checked
 * against the CA, and the client presents its own when it has one (the
 * monitoring servers require it). Node's fetch cannot present one.
 */
import { get } from 'node:https';

export interface ClientTls {
  /** PEM text of the CA, and of the client's certificate and key. */
  readonly ca: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
}

/** Resolves with the status and body; rejects on a refused handshake, a connection error or `timeoutMs`. */
export function httpsGet(url: string, tls: ClientTls, timeoutMs = 2000): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca: tls.ca, cert: tls.cert, key: tls.key, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.once('error', reject);
    req.once('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
  });
}

/** GET `url` and parse its JSON body; rejects unless the status is 200. */
export async function httpsJson(url: string, tls: ClientTls): Promise<any> {
  const res = await httpsGet(url, tls);
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body);
}
