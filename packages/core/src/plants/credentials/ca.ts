// Helio's device CA: a self-signed ECDSA P-256 certificate authority that
// issues the client certificates of MTLS plants (and the gateway's TLS server
// certificate), and checks the certificate a plant presents at CONNECT.
//
// Issuing uses @peculiar/x509 on Node's WebCrypto. Checking uses Node's own
// X509Certificate, which is synchronous and backed by OpenSSL: the gateway
// calls it on every TLS connection.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  webcrypto,
  X509Certificate as NodeCertificate,
  type KeyObject,
} from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { DomainError, validationError } from '../../errors.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const subtle = webcrypto.subtle;
const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const EC_SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const RSA_KEY = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const DAY_MS = 86_400_000;
/** Devices' clocks drift: a new certificate is valid from a few minutes ago. */
const BACKDATE_MS = 5 * 60_000;
export const CA_VALIDITY_YEARS = 10;
export const CA_SUBJECT = 'CN=Helio Device CA, O=Helio';
/** Encrypted PKCS#8 PEM of the CA key (what `createCa` writes when given a passphrase). */
const KEY_CIPHER = 'aes-256-cbc';

export interface CaPems {
  certPem: string;
  /** PKCS#8 PEM; encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY") when `passphrase` is given. */
  keyPem: string;
  passphrase?: string | undefined;
}

export interface IssuedCertificate {
  certPem: string;
  /** The private key (PKCS#8 PEM, unencrypted, shown once); null when issued from the device's CSR. */
  keyPem: string | null;
  /** Lowercase hex, 32 digits (16 random bytes). */
  serial: string;
  /** Lowercase hex SHA-256 of the certificate's DER. */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
}

export interface IssueClientInput {
  plantId: string;
  /** A PKCS#10 request (PEM): the device keeps its key; its subject is ignored (CN is always the plant id). */
  csrPem?: string | null | undefined;
  now: Date;
  validityDays: number;
}

export interface IssueServerInput {
  /** DNS names and IP addresses the gateway answers on. */
  hosts: string[];
  now: Date;
  validityDays: number;
}

export type VerifyClientResult =
  | { ok: true; fingerprint: string; serial: string; notAfter: Date }
  | {
      ok: false;
      reason: 'malformed' | 'untrusted' | 'expired' | 'not-yet-valid' | 'ca-expired' | 'not-client-cert' | 'wrong-subject';
    };

export interface DeviceCa {
  /** The CA certificate (PEM): the `caCert` of provisioning packages and the trust anchor of the TLS listener. */
  readonly certPem: string;
  readonly notAfter: Date;
  /** A client certificate for a plant: CN = plant id, SAN URI urn:helio:plant:<id>, extKeyUsage clientAuth. */
  issue(input: IssueClientInput): Promise<IssuedCertificate>;
  /** The gateway's TLS server certificate (extKeyUsage serverAuth, SANs for every host). */
  issueServer(input: IssueServerInput): Promise<IssuedCertificate>;
  /**
   * Checks a certificate a client presented: signed by this CA, valid at `now`,
   * a client certificate, CN = `plantId`. Whether it is the plant's current
   * certificate (fingerprint, state) is the caller's check.
   */
  verifyClient(cert: Buffer | string, plantId: string, now: Date): VerifyClientResult;
}

