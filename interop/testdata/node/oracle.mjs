// oracle.mjs: independent SD-JWT VC and status list implementations
// (OpenWallet Foundation @sd-jwt/*, Digital Bazaar vc-bitstring-status-list)
// driven by Zhengzhao's Go interop tests. Usage: node oracle.mjs <command>,
// with a JSON request on stdin; the JSON answer goes to stdout. A failed
// verification is an answer ({"verified": false, "error": …}), not a crash.
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { StatusList, createHeaderAndPayload, getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { Jwt } from '@sd-jwt/core';
import { checkStatus, createList, decodeList } from '@digitalbazaar/vc-bitstring-status-list';

const b64url = (s) => Buffer.from(s).toString('base64url');

async function signJwt(header, payload, privateJwk) {
  const signer = await ES256.getSigner(privateJwk);
  const input = b64url(JSON.stringify(header)) + '.' + b64url(JSON.stringify(payload));
  return input + '.' + (await signer(input));
}

const kbVerifier = async (data, sig, payload) => {
  const v = await ES256.getVerifier(payload.cnf.jwk);
  return v(data, sig);
};

const commands = {
  // Verify a Zhengzhao SD-JWT VC presentation with key binding, reading its
  // status from the given status list token (verified with the same key)
  // and, when typeMetadata is given, loading it as the vct's Type Metadata
  // (which the library validates against its schema).
  async 'verify-vc'({ token, issuerJwk, statusListJwt, nonce, aud, now, typeMetadata }) {
    let status;
    let fetchedVct;
    const vc = new SDJwtVcInstance({
      hasher: digest,
      verifier: await ES256.getVerifier(issuerJwk),
      kbVerifier,
      statusListFetcher: async () => statusListJwt,
      statusValidator: async (s) => { status = s; },
      loadTypeMetadataFormat: typeMetadata !== undefined,
      vctFetcher: async (uri) => { fetchedVct = uri; return typeMetadata; },
    });
    try {
      const r = await vc.verify(token, { keyBindingNonce: nonce, currentDate: now });
      if (r.kb.payload.aud !== aud) throw new Error('kb aud ' + r.kb.payload.aud);
      return { verified: true, header: r.header, claims: r.payload, kb: r.kb.payload, status,
        fetchedVct, typeMetadata: r.typeMetadata };
    } catch (e) {
      return { verified: false, error: String(e.message || e) };
    }
  },

  // Issue an SD-JWT VC with the library, present some claims with key
  // binding, and sign a 2-bit status list token naming its status.
  async 'issue-vc'({ claims, disclose, present, nonce, aud, iat, statusUri, statusIdx, statusValue }) {
    const issuer = await ES256.generateKeyPair();
    const holder = await ES256.generateKeyPair();
    const vc = new SDJwtVcInstance({
      hasher: digest,
      saltGenerator: generateSalt,
      signer: await ES256.getSigner(issuer.privateKey),
      signAlg: ES256.alg,
      kbSigner: await ES256.getSigner(holder.privateKey),
      kbSignAlg: ES256.alg,
    });
    const payload = { ...claims, iat, cnf: { jwk: holder.publicKey },
      status: { status_list: { idx: statusIdx, uri: statusUri } } };
    const issued = await vc.issue(payload, disclose, { header: { kid: 'npm-issuer' } });
    const presentation = await vc.present(issued, present, { kb: { payload: { iat, aud, nonce } } });
    const list = new StatusList(new Array(1024).fill(0), 2);
    list.setStatus(statusIdx, statusValue);
    const { header, payload: slPayload } = createHeaderAndPayload(list,
      { iss: claims.iss, sub: statusUri, iat, ttl: 300 }, { alg: 'ES256', typ: 'statuslist+jwt' });
    const statusListJwt = await signJwt(header, slPayload, issuer.privateKey);
    return { issuerJwk: issuer.publicKey, issued, presentation, statusListJwt };
  },

  // Verify a status list token's signature and read entries from it.
  async 'read-status-list'({ jwt, issuerJwk, indexes, now }) {
    try {
      await Jwt.fromEncode(jwt).verify(await ES256.getVerifier(issuerJwk), { currentDate: now });
      const list = getListFromStatusListJWT(jwt);
      return { verified: true, bits: list.getBitsPerStatus(), statuses: indexes.map((i) => list.getStatus(i)) };
    } catch (e) {
      return { verified: false, error: String(e.message || e) };
    }
  },

  // Decode a W3C encodedList and read entries.
  async 'read-bitstring'({ encodedList, indexes }) {
    try {
      const list = await decodeList({ encodedList });
      return { length: list.length, statuses: indexes.map((i) => list.getStatus(i)) };
    } catch (e) {
      return { error: String(e.message || e) };
    }
  },

  // Check a credential's BitstringStatusListEntry against the given
  // BitstringStatusListCredential, served by a document loader. The list
  // credential's own proof is not checked (ours are unsecured: securing is
  // the W3C VC export's job); the issuers must match.
  async 'check-bitstring-status'({ credential, statusListCredential }) {
    const documentLoader = async (url) => {
      if (url !== statusListCredential.id) throw new Error('unknown document ' + url);
      return { document: statusListCredential, documentUrl: url };
    };
    const r = await checkStatus({ credential, documentLoader,
      verifyBitstringStatusListCredential: false, verifyMatchingIssuers: true });
    return { verified: r.verified, error: r.error ? String(r.error.message || r.error) : undefined,
      statuses: (r.results || []).map((x) => x.status) };
  },

  // Encode a W3C list of the given length with the given entries set.
  async 'make-bitstring'({ length, set }) {
    const list = await createList({ length });
    for (const i of set) list.setStatus(i, true);
    return { encodedList: await list.encode() };
  },
};

const input = await new Promise((resolve, reject) => {
  let s = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (c) => { s += c; });
  process.stdin.on('end', () => resolve(s));
  process.stdin.on('error', reject);
});
// "batch" runs a list of [command, request] pairs in one process (node's
// start-up dominates the tests' time) and answers with the list of answers.
async function run(name, req) {
  const cmd = commands[name];
  if (!cmd) {
    console.error('unknown command ' + name);
    process.exit(2);
  }
  return cmd(req);
}
const req = JSON.parse(input);
const answer = process.argv[2] === 'batch'
  ? await Promise.all(req.map(([name, r]) => run(name, r)))
  : await run(process.argv[2], req);
process.stdout.write(JSON.stringify(answer));
