// Types for the part of yazl the tests use (the package ships none).
declare module 'yazl' {
  import type { Readable } from 'node:stream';

  export class ZipFile {
    outputStream: Readable;
    addBuffer(buffer: Buffer, name: string, options?: { mtime?: Date; compress?: boolean; forceZip64Format?: boolean }): void;
    end(): void;
  }
}
