// What crosses between the platform and an executor process, on the child channel
// (core/child.ts). Everything is parsed at the door on both sides. Rows go in as one
// row-major Float64Array (NaN where missing); scores come out as a Float64Array and reason
// indexes as a Uint8Array of REASON_SLOTS per row. Failures are fixed codes chosen by the
// host from what it observed; nothing a model wrote travels with them.
import { z } from 'zod';
import { MAX_COMPILED_BYTES, MAX_MODEL_INPUTS, MAX_REASON_CODES } from '../core/limits.js';
import { SANDBOX_CODES, type SandboxCode } from './errors.js';

export { MAX_MODEL_INPUTS, MAX_REASON_CODES, MAX_SOURCE_BYTES, REASON_SLOTS, REASON_UNDECLARED } from '../core/limits.js';

/** Exit code of an executor whose task overran its backstop and whose thread could not be stopped. */
export const EXIT_BACKSTOP = 75;
/** How often an executor's main thread sends a heartbeat. */
export const HEARTBEAT_MS = 250;

/** Rows one task may carry. */
export const MAX_TASK_ROWS = 4_000_000;

export interface Limits {
  /** Isolate heap, MB. */
  memoryMb: number;
  /** Per call: evaluating the module, and scoring one merchant in a fresh context. */
  callMs: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({ memoryMb: 128, callMs: 1000 });

const limitsSchema = z.object({ memoryMb: z.number().int().min(8).max(1024), callMs: z.number().int().min(1).max(60_000) }).strict();
const fieldsSchema = z.array(z.string().regex(/^[a-z][a-z0-9_]*$/).max(64)).min(1).max(MAX_MODEL_INPUTS);
const reasonsSchema = z.array(z.string().max(64)).max(MAX_REASON_CODES);

/**
 * batch:  every row in one hardened context (row purity by the pure-module discipline);
 *         any exception or the timeout fails the whole task.
 * fresh:  every row in a fresh context; a row that fails is scored again in a fresh isolate,
 *         and only a row that fails there too is reported as failed. A platform-compiled
 *         module (row-pure by construction) scores the task's rows in the hardened context
 *         the process keeps loaded for that module and requester (`partition`); only if
 *         that fails is each row scored alone.
 * inspect: compile and evaluate the module in a hardened context, report its exports.
 */
export const taskSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('batch'),
      source: z.string().max(MAX_COMPILED_BYTES),
      fields: fieldsSchema,
      reasons: reasonsSchema,
      limits: limitsSchema,
      /** Time for scoring all rows, ms (the run's compute budget). */
      timeoutMs: z.number().int().min(1).max(600_000),
      data: z.instanceof(Float64Array),
      /** The source is the platform's own compiled module (a model as data): scored through its scoreBatch. */
      compiled: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('fresh'),
      source: z.string().max(MAX_COMPILED_BYTES),
      fields: fieldsSchema,
      reasons: reasonsSchema,
      limits: limitsSchema,
      data: z.instanceof(Float64Array),
      /** The source is the platform's own compiled module: its rows are first scored in the context kept loaded for it. */
      compiled: z.boolean().optional(),
      /** Who the rows are for: a kept context serves one requester only. */
      partition: z.string().max(128).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('inspect'), source: z.string().max(MAX_COMPILED_BYTES), limits: limitsSchema }).strict(),
  /** Developers on dummy data only (the platform sends it to the vetting lane): the model's own first error. */
  z.object({ kind: z.literal('debug'), source: z.string().max(MAX_COMPILED_BYTES), fields: fieldsSchema, limits: limitsSchema, data: z.instanceof(Float64Array) }).strict(),
]);
export type Task = z.infer<typeof taskSchema>;

export const taskMessageSchema = z.object({ type: z.literal('task'), id: z.number().int().min(1), task: taskSchema }).strict();

const codeSchema = z.enum(SANDBOX_CODES as [SandboxCode, ...SandboxCode[]]);

/** What evaluating a module showed: its exports, and whether score is a function. */
export const moduleReportSchema = z
  .object({ exports: z.array(z.string().max(256)).max(64), scoreIsFunction: z.boolean(), evaluates: z.boolean() })
  .strict();
export type ModuleReport = z.infer<typeof moduleReportSchema>;

export const taskResultSchema = z.union([
  z.object({ kind: z.literal('scores'), scores: z.instanceof(Float64Array), reasons: z.instanceof(Uint8Array), failed: z.instanceof(Uint8Array), cpuMs: z.number() }).strict(),
  z.object({ kind: z.literal('module'), report: moduleReportSchema }).strict(),
  z
    .object({
      kind: z.literal('debug'),
      error: z.object({ row: z.number().int(), message: z.string().max(600), line: z.number().int().nullable(), column: z.number().int().nullable(), stack: z.string().max(2100) }).strict().nullable(),
    })
    .strict(),
  z.object({ kind: z.literal('failed'), code: codeSchema, cpuMs: z.number() }).strict(),
]);
export type TaskResult = z.infer<typeof taskResultSchema>;

/** How the executor found itself confined, reported at start and checked by the platform. */
export const readySchema = z
  .object({
    type: z.literal('ready'),
    pid: z.number().int(),
    uid: z.number().int(),
    interfaces: z.array(z.string().max(64)).max(64),
    fsReadDenied: z.boolean(),
    childProcessDenied: z.boolean(),
    /** Whether loading a native addon other than isolated-vm was refused. */
    foreignAddonDenied: z.boolean(),
    /** RLIMIT_AS and RLIMIT_CPU of the process, as it read them (null: unlimited). */
    addressSpaceBytes: z.number().nullable(),
    cpuSeconds: z.number().nullable(),
  })
  .strict();
export type ReadyInfo = z.infer<typeof readySchema>;
