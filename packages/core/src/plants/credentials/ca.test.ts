import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCa, openCa, type DeviceCa } from './ca.js';

const PLANT = '0190f0c8-5a6b-7c3d-8e9f-0a1b2c3d4e5f';
const OTHER_PLANT = '0190f0c8-5a6b-7c3d-8e9f-0a1b2c3d4e60';
const DAY = 86_400_000;

let dir: string;
let ca: DeviceCa;
let caFile: string;
const now = new Date();

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Debian's OpenSSL: `openssl verify`, exit status and output. */
function opensslVerify(certPem: string, opts: { purpose?: string; caFile?: string } = {}): { ok: boolean; output: string } {
  const certFile = file(`cert-${Math.random().toString(36).slice(2)}.pem`, certPem);
  const args = ['verify', '-CAfile', opts.caFile ?? caFile, ...(opts.purpose ? ['-purpose', opts.purpose] : []), certFile];
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

function opensslCsr(name: string, newkey: string[]): { csrPem: string; keyFile: string } {
  const keyFile = join(dir, `${name}-key.pem`);
  const csrFile = join(dir, `${name}.csr`);
  execFileSync(
    'openssl',
    ['req', '-new', ...newkey, '-nodes', '-keyout', keyFile, '-subj', '/CN=not-the-plant/O=Elsewhere', '-out', csrFile],
    {
      stdio: 'pipe',
    },
  );
  return { csrPem: readFileSync(csrFile, 'utf8'), keyFile };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'helio-ca-'));
  ca = await openCa(await createCa(now));
  caFile = file('ca.pem', ca.certPem);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('device CA', () => {
  it('is a self-signed ECDSA P-256 CA valid for ten years', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const years = (new Date(cert.validTo).getTime() - now.getTime()) / (365.25 * DAY);
    expect(years).toBeGreaterThan(9.99);
    expect(years).toBeLessThan(10.01);
    // OpenSSL accepts it as its own trust anchor.
    expect(opensslVerify(ca.certPem).ok).toBe(true);
  });

  it('issues a client certificate that verifies with openssl verify -CAfile', async () => {
    const issued = await ca.issue({ plantId: PLANT, now, validityDays: 365 });
    const verified = opensslVerify(issued.certPem, { purpose: 'sslclient' });
    expect(verified.output).toContain(': OK');
    expect(verified.ok).toBe(true);
    // The same certificate against another CA fails OpenSSL's check too: the test above can fail.
    const other = await openCa(await createCa(now));
    expect(opensslVerify(issued.certPem, { caFile: file('other-ca.pem', other.certPem) }).ok).toBe(false);
  });

  it('binds the certificate to the plant: CN, SAN URI, clientAuth, serial, fingerprint, validity', async () => {
    const issued = await ca.issue({ plantId: PLANT, now, validityDays: 30 });
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', file('bound.pem', issued.certPem)], { encoding: 'utf8' });
    expect(text).toContain(`Subject: CN = ${PLANT}`);
    expect(text).toContain(`URI:urn:helio:plant:${PLANT}`);
    expect(text).toContain('TLS Web Client Authentication');
    expect(text).toContain('CA:FALSE');
    expect(text).toContain('NIST CURVE: P-256');
    expect(issued.serial).toMatch(/^[0-9a-f]{32}$/);
    const cert = new X509Certificate(issued.certPem);
    expect(cert.serialNumber.toLowerCase()).toBe(issued.serial);
    const opensslFingerprint = execFileSync(
      'openssl',
      ['x509', '-noout', '-fingerprint', '-sha256', '-in', file('fp.pem', issued.certPem)],
      {
        encoding: 'utf8',
      },
    );
    expect(opensslFingerprint.trim().split('=')[1]!.replaceAll(':', '').toLowerCase()).toBe(issued.fingerprint);
    expect(new Date(cert.validTo).getTime()).toBe(issued.notAfter.getTime());
    expect(new Date(cert.validFrom).getTime()).toBe(issued.notBefore.getTime());
    expect(issued.notAfter.getTime() - now.getTime()).toBeGreaterThan(30 * DAY - 1000);
    expect(issued.notAfter.getTime() - now.getTime()).toBeLessThanOrEqual(30 * DAY);
    // The generated key is a P-256 PKCS#8 key matching the certificate.
    expect(issued.keyPem).toContain('-----BEGIN PRIVATE KEY-----');
    expect(cert.checkPrivateKey(createPrivateKey(issued.keyPem!))).toBe(true);
    // Two certificates never share a serial.
    const again = await ca.issue({ plantId: PLANT, now, validityDays: 30 });
    expect(again.serial).not.toBe(issued.serial);
    expect(again.fingerprint).not.toBe(issued.fingerprint);
  });

  it('issues a server certificate for the gateway that OpenSSL accepts for TLS servers', async () => {
    const issued = await ca.issueServer({ hosts: ['mqtt.example.test', 'localhost', '127.0.0.1', '::1'], now, validityDays: 365 });
    expect(opensslVerify(issued.certPem, { purpose: 'sslserver' }).ok).toBe(true);
    const cert = new X509Certificate(issued.certPem);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBe('::1');
    expect(cert.checkHost('elsewhere.example')).toBeUndefined();
    // A server certificate is no plant's client certificate.
    expect(ca.verifyClient(issued.certPem, 'localhost', now)).toEqual({ ok: false, reason: 'not-client-cert' });
  });
});

