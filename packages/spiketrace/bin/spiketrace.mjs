#!/usr/bin/env node
// spiketrace: the command line. Registers tsx so the TypeScript sources (and the user's .ts model
// files) load directly, then runs src/cli/main.ts.
import { register } from 'tsx/esm/api';

process.env.XDG_RUNTIME_DIR ||= '/tmp'; // Mesa warns without it
register();
const { cli } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
await cli(process.argv.slice(2));
