import {
  fromJsonString,
  toJsonString,
  type DescMessage,
  type JsonReadOptions,
  type MessageShape,
} from '@bufbuild/protobuf';
import { ContractDecodeError, ContractValueError } from './errors';

/** Turns one message type into bytes for NATS (JetStream payloads, KV values) and back. */
export interface Codec<T> {
  /** Fully-qualified protobuf type name, e.g. "torii.mail.v1.MailReceived". */
  readonly typeName: string;
  encode(message: T): Uint8Array;
  /** Throws ContractDecodeError (permanent) when the bytes are not this type. */
  decode(bytes: Uint8Array): T;
}

// Old consumers must survive new producers: fields and enum values they do not know are skipped.
const readOptions: Partial<JsonReadOptions> = { ignoreUnknownFields: true };
const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A codec using the canonical protobuf JSON mapping, so `nats sub` / `nats kv get` print readable events.
 * Default values are omitted on the wire and come back as defaults on decode.
 */
export function codecFor<Desc extends DescMessage>(schema: Desc): Codec<MessageShape<Desc>> {
  return {
    typeName: schema.typeName,
    encode(message: MessageShape<Desc>): Uint8Array {
      // Types prevent this at compile time; this catches `as` casts and untyped callers.
      if (message.$typeName !== schema.typeName) {
        throw new ContractValueError(`cannot encode ${message.$typeName} as ${schema.typeName}`);
      }
      return utf8.encode(toJsonString(schema, message));
    },
    decode(bytes: Uint8Array): MessageShape<Desc> {
      try {
        return fromJsonString(schema, strictUtf8.decode(bytes), readOptions);
      } catch (cause) {
        throw new ContractDecodeError(`payload is not a valid ${schema.typeName}`, { cause });
      }
    },
  };
}
