// What a page would bundle to seal one message with libsodium (crypto_box_seal).
import sodium from 'libsodium-wrappers';

export async function ready() {
  await sodium.ready;
  const { publicKey } = sodium.crypto_box_keypair();
  return (msg) => sodium.crypto_box_seal(msg, publicKey);
}
