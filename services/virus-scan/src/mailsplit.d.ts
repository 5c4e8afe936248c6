// Minimal types for the part of mailsplit we use (the package ships none).
declare module 'mailsplit' {
  import type { Transform } from 'node:stream';

  export class Headers {
    get(key: string): string[];
    getFirst(key: string): string;
    hasHeader(key: string): boolean;
    add(key: string, value: string | Buffer, index?: number): void;
    remove(key: string): void;
    build(lineEnd?: string): Buffer;
  }

  export interface MimeNode {
    type: 'node';
    root: boolean;
    parentNode: MimeNode | undefined;
    headers: Headers;
    contentType: string | false;
    multipart: string | false;
    rfc822: boolean;
    filename: string | false;
    encoding: string | false;
    partNr: (number | string)[] | false;
    getDecoder(): Transform;
    getHeaders(): Buffer;
  }

  export type SplitterChunk = MimeNode | { type: 'body'; node: MimeNode; value: Buffer } | { type: 'data'; value: Buffer };

  export class Splitter extends Transform {
    constructor(options?: { ignoreEmbedded?: boolean; maxHeadSize?: number; maxChildNodes?: number });
  }

  export class Joiner extends Transform {
    constructor();
  }
}