describe('certificate signing requests', () => {
  it("signs an OpenSSL P-256 CSR: the device keeps its key, the CSR's subject is ignored", async () => {
    const { csrPem, keyFile } = opensslCsr('p256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const issued = await ca.issue({ plantId: PLANT, csrPem, now, validityDays: 365 });
    expect(issued.keyPem).toBeNull();
    const cert = new X509Certificate(issued.certPem);
    expect(cert.subject).toBe(`CN=${PLANT}`);
    const devicePublicKey = createPublicKey(readFileSync(keyFile, 'utf8'));
    expect(cert.publicKey.export({ type: 'spki', format: 'der' })).toEqual(devicePublicKey.export({ type: 'spki', format: 'der' }));
    expect(opensslVerify(issued.certPem, { purpose: 'sslclient' }).ok).toBe(true);
    expect(ca.verifyClient(issued.certPem, PLANT, now)).toMatchObject({ ok: true, fingerprint: issued.fingerprint });
  });

  it('signs an RSA 2048 CSR and refuses RSA 1024, P-384 and Ed25519 keys', async () => {
    const rsa = opensslCsr('rsa2048', ['-newkey', 'rsa:2048']);
    const issued = await ca.issue({ plantId: PLANT, csrPem: rsa.csrPem, now, validityDays: 365 });
    expect(opensslVerify(issued.certPem, { purpose: 'sslclient' }).ok).toBe(true);

    for (const [name, newkey] of [
      ['rsa1024', ['-newkey', 'rsa:1024']],
      ['p384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']],
      ['ed25519', ['-newkey', 'ed25519']],
    ] as const) {
      const { csrPem } = opensslCsr(name, [...newkey]);
      await expect(ca.issue({ plantId: PLANT, csrPem, now, validityDays: 365 }), name).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        message: expect.stringContaining('P-256 or RSA'),
      });
    }
  });

  it('refuses a CSR whose signature does not verify, and text that is no CSR', async () => {
    // A CSR made by @peculiar/x509, then its public key swapped for another key's: the signature no longer matches.
    const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const other = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: 'CN=device', keys, signingAlgorithm: alg });
    const good = await ca.issue({ plantId: PLANT, csrPem: csr.toString('pem'), now, validityDays: 1 });
    expect(good.keyPem).toBeNull();

    const der = Buffer.from(csr.rawData);
    const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
    const otherSpki = Buffer.from(await webcrypto.subtle.exportKey('spki', other.publicKey));
    const at = der.indexOf(spki);
    expect(at).toBeGreaterThan(0);
    otherSpki.copy(der, at);
    const forged = x509.PemConverter.encode(der, 'CERTIFICATE REQUEST');
    await expect(ca.issue({ plantId: PLANT, csrPem: forged, now, validityDays: 1 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
      message: 'csr signature does not verify',
    });
    await expect(ca.issue({ plantId: PLANT, csrPem: 'hello', now, validityDays: 1 })).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(ca.issue({ plantId: PLANT, csrPem: ca.certPem, now, validityDays: 1 })).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
  });
});

