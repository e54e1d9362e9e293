// What a page would bundle to seal one message with OpenPGP.js (X25519 key, encrypt).
import * as openpgp from 'openpgp';

export async function ready() {
  const { publicKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'bench' }], format: 'object' });
  return async (msg) => openpgp.encrypt({ message: await openpgp.createMessage({ binary: msg }), encryptionKeys: publicKey, format: 'binary' });
}
