// Types for the part of mailsplit the part stripper uses (the package ships none; @torii/mime declares Headers).
declare module 'mailsplit' {
  import type { Transform } from 'node:stream';

  export interface StripHeaders {
    getFirst(key: string): string;
    remove(key: string): void;
    add(key: string, value: string): void;
  }

  export interface StripNode {
    type: 'node';
    root: boolean;
    headers: StripHeaders;
    partNr: (number | string)[] | false;
  }

  export type StripChunk = StripNode | { type: 'body'; node: StripNode; value: Buffer } | { type: 'data'; value: Buffer };

  export class Splitter extends Transform {
    constructor(options?: { ignoreEmbedded?: boolean });
  }

  export class Joiner extends Transform {
    constructor();
  }
}