describe('verifyClient', () => {
  it('accepts a current certificate of this CA for its plant', async () => {
    const issued = await ca.issue({ plantId: PLANT, now, validityDays: 365 });
    const der = new X509Certificate(issued.certPem).raw;
    expect(ca.verifyClient(der, PLANT, now)).toEqual({
      ok: true,
      fingerprint: issued.fingerprint,
      serial: issued.serial,
      notAfter: issued.notAfter,
    });
    expect(ca.verifyClient(issued.certPem, PLANT, now).ok).toBe(true);
  });

  it('refuses expired and not-yet-valid certificates, as OpenSSL does', async () => {
    const expired = await ca.issue({ plantId: PLANT, now: new Date(now.getTime() - 40 * DAY), validityDays: 30 });
    expect(ca.verifyClient(expired.certPem, PLANT, now)).toEqual({ ok: false, reason: 'expired' });
    expect(opensslVerify(expired.certPem).output).toContain('certificate has expired');
    // Just before its end it was fine.
    expect(ca.verifyClient(expired.certPem, PLANT, new Date(expired.notAfter.getTime() - 1000)).ok).toBe(true);

    const future = await ca.issue({ plantId: PLANT, now: new Date(now.getTime() + 2 * DAY), validityDays: 30 });
    expect(ca.verifyClient(future.certPem, PLANT, now)).toEqual({ ok: false, reason: 'not-yet-valid' });
    expect(opensslVerify(future.certPem).output).toContain('certificate is not yet valid');
  });

  it('refuses a self-signed certificate naming the plant', async () => {
    const keyFile = join(dir, 'self-key.pem');
    const certFile = join(dir, 'self.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile]);
    execFileSync('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      keyFile,
      '-days',
      '30',
      '-subj',
      `/CN=${PLANT}`,
      '-addext',
      'extendedKeyUsage=clientAuth',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
      '-out',
      certFile,
    ]);
    const selfSigned = readFileSync(certFile, 'utf8');
    expect(new X509Certificate(selfSigned).subject).toBe(`CN=${PLANT}`);
    expect(ca.verifyClient(selfSigned, PLANT, now)).toEqual({ ok: false, reason: 'untrusted' });
  });

  it("refuses another CA's certificate, even one whose CA has Helio's name", async () => {
    const other = await openCa(await createCa(now));
    // Same issuer name as Helio's CA: only the signature tells them apart.
    expect(new X509Certificate(other.certPem).subject).toBe(new X509Certificate(ca.certPem).subject);
    const foreign = await other.issue({ plantId: PLANT, now, validityDays: 365 });
    expect(other.verifyClient(foreign.certPem, PLANT, now).ok).toBe(true);
    expect(ca.verifyClient(foreign.certPem, PLANT, now)).toEqual({ ok: false, reason: 'untrusted' });
  });

  it("refuses another plant's certificate, the CA certificate itself, a tampered certificate and garbage", async () => {
    const issued = await ca.issue({ plantId: OTHER_PLANT, now, validityDays: 365 });
    expect(ca.verifyClient(issued.certPem, PLANT, now)).toEqual({ ok: false, reason: 'wrong-subject' });
    expect(ca.verifyClient(ca.certPem, PLANT, now)).toEqual({ ok: false, reason: 'not-client-cert' });

    const der = Buffer.from(new X509Certificate(issued.certPem).raw);
    const subjectAt = der.indexOf(Buffer.from(OTHER_PLANT));
    der.write(PLANT, subjectAt); // rename the subject to the plant: the CA's signature no longer matches
    expect(ca.verifyClient(der, PLANT, now)).toEqual({ ok: false, reason: 'untrusted' });

    expect(ca.verifyClient(Buffer.from('not a certificate'), PLANT, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(ca.verifyClient(Buffer.alloc(0), PLANT, now)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('openCa', () => {
  it('opens a CA whose key is encrypted at rest, only with its passphrase', async () => {
    const pems = await createCa(now, { passphrase: 'correct horse' });
    expect(pems.keyPem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    // OpenSSL reads it with the passphrase, and not without.
    const keyFile = file('enc-key.pem', pems.keyPem);
    expect(spawnSync('openssl', ['pkey', '-in', keyFile, '-passin', 'pass:correct horse', '-noout']).status).toBe(0);
    expect(spawnSync('openssl', ['pkey', '-in', keyFile, '-passin', 'pass:wrong', '-noout']).status).not.toBe(0);

    const opened = await openCa({ ...pems, passphrase: 'correct horse' });
    const issued = await opened.issue({ plantId: PLANT, now, validityDays: 1 });
    expect(opened.verifyClient(issued.certPem, PLANT, now).ok).toBe(true);
    await expect(openCa({ ...pems, passphrase: 'wrong' })).rejects.toMatchObject({ message: expect.stringContaining('cannot be read') });
    await expect(openCa(pems)).rejects.toMatchObject({ message: expect.stringContaining('cannot be read') });
  });

  it('refuses a key that is not the certificate’s, and a certificate that is not a CA', async () => {
    const a = await createCa(now);
    const b = await createCa(now);
    await expect(openCa({ certPem: a.certPem, keyPem: b.keyPem })).rejects.toMatchObject({
      message: expect.stringContaining('does not match'),
    });
    const leaf = await (await openCa(a)).issue({ plantId: PLANT, now, validityDays: 1 });
    await expect(openCa({ certPem: leaf.certPem, keyPem: leaf.keyPem! })).rejects.toMatchObject({
      message: expect.stringContaining('not a CA'),
    });
  });

  it('opens an RSA CA made by OpenSSL (a CA supplied by configuration)', async () => {
    const keyFile = join(dir, 'rsa-ca-key.pem');
    const certFile = join(dir, 'rsa-ca.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '365',
        '-subj',
        '/CN=Operator CA',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'pipe' },
    );
    const rsaCa = await openCa({ certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') });
    const issued = await rsaCa.issue({ plantId: PLANT, now, validityDays: 10 });
    expect(opensslVerify(issued.certPem, { caFile: certFile, purpose: 'sslclient' }).ok).toBe(true);
    expect(rsaCa.verifyClient(issued.certPem, PLANT, now).ok).toBe(true);
    expect(ca.verifyClient(issued.certPem, PLANT, now)).toEqual({ ok: false, reason: 'untrusted' });
  });
});