/** An IPv4 address in dotted form, or an IPv6 address (host names never hold a colon). */
function isIpAddress(host: string): boolean {
  return /^(\d{1,3})(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

/** 16 random bytes, top bit clear so the DER INTEGER keeps exactly these 16 bytes. */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

export function fingerprintOf(der: Buffer | ArrayBuffer): string {
  return createHash('sha256')
    .update(Buffer.from(der as ArrayBuffer))
    .digest('hex');
}

export function plantUri(plantId: string): string {
  return `urn:helio:plant:${plantId}`;
}

async function exportPkcs8Pem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/** Encrypts a PKCS#8 key with a passphrase (PBES2, AES-256-CBC): the CA key at rest. */
export function encryptKeyPem(keyPem: string, passphrase: string): string {
  return createPrivateKey(keyPem).export({ type: 'pkcs8', format: 'pem', cipher: KEY_CIPHER, passphrase }).toString();
}

/**
 * A new device CA: an ECDSA P-256 key and a self-signed certificate valid for
 * ten years. With a passphrase, the key PEM is encrypted.
 */
export async function createCa(now: Date, opts: { passphrase?: string } = {}): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: CA_SUBJECT,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter,
    keys,
    signingAlgorithm: EC_SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = await exportPkcs8Pem(keys.privateKey);
  return {
    certPem: cert.toString('pem'),
    keyPem: opts.passphrase ? encryptKeyPem(keyPem, opts.passphrase) : keyPem,
  };
}

function caError(message: string): DomainError {
  return new DomainError('VALIDATION_ERROR', `device CA: ${message}`);
}

/** The subject's common names, from Node's one-attribute-per-line rendering. */
function commonNames(subject: string): string[] {
  return subject
    .split('\n')
    .filter((line) => line.startsWith('CN='))
    .map((line) => line.slice(3));
}

/**
 * Opens a device CA from its PEMs (as `createCa` made them, or supplied by
 * configuration): the key must match the certificate, and the certificate
 * must be a CA.
 */
export async function openCa(pems: CaPems): Promise<DeviceCa> {
  let nodeCa: NodeCertificate;
  let caKey: KeyObject;
  try {
    nodeCa = new NodeCertificate(pems.certPem);
  } catch {
    throw caError('the certificate is not a PEM X.509 certificate');
  }
  try {
    caKey = createPrivateKey(pems.passphrase ? { key: pems.keyPem, passphrase: pems.passphrase } : { key: pems.keyPem });
  } catch {
    throw caError('the private key cannot be read (wrong passphrase, or not a PEM key)');
  }
  if (!nodeCa.ca) throw caError('the certificate is not a CA certificate (basicConstraints cA)');
  if (!nodeCa.checkPrivateKey(caKey)) throw caError('the private key does not match the certificate');

  const keyType = caKey.asymmetricKeyType;
  if (keyType !== 'ec' && keyType !== 'rsa') throw caError(`unsupported key type ${String(keyType)}`);
  const importAlg =
    keyType === 'ec' ? { name: 'ECDSA', namedCurve: caKey.asymmetricKeyDetails?.namedCurve === 'prime256v1' ? 'P-256' : 'P-384' } : RSA_KEY;
  if (keyType === 'ec' && !['prime256v1', 'secp384r1'].includes(caKey.asymmetricKeyDetails?.namedCurve ?? '')) {
    throw caError('an EC CA key must be on P-256 or P-384');
  }
  const signingAlgorithm = keyType === 'ec' ? EC_SIGN : RSA_KEY;
  const pkcs8 = caKey.export({ type: 'pkcs8', format: 'der' });
  const signingKey = await subtle.importKey('pkcs8', pkcs8, importAlg, false, ['sign']);
  const caCert = new x509.X509Certificate(pems.certPem);
  const caPublicKey = createPublicKey(caKey);
  const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey);
  const caNotAfter = new Date(nodeCa.validTo);
  const certPem = caCert.toString('pem');

  async function sign(opts: {
    subject: string;
    publicKey: x509.PublicKeyType;
    now: Date;
    validityDays: number;
    extensions: x509.Extension[];
  }): Promise<Omit<IssuedCertificate, 'keyPem'>> {
    if (!Number.isFinite(opts.validityDays) || opts.validityDays <= 0) {
      throw validationError('certificate validity must be a positive number of days');
    }
    const notBefore = new Date(Math.floor((opts.now.getTime() - BACKDATE_MS) / 1000) * 1000);
    const notAfter = new Date(Math.floor((opts.now.getTime() + opts.validityDays * DAY_MS) / 1000) * 1000);
    const serial = randomSerial();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: opts.subject,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      publicKey: opts.publicKey,
      signingKey,
      signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        authorityKeyId,
        await x509.SubjectKeyIdentifierExtension.create(opts.publicKey),
        ...opts.extensions,
      ],
    });
    return { certPem: cert.toString('pem'), serial, fingerprint: fingerprintOf(cert.rawData), notBefore, notAfter };
  }

  async function newKeyPair(): Promise<CryptoKeyPair> {
    return (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
  }

  return {
    certPem,
    notAfter: caNotAfter,

    async issue({ plantId, csrPem, now, validityDays }) {
      if (plantId.length === 0 || /[,=+<>#;"\\\n]/.test(plantId)) throw validationError('invalid plant id');
      let publicKey: x509.PublicKeyType;
      let keyPem: string | null = null;
      let rsa = false;
      if (csrPem) {
        const csrKey = await checkCsr(csrPem);
        publicKey = csrKey.publicKey;
        rsa = csrKey.rsa;
      } else {
        const keys = await newKeyPair();
        publicKey = keys.publicKey;
        keyPem = await exportPkcs8Pem(keys.privateKey);
      }
      const usages = rsa ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature;
      const issued = await sign({
        subject: `CN=${plantId}`,
        publicKey,
        now,
        validityDays,
        extensions: [
          new x509.KeyUsagesExtension(usages, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
          new x509.SubjectAlternativeNameExtension([{ type: 'url', value: plantUri(plantId) }], false),
        ],
      });
      return { ...issued, keyPem };
    },

    async issueServer({ hosts, now, validityDays }) {
      const names = [...new Set(hosts.filter((h) => h.length > 0))];
      if (names.length === 0) throw validationError('a server certificate needs at least one host');
      const keys = await newKeyPair();
      const issued = await sign({
        subject: `CN=${names[0]!}`,
        publicKey: keys.publicKey,
        now,
        validityDays,
        extensions: [
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
          new x509.SubjectAlternativeNameExtension(
            names.map((value): x509.JsonGeneralName => ({ type: isIpAddress(value) ? 'ip' : 'dns', value })),
            false,
          ),
        ],
      });
      return { ...issued, keyPem: await exportPkcs8Pem(keys.privateKey) };
    },

    verifyClient(cert, plantId, now) {
      let leaf: NodeCertificate;
      try {
        leaf = new NodeCertificate(cert);
      } catch {
        return { ok: false, reason: 'malformed' };
      }
      // Signed by this CA's key (a self-signed certificate or another CA's fails here,
      // whatever names it carries).
      if (!leaf.checkIssued(nodeCa) || !leaf.verify(caPublicKey)) return { ok: false, reason: 'untrusted' };
      const t = now.getTime();
      if (t > caNotAfter.getTime()) return { ok: false, reason: 'ca-expired' };
      const notBefore = new Date(leaf.validFrom);
      const notAfter = new Date(leaf.validTo);
      if (t < notBefore.getTime()) return { ok: false, reason: 'not-yet-valid' };
      if (t > notAfter.getTime()) return { ok: false, reason: 'expired' };
      if (leaf.ca || !(leaf.keyUsage ?? []).includes(CLIENT_AUTH)) return { ok: false, reason: 'not-client-cert' };
      const cns = commonNames(leaf.subject);
      if (cns.length !== 1 || cns[0] !== plantId) return { ok: false, reason: 'wrong-subject' };
      return { ok: true, fingerprint: fingerprintOf(leaf.raw), serial: leaf.serialNumber.toLowerCase(), notAfter };
    },
  };
}

/** Parses a CSR, checks its signature and its key (P-256, or RSA of 2048 bits or more). */
async function checkCsr(csrPem: string): Promise<{ publicKey: x509.PublicKey; rsa: boolean }> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem.trim());
  } catch {
    throw validationError('csr is not a PEM PKCS#10 certificate request', [{ path: 'csr', message: 'malformed CSR' }]);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    throw validationError('csr carries an unreadable public key', [{ path: 'csr', message: 'unreadable public key' }]);
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  const p256 = type === 'ec' && details.namedCurve === 'prime256v1';
  const rsa = type === 'rsa' && (details.modulusLength ?? 0) >= 2048;
  if (!p256 && !rsa) {
    throw validationError('csr key must be ECDSA P-256 or RSA of at least 2048 bits', [{ path: 'csr', message: 'unsupported key' }]);
  }
  let signed = false;
  try {
    signed = await csr.verify();
  } catch {
    signed = false;
  }
  if (!signed) throw validationError('csr signature does not verify', [{ path: 'csr', message: 'bad signature' }]);
  return { publicKey: csr.publicKey, rsa };
}
