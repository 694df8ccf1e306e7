import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../command.js';
import { generateSigningKeys } from '../../catalog/signing.js';
import { UsageError } from '../../errors/neurons-error.js';

export const keysCommand: Command = {
  name: 'keys',
  summary: 'Make the Ed25519 key pair that signs catalog indexes',
  usage: 'neurons keys generate [--output DIR] [--force]',
  positionals: true,
  options: {
    output: {
      type: 'string',
      value: 'DIR',
      description: 'where neurons-index.key and neurons-index.pub are written',
      default: 'the current folder',
      aliases: ['out'],
    },
    force: { type: 'boolean', description: 'replace an existing key pair' },
  },
  async run(io, values, positionals) {
    if (positionals[0] !== 'generate')
      throw new UsageError({
        code: 'USAGE',
        message: `unknown keys action '${positionals[0] ?? ''}'`,
        hint: 'use `neurons keys generate`',
      });
    const out = path.resolve(io.cwd, typeof values['output'] === 'string' ? values['output'] : '.');
    const privateFile = path.join(out, 'neurons-index.key');
    const publicFile = path.join(out, 'neurons-index.pub');
    if (!values['force'] && (existsSync(privateFile) || existsSync(publicFile))) {
      throw new UsageError({
        code: 'KEYS_EXIST',
        file: privateFile,
        message: 'a key pair is already there',
        hint: 'pass --force to replace it (engines trusting the old public key will refuse new indexes)',
      });
    }
    const keys = generateSigningKeys();
    await mkdir(out, { recursive: true });
    await writeFile(privateFile, keys.privateKeyPem, { mode: 0o600 });
    await writeFile(publicFile, keys.publicKeyPem);
    io.stdout.write(
      `private key: ${privateFile} (keep it secret: CI secret NEURONS_SIGNING_KEY or --sign)\npublic key:  ${publicFile} (give it to engines: neurons update --key)\n`,
    );
    return 0;
  },
};
