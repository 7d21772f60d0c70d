import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type TlsFiles } from '../config/configuration.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer[];
  /** The certificate's subject alternative names, e.g. "DNS:localhost, IP Address:127.0.0.1". */
  subjectAltName?: string;
}

function read(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    const why =
      code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code})`;
    throw new ConfigError(variable, `file ${file} ${why}`);
  }
}

function certificate(variable: string, file: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new ConfigError(variable, `file ${file} is not a PEM certificate`);
  }
}

/**
 * Reads and checks the PEM files before anything listens, so a bad file is one clear line
 * (naming the variable, the file and the problem) rather than a TLS error at the first client.
 */
export function loadTls(files: TlsFiles, now = new Date()): TlsMaterial {
  const cert = read('TLS_CERT', files.cert);
  const key = read('TLS_KEY', files.key);
  const leaf = certificate('TLS_CERT', files.cert, cert);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new ConfigError('TLS_KEY', `file ${files.key} is not a PEM private key (or it is encrypted)`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new ConfigError('TLS_KEY', `file ${files.key} does not match the certificate in ${files.cert}`);
  }
  if (new Date(leaf.validTo) < now) {
    throw new ConfigError(
      'TLS_CERT',
      `file ${files.cert} expired on ${new Date(leaf.validTo).toISOString()}`,
    );
  }
  const ca = files.ca.map((file) => {
    const pem = read('TLS_CA', file);
    certificate('TLS_CA', file, pem);
    return pem;
  });
  return { cert, key, ...(ca.length ? { ca } : {}), subjectAltName: leaf.subjectAltName };
}
