// Jest runs each test file in its own realm but hands it Node's TextEncoder, whose output is a Uint8Array of
// the outer realm: `encoded instanceof Uint8Array` is then false inside the test, which silently corrupts
// libraries that check it (the Parquet writer does). Give the test realm an encoder that answers in its
// own Uint8Array, as in a plain Node process.
const Outer = globalThis.TextEncoder;
globalThis.TextEncoder = class TextEncoder extends Outer {
  encode(input) {
    const bytes = super.encode(input);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
};
