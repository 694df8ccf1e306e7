#!/usr/bin/env node
'use strict';
// CaseTriage: keyword-based triage of a TheHive case or alert (job folder protocol, no dependencies).
const fs = require('node:fs');
const path = require('node:path');

const DEFAULT_HIGH_KEYWORDS = ['ransomware', 'exfiltration', 'domain admin', 'lateral movement', 'c2'];
const MEDIUM_KEYWORDS = ['phishing', 'malware', 'credential', 'brute force', 'suspicious'];

const jobDirectory = process.argv[2] || '/job';

function writeOutput(report) {
  const outputDirectory = path.join(jobDirectory, 'output');
  fs.mkdirSync(outputDirectory, { recursive: true });
  fs.writeFileSync(path.join(outputDirectory, 'output.json'), JSON.stringify(report));
}

function fail(input, message) {
  writeOutput({ success: false, input, errorMessage: message });
  process.exit(1);
}

function triage(target, highKeywords) {
  const text = [target.title, target.description, ...(target.tags || [])].join(' ').toLowerCase();
  const matched = (words) => words.filter((w) => text.includes(String(w).toLowerCase()));
  const high = matched(highKeywords);
  const medium = matched(MEDIUM_KEYWORDS);
  const severity = Number(target.severity || 2);
  let score = severity * 10 + high.length * 30 + medium.length * 10;
  if (target._type === 'alert' && target.follow === false) score -= 10;
  const priority = score >= 60 ? 'high' : score >= 30 ? 'medium' : 'low';
  return { priority, score, severity, matched_keywords: [...high, ...medium] };
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
  if (!['thehive:case', 'thehive:alert'].includes(input.dataType)) {
    fail(input, `CaseTriage cannot handle ${input.dataType} objects.`);
  }
  const target = input.data;
  if (!target || typeof target !== 'object') fail(input, 'The data field must be a TheHive object.');

  const result = triage(target, config.high_keywords || DEFAULT_HIGH_KEYWORDS);
  const kind = input.dataType === 'thehive:case' ? 'Case' : 'Alert';
  const operations = [{ type: `AddTagTo${kind}`, tag: `triage:${result.priority}` }];
  if (kind === 'Case' && result.priority === 'high' && config.create_task !== false) {
    operations.push({
      type: 'CreateTask',
      title: 'Containment',
      description: `Isolate affected hosts (triage matched: ${result.matched_keywords.join(', ')})`,
    });
  }
  if (kind === 'Alert' && result.priority === 'low') operations.push({ type: 'MarkAlertAsRead' });
  writeOutput({
    success: true,
    full: {
      message: `${kind} ${JSON.stringify(target.title || '')} triaged as ${result.priority} (score ${result.score})`,
      ...result,
    },
    operations,
  });
}

main();
