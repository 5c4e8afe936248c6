/**
 * How a message body becomes bytes and back. `@torii/contracts` exports `codecFor(schema)` with this shape
 * (matched structurally, so this library does not depend on the contracts).
 */
export interface Codec<T> {
  /** A stable name of the type, e.g. `torii.mail.v1.MailReceived`; sent as the `Torii-Type` header. */
  readonly typeName: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Plain JSON, for tests, scripts and messages that have no schema. */
export function jsonCodec<T>(typeName = 'application/json'): Codec<T> {
  return {
    typeName,
    encode: (value) => encoder.encode(JSON.stringify(value)),
    decode: (bytes) => JSON.parse(decoder.decode(bytes)) as T,
  };
}
