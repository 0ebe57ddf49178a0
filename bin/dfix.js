#!/usr/bin/env node
// Entry of the `dfix` command: the compiled CLI (npm ci builds it through `prepare`).
import { run } from '../dist/cli/main.js';

process.exitCode = await run(process.argv.slice(2));
