// The first code of every built script (bundle.ts injects it before the script's own modules):
// from here on, console output goes to stderr and a failure as the script loads still answers.
import { guardProcess } from '../adapters/process-guard.js';

guardProcess();
