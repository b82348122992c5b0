import { createLocalJWKSet, type CryptoKey, type JWK, jwtVerify, SignJWT } from 'jose';

/** Operations per second of `op` with `inFlight` concurrent callers for `ms` (after a short warm-up). */
export async function opsPerSecond(op: () => Promise<unknown>, inFlight: number, ms: number): Promise<number> {
  const warmUntil = performance.now() + Math.min(300, ms / 4);
  while (performance.now() < warmUntil) await op();
  let count = 0;
  const until = performance.now() + ms;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < until) {
        await op();
        count++;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

export interface CryptoBaselines {
  verifySerial: number;
  verifyParallel: number;
  sign: Record<string, { serial: number; parallel: number }>;
}

/**
 * Raw jose in the bench process: jwtVerify of the very legacy token the bridge gets (local JWKS, same allow-list
 * and issuer check), and SignJWT of an ID-token-sized payload per algorithm. These bound what the bridge can do.
 */
export async function measureCrypto(input: {
  token: string;
  jwks: { keys: JWK[] };
  legacyIssuer: string;
  legacyAlg: string;
  signingKeys: Record<string, CryptoKey>;
  inFlight: number;
  ms: number;
}): Promise<CryptoBaselines> {
  const set = createLocalJWKSet(input.jwks);
  const verify = () => jwtVerify(input.token, set, { algorithms: [input.legacyAlg], issuer: input.legacyIssuer, audience: 'jwt-idp-bridge' });
  const verifySerial = await opsPerSecond(verify, 1, input.ms);
  const verifyParallel = await opsPerSecond(verify, input.inFlight, input.ms);
  const sign: CryptoBaselines['sign'] = {};
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: 'http://127.0.0.1:8080',
    sub: crypto.randomUUID(),
    aud: 'bench-app',
    azp: 'bench-app',
    auth_time: now,
    sid: crypto.randomUUID(),
    nonce: 'n-0123456789',
    email: 'user@example.com',
    email_verified: true,
    name: 'Bench User',
  };
  for (const [alg, key] of Object.entries(input.signingKeys)) {
    const op = () =>
      new SignJWT(claims)
        .setProtectedHeader({ alg, kid: 'k', typ: 'JWT' })
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(key);
    sign[alg] = { serial: await opsPerSecond(op, 1, input.ms), parallel: await opsPerSecond(op, input.inFlight, input.ms) };
  }
  return { verifySerial, verifyParallel, sign };
}
