// What a page would bundle to seal one message with hpke-js (X25519, HKDF-SHA256, ChaCha20-Poly1305).
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';

export async function ready() {
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
  const { publicKey } = await suite.kem.generateKeyPair();
  return async (msg) => {
    const sender = await suite.createSenderContext({ recipientPublicKey: publicKey });
    return sender.seal(msg);
  };
}
