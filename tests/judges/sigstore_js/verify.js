// sigstore-js as a judge: verify one bundle against a file, a trusted root, an identity and an issuer.
// Usage: node verify.js BUNDLE FILE TRUSTED_ROOT IDENTITY ISSUER
// Prints "OK" and exits 0, or prints the refusal and exits 1.
'use strict';
const fs = require('fs');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');
const { Verifier, toSignedEntity, toTrustMaterial } = require('@sigstore/verify');

const [bundlePath, filePath, rootPath, identity, issuer] = process.argv.slice(2);
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8'))));
  const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
  verifier.verify(toSignedEntity(bundle, fs.readFileSync(filePath)),
    { subjectAlternativeName: identity, extensions: { issuer } });
  console.log('OK');
} catch (error) {
  console.log(`FAIL: ${error.code || error.name}: ${error.message}`);
  process.exit(1);
}
