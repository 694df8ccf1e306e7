#!/usr/bin/env node
// Prints the README's table of error codes (`### Error codes`) from the built catalog: run `npm run build` first.
// test/unit/error-catalog.test.ts fails when the README's table is not this one.
import { definitionCodes } from '../dist/definitions/codes.js';
import { errorCatalog } from '../dist/errors/catalog.js';
import { errorCodeTable, withDefinitionCodes } from '../dist/errors/catalog-table.js';

process.stdout.write(`${errorCodeTable(withDefinitionCodes(errorCatalog, definitionCodes))}\n`);
