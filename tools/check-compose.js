#!/usr/bin/env node
// Validates docker-compose.yml offline: the Compose Specification schema (committed in deploy/, see
// deploy/compose-spec.schema.NOTICE.md) plus the cross-references the schema cannot see (depends_on
// targets, named volumes and networks, build contexts, Dockerfiles, bind-mounted files).
// Usage: node tools/check-compose.js [path/to/docker-compose.yml]   Exit 1 on any error.
'use strict';

const { existsSync, readFileSync, statSync } = require('node:fs');
const { dirname, isAbsolute, join, relative, resolve } = require('node:path');
const Ajv = require('ajv');
const YAML = require('yaml');

const root = resolve(__dirname, '..');
const composePath = resolve(process.argv[2] ?? join(root, 'docker-compose.yml'));
const schemaPath = join(root, 'deploy', 'compose-spec.schema.json');
const errors = [];
const warnings = [];

function loadCompose(file) {
  const doc = YAML.parseDocument(readFileSync(file, 'utf8'), { merge: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    for (const error of doc.errors) errors.push(`YAML: ${error.message}`);
    return undefined;
  }
  return doc.toJS({ maxAliasCount: 1000 });
}

// Ajv 8 refuses draft-04 `id` keywords and does not know the 2019-09 meta-schema URL the file names.
function loadSchema() {
  const strip = (node) => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    const out = {};
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'id' || key === '$schema') && typeof value === 'string') continue;
      out[key] = strip(value);
    }
    return out;
  };
  return strip(JSON.parse(readFileSync(schemaPath, 'utf8')));
}

function validateSchema(compose) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  // Go-style durations as Compose writes them: 10s, 1m30s, 500ms.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat(
    'ports',
    /^((\[?[0-9a-fA-F.:]+\]?|\$\{[^}]+\}):)?((\d+(-\d+)?|\$\{[^}]+\}):)?(\d+(-\d+)?|\$\{[^}]+\})(\/(tcp|udp|sctp))?$/,
  );
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  const validate = ajv.compile(loadSchema());
  if (validate(compose)) return;
  // oneOf failures repeat every branch's complaint: report each distinct (path, message) once.
  const seen = new Set();
  for (const error of validate.errors) {
    const extra = error.params?.additionalProperty ? ` "${error.params.additionalProperty}"` : '';
    const allowed = error.params?.allowedValues ? ` (${error.params.allowedValues.join(', ')})` : '';
    const line = `schema: ${error.instancePath || '/'} ${error.message}${extra}${allowed}`;
    if (!seen.has(line)) (errors.push(line), seen.add(line));
  }
}

function checkReferences(compose) {
  const base = dirname(composePath);
  const services = compose.services ?? {};
  const volumes = compose.volumes ?? {};
  const networks = compose.networks ?? {};
  for (const [name, service] of Object.entries(services)) {
    const where = `services.${name}`;
    if (!service || typeof service !== 'object') continue;
    if (!service.image && !service.build) errors.push(`${where}: needs an image or a build`);

    const dependsOn = Array.isArray(service.depends_on)
      ? service.depends_on
      : Object.keys(service.depends_on ?? {});
    for (const target of dependsOn) {
      if (!(target in services)) errors.push(`${where}.depends_on: no service named "${target}"`);
      else if (target === name) errors.push(`${where}.depends_on: a service cannot wait for itself`);
    }
    if (service.depends_on && !Array.isArray(service.depends_on)) {
      for (const [target, { condition } = {}] of Object.entries(service.depends_on)) {
        if (condition === 'service_healthy' && services[target] && !hasHealthcheck(services[target], base)) {
          errors.push(
            `${where}.depends_on.${target}: waits for service_healthy but "${target}" has no healthcheck`,
          );
        }
      }
    }

    const serviceNetworks = Array.isArray(service.networks)
      ? service.networks
      : Object.keys(service.networks ?? {});
    for (const network of serviceNetworks) {
      if (network !== 'default' && !(network in networks))
        errors.push(`${where}.networks: "${network}" is not declared under networks`);
    }

    for (const mount of service.volumes ?? []) checkMount(where, mount, volumes, base);

    if (service.build) checkBuild(where, service.build, base);
  }
}

function hasHealthcheck(service, base) {
  if (service.healthcheck) return !service.healthcheck.disable;
  const dockerfile = service.build && dockerfilePath(service.build, base);
  return Boolean(
    dockerfile &&
    existsSync(dockerfile) &&
    /^\s*HEALTHCHECK\s+(?!NONE)/im.test(readFileSync(dockerfile, 'utf8')),
  );
}

function checkMount(where, mount, volumes, base) {
  let type;
  let source;
  if (typeof mount === 'string') {
    const parts = mount.split(':');
    if (parts.length < 2) return; // an anonymous volume
    source = parts[0];
    type = /^[./~]/.test(source) || isAbsolute(source) ? 'bind' : 'volume';
  } else {
    ({ type, source } = mount);
  }
  if (!source || source.includes('${')) return;
  if (type === 'volume' && !(source in volumes))
    errors.push(`${where}.volumes: named volume "${source}" is not declared under volumes`);
  if (type === 'bind' && !source.startsWith('~') && !existsSync(resolve(base, source))) {
    errors.push(`${where}.volumes: bind-mounted path ${source} does not exist`);
  }
}

function dockerfilePath(build, base) {
  const context = resolve(base, typeof build === 'string' ? build : (build.context ?? '.'));
  return resolve(context, typeof build === 'string' ? 'Dockerfile' : (build.dockerfile ?? 'Dockerfile'));
}

function checkBuild(where, build, base) {
  const context = resolve(base, typeof build === 'string' ? build : (build.context ?? '.'));
  if (!existsSync(context) || !statSync(context).isDirectory()) {
    errors.push(`${where}.build: context ${relative(root, context) || '.'} is not a directory`);
    return;
  }
  const dockerfile = dockerfilePath(build, base);
  if (!existsSync(dockerfile))
    errors.push(`${where}.build: Dockerfile ${relative(root, dockerfile)} does not exist`);
  // Our one Dockerfile builds services/$SERVICE: a service still being written is a warning, not an error.
  const args = typeof build === 'object' && build.args && !Array.isArray(build.args) ? build.args : {};
  if (
    args.SERVICE !== undefined &&
    !existsSync(join(context, 'services', String(args.SERVICE), 'package.json'))
  ) {
    warnings.push(`${where}.build.args.SERVICE: services/${args.SERVICE}/package.json does not exist (yet)`);
  }
}

function main() {
  const name = relative(process.cwd(), composePath) || composePath;
  if (!existsSync(composePath)) {
    console.error(`check-compose: ${name} not found`);
    process.exit(1);
  }
  const compose = loadCompose(composePath);
  if (compose !== undefined) {
    if (compose === null || typeof compose !== 'object') errors.push('the file is not a mapping');
    else {
      validateSchema(compose);
      checkReferences(compose);
    }
  }
  for (const warning of warnings) console.warn(`check-compose: warning: ${warning}`);
  if (errors.length > 0) {
    console.error(`check-compose: ${name} has ${errors.length} problem(s):`);
    for (const error of errors) console.error(`  - ${error}`);
    process.exit(1);
  }
  console.log(`check-compose: ${name} is valid (${Object.keys(compose.services ?? {}).length} services)`);
}

main();
