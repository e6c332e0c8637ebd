#!/usr/bin/env node
// The package's bin: runs the TypeScript entry through tsx (no build step).
import { register } from "tsx/esm/api";

register();
await import("../lib/main.ts");
