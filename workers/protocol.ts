// What crosses between the platform and its executor process. Control messages travel on
// the IPC channel as small JSON and are parsed at the door on both sides. Bulk data travels
// on two plain pipes as frames of raw little-endian bytes:
//   header (16 bytes): u32 run id, u32 sequence, u32 rows, u32 payload bytes; then payload.
// Platform -> executor: rows x k float64. Executor -> platform: rows float64 scores, then
// rows x 3 reason indexes (u8).
import { z } from 'zod';
import { SANDBOX_CODES, type SandboxCode } from './errors.js';

export const HEADER_BYTES = 16;
export const MAX_SOURCE_BYTES = 256 * 1024;
export const MAX_FIELDS = 64;
export const MAX_REASONS = 20;
/** Reason slots per subject; 0 is empty, 1..20 a declared code, 255 an undeclared one. */
export const REASON_SLOTS = 3;
export const REASON_INVALID = 255;

export type Mode = 'cohort' | 'subjects';

export interface Limits {
  /** Isolate heap, MB. */
  memoryMb: number;
  /** Per call in subjects mode; per chunk base in cohort mode. */
  callMs: number;
  /** Extra time per row of a cohort chunk. */
  perRowMs: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({ memoryMb: 128, callMs: 1000, perRowMs: 0.02 });

const limitsSchema = z
  .object({
    memoryMb: z.number().int().min(8).max(1024),
    callMs: z.number().int().min(1).max(60_000),
    perRowMs: z.number().min(0).max(10),
  })
  .strict();

export const runMessageSchema = z
  .object({
    type: z.literal('run'),
    id: z.number().int().min(1).max(0xffffffff),
    mode: z.enum(['cohort', 'subjects']),
    source: z.string().max(MAX_SOURCE_BYTES),
    fields: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/)).min(1).max(MAX_FIELDS),
    reasons: z.array(z.string().max(64)).max(MAX_REASONS),
    rows: z.number().int().min(0).max(50_000_000),
    chunkRows: z.number().int().min(1).max(1 << 20),
    limits: limitsSchema,
    /** Who the run is for: a warm isolate is reused only within one partition (confine.ts). */
    partition: z.string().max(64),
  })
  .strict();
export type RunMessage = z.infer<typeof runMessageSchema>;

export const checkMessageSchema = z
  .object({ type: z.literal('check'), id: z.number().int().min(1), source: z.string().max(MAX_SOURCE_BYTES), limits: limitsSchema })
  .strict();
export type CheckMessage = z.infer<typeof checkMessageSchema>;

export const pingMessageSchema = z.object({ type: z.literal('ping'), id: z.number().int() }).strict();

export const toExecutorSchema = z.discriminatedUnion('type', [runMessageSchema, checkMessageSchema, pingMessageSchema]);
export type ToExecutor = z.infer<typeof toExecutorSchema>;

const codeSchema = z.enum(SANDBOX_CODES as [SandboxCode, ...SandboxCode[]]);

/** What static inspection of a module inside an isolate found. */
export const moduleReportSchema = z
  .object({
    parses: z.boolean(),
    imports: z.array(z.string().max(256)).max(64),
    exports: z.array(z.string().max(256)).max(64),
    scoreIsFunction: z.boolean(),
    evaluates: z.boolean(),
  })
  .strict();
export type ModuleReport = z.infer<typeof moduleReportSchema>;

export const fromExecutorSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('ready'),
      pid: z.number().int(),
      uid: z.number().int(),
      threads: z.number().int(),
      interfaces: z.array(z.string().max(64)).max(64),
      fsReadDenied: z.boolean(),
      childProcessDenied: z.boolean(),
    })
    .strict(),
  z.object({ type: z.literal('pong'), id: z.number().int() }).strict(),
  z.object({ type: z.literal('done'), id: z.number().int() }).strict(),
  z.object({ type: z.literal('failed'), id: z.number().int(), code: codeSchema }).strict(),
  z.object({ type: z.literal('checked'), id: z.number().int(), report: moduleReportSchema }).strict(),
]);
export type FromExecutor = z.infer<typeof fromExecutorSchema>;
export type ReadyInfo = Extract<FromExecutor, { type: 'ready' }>;

export function encodeHeader(id: number, seq: number, rows: number, bytes: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt32LE(id, 0);
  h.writeUInt32LE(seq, 4);
  h.writeUInt32LE(rows, 8);
  h.writeUInt32LE(bytes, 12);
  return h;
}

export interface Frame {
  id: number;
  seq: number;
  rows: number;
  /** Its own ArrayBuffer, 8-byte aligned, transferable. */
  payload: ArrayBuffer;
}

/**
 * Reassembles frames from a byte stream. The payload of each frame is copied once, into
 * a fresh ArrayBuffer that can be transferred onwards without another copy.
 */
export class FrameReader {
  private header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  private payload: Uint8Array | null = null;
  private payloadFill = 0;
  private current = { id: 0, seq: 0, rows: 0 };

  constructor(
    private readonly onFrame: (f: Frame) => void,
    private readonly maxBytes: number,
  ) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (this.payload === null) {
        const take = Math.min(HEADER_BYTES - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + take);
        this.headerFill += take;
        off += take;
        if (this.headerFill < HEADER_BYTES) return;
        const bytes = this.header.readUInt32LE(12);
        if (bytes > this.maxBytes) throw new RangeError('frame too large');
        this.current = { id: this.header.readUInt32LE(0), seq: this.header.readUInt32LE(4), rows: this.header.readUInt32LE(8) };
        this.payload = new Uint8Array(new ArrayBuffer(bytes));
        this.payloadFill = 0;
        this.headerFill = 0;
        if (bytes === 0) this.finish();
        continue;
      }
      const take = Math.min(this.payload.length - this.payloadFill, chunk.length - off);
      this.payload.set(chunk.subarray(off, off + take), this.payloadFill);
      this.payloadFill += take;
      off += take;
      if (this.payloadFill === this.payload.length) this.finish();
    }
  }

  private finish(): void {
    const payload = (this.payload as Uint8Array).buffer as ArrayBuffer;
    this.payload = null;
    this.onFrame({ ...this.current, payload });
  }
}
