#!/usr/bin/env node
// Checks helm/torii offline (no helm binary here): values.yaml against values.schema.json; every template
// parses as YAML after a crude render (actions become placeholder scalars, action-only lines are dropped) and
// its if/range/with/define blocks balance; every `.Values.x.y` a template reads exists in values.yaml; every
// service has a Deployment and a Service; every env var the chart sets is documented for that service in
// docs/configuration.md. Best effort: it catches structural typos, not what only `helm template` would see.
// Usage: node tools/check-helm.js [chartDir]   Exit 1 on any error.
'use strict';

const { existsSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');
const YAML = require('yaml');

const root = resolve(__dirname, '..');
const chartDir = resolve(process.argv[2] ?? join(root, 'helm', 'torii'));
const configDoc = join(root, 'docs', 'configuration.md');

/** The chart's services: directory under templates/ and key under .Values.services. */
const SERVICES = [
  { name: 'tenant', key: 'tenant' },
  { name: 'edge-mta', key: 'edgeMta' },
  { name: 'delivery', key: 'delivery' },
  { name: 'spam-filter', key: 'spamFilter' },
  { name: 'virus-scan', key: 'virusScan' },
  { name: 'spool', key: 'spool' },
];

const errors = [];
const warnings = [];
const rel = (file) => relative(root, file);

function readYaml(file) {
  const doc = YAML.parseDocument(readFileSync(file, 'utf8'), { prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) errors.push(`${rel(file)}: YAML: ${error.message}`);
    return undefined;
  }
  return doc.toJS();
}

// --- Chart.yaml and values ------------------------------------------------------------------------------
function checkChart() {
  const chart = readYaml(join(chartDir, 'Chart.yaml'));
  if (!chart) return;
  if (chart.apiVersion !== 'v2') errors.push('Chart.yaml: apiVersion must be v2');
  for (const key of ['name', 'version', 'appVersion']) {
    if (typeof chart[key] !== 'string' || chart[key] === '')
      errors.push(`Chart.yaml: ${key} must be a non-empty string`);
  }
}

function checkValues() {
  const values = readYaml(join(chartDir, 'values.yaml'));
  const schemaFile = join(chartDir, 'values.schema.json');
  if (!existsSync(schemaFile)) {
    errors.push(`${rel(schemaFile)} is missing`);
    return values;
  }
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  let validate;
  try {
    validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
  } catch (error) {
    errors.push(`${rel(schemaFile)}: ${error.message}`);
    return values;
  }
  if (values && !validate(values)) {
    for (const error of validate.errors) {
      const extra = error.params?.additionalProperty ? ` "${error.params.additionalProperty}"` : '';
      errors.push(`values.yaml ${error.instancePath || '/'}: ${error.message}${extra}`);
    }
  }
  return values;
}

// --- templates ------------------------------------------------------------------------------------------
function listTemplates(dir) {
  const out = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listTemplates(path));
    else out.push(path);
  }
  return out.sort();
}

const ACTION = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;
const OPENERS = /^(if|range|with|define|block)\b/;

/** Balance of block actions over a whole file (comments removed): each opener needs one `end`. */
function checkBlocks(file, text) {
  const stack = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    for (const match of line.matchAll(ACTION)) {
      const body = match[1];
      if (body.startsWith('/*')) continue;
      const opener = OPENERS.exec(body);
      if (opener) stack.push({ kind: opener[1], line: index + 1 });
      else if (/^end\b/.test(body)) {
        if (stack.length === 0) errors.push(`${rel(file)}:${index + 1}: {{ end }} without an opening block`);
        else stack.pop();
      } else if (/^else\b/.test(body) && stack.length === 0) {
        errors.push(`${rel(file)}:${index + 1}: {{ else }} outside a block`);
      }
    }
  });
  for (const open of stack)
    errors.push(`${rel(file)}:${open.line}: {{ ${open.kind} }} is never closed with {{ end }}`);
  if (/\{\{(?![\s\S]*?\}\})/.test(text.replace(ACTION, '')))
    errors.push(`${rel(file)}: an action opened with {{ is never closed`);
}

