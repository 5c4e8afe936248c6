// Minimal types for the part of mailsplit we use (the package ships none).
declare module 'mailsplit' {
  export class Headers {
    constructor(headers: Buffer | string);
    get(key: string): string[];
    getFirst(key: string): string;
    hasHeader(key: string): boolean;
    getList(): { key: string; line: string }[];
    add(key: string, value: string | Buffer, index?: number): void;
    addFormatted(key: string, line: string, index?: number): void;
    remove(key: string): void;
    build(lineEnd?: string): Buffer;
    changed: boolean;
    lines: { key: string; line: string }[] | false;
  }
}
