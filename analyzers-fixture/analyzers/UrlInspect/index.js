#!/usr/bin/env node
'use strict';
// UrlInspect: local URL inspection for Cortex (job folder protocol, no dependencies).
const fs = require('node:fs');
const path = require('node:path');
const net = require('node:net');

const RISKY_EXTENSIONS = ['.exe', '.scr', '.js', '.vbs', '.hta', '.iso', '.lnk', '.ps1', '.bat', '.msi', '.zip'];

const jobDirectory = process.argv[2] || '/job';

function writeOutput(report) {
  const outputDirectory = path.join(jobDirectory, 'output');
  fs.mkdirSync(outputDirectory, { recursive: true });
  fs.writeFileSync(path.join(outputDirectory, 'output.json'), JSON.stringify(report));
}

function fail(input, message) {
  const config = { ...(input.config || {}) };
  for (const key of ['key', 'api_key', 'password']) if (key in config) config[key] = 'REMOVED';
  writeOutput({ success: false, input: { ...input, config }, errorMessage: message });
  process.exit(1);
}

function refang(text) {
  return text
    .trim()
    .replace(/^hxxp/i, 'http')
    .replace(/\[(\.|dot)\]|\((\.|dot)\)/gi, '.')
    .replace(/\[:\]/g, ':')
    .replace(/\[\/\]/g, '/');
}

function defang(url) {
  return url.replace(/^http/i, 'hxxp').replace(/\./g, '[.]');
}

function inspect(raw, maxLength) {
  const refanged = refang(raw);
  const url = new URL(refanged);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const flags = [];
  if (net.isIP(host)) flags.push('host is an IP address');
  if (url.username || url.password) flags.push('credentials in URL (user@host trick)');
  // WHATWG URL leaves `port` empty when it is the scheme's default port.
  if (url.port) flags.push(`non-standard port ${url.port}`);
  if (url.protocol === 'http:') flags.push('cleartext HTTP');
  if (!['http:', 'https:', 'ftp:'].includes(url.protocol)) flags.push(`unusual scheme ${url.protocol}`);
  if (host.startsWith('xn--') || host.includes('.xn--')) flags.push('punycode host');
  if (refanged.length > maxLength) flags.push(`long URL (${refanged.length} characters)`);
  if (/%[0-9a-f]{2}/i.test(url.pathname)) flags.push('percent-encoded path');
  const extension = path.posix.extname(url.pathname).toLowerCase();
  if (RISKY_EXTENSIONS.includes(extension)) flags.push(`risky file extension ${extension}`);
  const redirect = [...url.searchParams.values()].find((v) => /^https?:\/\//i.test(v));
  if (redirect) flags.push('embedded redirect URL');
  return {
    input: raw,
    refanged,
    defanged: defang(refanged),
    scheme: url.protocol.replace(/:$/, ''),
    host,
    port: url.port || null,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    extension: extension || null,
    redirect: redirect || null,
    flags,
  };
}

function main() {
  let input;
  try {
    input = JSON.parse(fs.readFileSync(path.join(jobDirectory, 'input', 'input.json'), 'utf8'));
  } catch (error) {
    writeOutput({ success: false, input: {}, errorMessage: `Cannot read input: ${error.message}` });
    process.exit(1);
  }
  const config = input.config || {};
  if (config.check_tlp && (input.tlp ?? 2) > (config.max_tlp ?? 2)) fail(input, 'TLP is higher than allowed.');
  if (input.dataType !== 'url') fail(input, `UrlInspect only analyzes URLs, not ${input.dataType}.`);
  if (typeof input.data !== 'string' || !input.data) fail(input, 'Missing data field');

  let full;
  try {
    full = inspect(input.data, Number(config.max_length ?? 200));
  } catch (error) {
    fail(input, `Invalid URL: ${error.message}`);
  }
  const level = full.flags.length >= 3 ? 'malicious' : full.flags.length > 0 ? 'suspicious' : 'safe';
  const taxonomies = [
    { level, namespace: 'UrlInspect', predicate: 'Flags', value: String(full.flags.length) },
    { level: 'info', namespace: 'UrlInspect', predicate: 'Host', value: full.host.replace(/\./g, '[.]') },
  ];
  const artifacts = [{ dataType: net.isIP(full.host) ? 'ip' : 'domain', data: full.host }];
  if (full.redirect) artifacts.push({ dataType: 'url', data: full.redirect, tags: ['redirect'] });
  if (full.refanged !== input.data) artifacts.push({ dataType: 'url', data: full.refanged, tags: ['refanged'] });
  writeOutput({ success: true, summary: { taxonomies }, full, artifacts, operations: [] });
}

main();
