import type { Command } from 'commander';
import type { AppContext } from '../main.js';

export function registerInvoicingCommands(_program: Command, _ctx: AppContext, _setExit: (code: number) => void): void {}
