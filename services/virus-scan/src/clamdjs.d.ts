// Types for the part of clamdjs we use (the package ships none).
declare module 'clamdjs' {
  import type { Readable } from 'node:stream';

  export interface Scanner {
    scanStream(stream: Readable, timeoutMs?: number): Promise<string>;
  }
  export function createScanner(host: string, port: number): Scanner;
  export function ping(host: string, port: number, timeoutMs?: number): Promise<boolean>;
  export function version(host: string, port: number, timeoutMs?: number): Promise<string>;
}