/**
 * Blanks action-only lines (control flow, includes that render whole blocks) and turns inline actions into
 * `x`. Lines are kept (blank), so YAML errors point at the template's own line numbers.
 */
function crudeRender(text) {
  return text
    .replace(/\{\{-?\s*\/\*[\s\S]*?\*\/\s*-?\}\}/g, (comment) => comment.replace(/[^\n]/g, ''))
    .split('\n')
    .map((line) => (/^\s*(\{\{[\s\S]*?\}\}\s*)+$/.test(line) ? '' : line.replace(ACTION, 'x')))
    .join('\n');
}

function checkTemplate(file) {
  const text = readFileSync(file, 'utf8');
  checkBlocks(file, text);
  if (file.endsWith('.tpl') || file.endsWith('NOTES.txt')) return [];
  const rendered = crudeRender(text);
  const docs = YAML.parseAllDocuments(rendered, { prettyErrors: true });
  const objects = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) errors.push(`${rel(file)} (crudely rendered): ${error.message}`);
      continue;
    }
    const object = doc.toJS();
    if (object === null || object === undefined) continue;
    for (const key of ['apiVersion', 'kind', 'metadata']) {
      if (!(key in object)) errors.push(`${rel(file)}: a document has no ${key}`);
    }
    if (object.metadata && !object.metadata.name)
      errors.push(`${rel(file)}: ${object.kind} has no metadata.name`);
    objects.push(object);
  }
  return objects;
}

/** Every `.Values.a.b` a template reads must exist in values.yaml (catches misspelt keys). */
function checkValuePaths(file, text, values) {
  for (const match of text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) {
    let node = values;
    for (const key of match[1].slice(1).split('.')) {
      if (node === null || typeof node !== 'object' || !(key in node)) {
        errors.push(`${rel(file)}: .Values${match[1]} is not in values.yaml`);
        break;
      }
      node = node[key];
    }
  }
}

// --- docs/configuration.md --------------------------------------------------------------------------------
/** { shared: { common, database, storage }, services: { name: { vars, reads[] } } } from the generated tables. */
function parseConfigDoc() {
  const shared = { common: new Set(), database: new Set(), storage: new Set(), auth: new Set() };
  const services = {};
  let target;
  for (const line of readFileSync(configDoc, 'utf8').split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) {
      const name = heading[1].trim();
      target = name.startsWith('Shared') ? undefined : (services[name] = { vars: new Set(), reads: [] });
      continue;
    }
    if (/^Common\b/.test(line)) target = shared.common;
    else if (/^PostgreSQL\b/.test(line)) target = shared.database;
    else if (/^Object storage\b/.test(line)) target = shared.storage;
    else if (/^Service authentication\b/.test(line)) target = shared.auth;
    const reads = /Also reads the shared (.+?) variables/.exec(line);
    if (reads && target && target.reads) target.reads = reads[1].split(/,\s*|\s+and\s+/).map((s) => s.trim());
    const row = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/.exec(line);
    if (row && target) (target.vars ?? target).add(row[1]);
  }
  return { shared, services };
}

/** Env var names a service's Deployment sets, with the ConfigMaps it pulls in. */
function chartEnv(service, values, configMaps) {
  const file = join(chartDir, 'templates', service.name, 'deployment.yaml');
  const text = readFileSync(file, 'utf8');
  const names = new Set();
  for (const match of text.matchAll(/^\s*- name: ([A-Z][A-Z0-9_]*)\s*$/gm)) names.add(match[1]);
  for (const match of text.matchAll(/"key" "([A-Z][A-Z0-9_]*)"/g)) names.add(match[1]);
  for (const match of text.matchAll(/name: \{\{ include "torii\.fullname" \. \}\}-([a-z]+)\s*$/gm)) {
    const keys = configMaps[match[1]];
    if (keys) for (const key of keys) names.add(key);
  }
  for (const key of Object.keys(values?.services?.[service.key]?.env ?? {})) names.add(key);
  return names;
}

/** ConfigMap suffix → data keys, from templates/configmap.yaml. */
function configMapKeys() {
  const file = join(chartDir, 'templates', 'configmap.yaml');
  const out = {};
  if (!existsSync(file)) return out;
  for (const doc of readFileSync(file, 'utf8').split(/^---\s*$/m)) {
    const name = /name: \{\{ include "torii\.fullname" \. \}\}-([a-z]+)/.exec(doc);
    if (!name) continue;
    const data = doc.split(/^data:\s*$/m)[1] ?? '';
    out[name[1]] = [...data.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
  }
  return out;
}

function checkEnv(values) {
  const doc = parseConfigDoc();
  const configMaps = configMapKeys();
  for (const service of SERVICES) {
    const documented = doc.services[service.name];
    if (!documented) {
      errors.push(`docs/configuration.md has no "## ${service.name}" section`);
      continue;
    }
    const allowed = new Set(documented.vars);
    for (const group of documented.reads) for (const name of doc.shared[group] ?? []) allowed.add(name);
    if (!existsSync(join(chartDir, 'templates', service.name, 'deployment.yaml'))) continue;
    for (const name of chartEnv(service, values, configMaps)) {
      if (!allowed.has(name)) {
        errors.push(
          `${service.name}: the chart sets ${name}, which docs/configuration.md does not list for ${service.name}`,
        );
      }
    }
  }
}

// --- main -----------------------------------------------------------------------------------------------
function main() {
  if (!existsSync(join(chartDir, 'Chart.yaml'))) {
    console.error(`check-helm: no chart at ${chartDir}`);
    process.exit(1);
  }
  checkChart();
  const values = checkValues();
  const kindsByDir = new Map();
  for (const file of listTemplates(join(chartDir, 'templates'))) {
    const objects = checkTemplate(file);
    if (values) checkValuePaths(file, readFileSync(file, 'utf8'), values);
    const dir = relative(join(chartDir, 'templates'), file).split('/')[0];
    const kinds = kindsByDir.get(dir) ?? new Set();
    for (const object of objects) kinds.add(object.kind);
    kindsByDir.set(dir, kinds);
  }
  for (const service of SERVICES) {
    const kinds = kindsByDir.get(service.name) ?? new Set();
    for (const kind of ['Deployment', 'Service']) {
      if (!kinds.has(kind)) errors.push(`templates/${service.name}/ has no ${kind}`);
    }
    if (values && !values.services?.[service.key]) errors.push(`values.yaml has no services.${service.key}`);
  }
  // A service added to the repository but not to the chart (or to SERVICES above) is worth a look.
  const servicesDir = join(root, 'services');
  if (existsSync(servicesDir)) {
    for (const name of readdirSync(servicesDir)) {
      if (existsSync(join(servicesDir, name, 'package.json')) && !SERVICES.some((s) => s.name === name)) {
        warnings.push(
          `services/${name} is not in the chart (add templates/${name}/ and SERVICES in tools/check-helm.js)`,
        );
      }
    }
  }
  // The chart's PrometheusRule reads files/alerts.yml (Helm reads no file outside the chart); compose loads
  // deploy/prometheus/alerts.yml. One set of alerts: the copy must be the same bytes.
  const chartAlerts = join(chartDir, 'files', 'alerts.yml');
  const composeAlerts = join(root, 'deploy', 'prometheus', 'alerts.yml');
  if (existsSync(chartAlerts) && existsSync(composeAlerts)) {
    if (!readFileSync(chartAlerts).equals(readFileSync(composeAlerts))) {
      errors.push(`${rel(chartAlerts)} differs from ${rel(composeAlerts)} (copy it: cp ${rel(composeAlerts)} ${rel(chartAlerts)})`);
    }
  } else if (existsSync(join(chartDir, 'templates', 'prometheusrule.yaml'))) {
    errors.push(`templates/prometheusrule.yaml needs ${rel(chartAlerts)} and ${rel(composeAlerts)}`);
  }
  if (existsSync(configDoc)) checkEnv(values);
  else errors.push('docs/configuration.md is missing');

  for (const warning of warnings) console.warn(`check-helm: warning: ${warning}`);
  if (errors.length > 0) {
    for (const error of errors) console.error(`check-helm: ${error}`);
    console.error(`check-helm: ${errors.length} problem(s) in ${rel(chartDir)}`);
    process.exit(1);
  }
  console.log(`check-helm: ${rel(chartDir)} ok (${SERVICES.length} services)`);
}

main();
