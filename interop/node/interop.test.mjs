// Cross-check: the official WorkOS Node SDK (@workos-inc/node, pinned in
// package.json) against `fgakit serve` loaded with fixture.json.
//
// Each test drives one endpoint family through the SDK's own methods and
// asserts what the SDK returns (its deserialized camelCase objects) or throws
// (its exception classes). A test marked { todo: 'fake: …' } documents an open
// mismatch recorded in /work/notes/interop-findings.md; it still runs, but its
// failure does not fail the suite.
//
// Environment:
//   FGAKIT_BIN  use this fgakit binary instead of building ./cmd/fgakit.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createCipheriv, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  WorkOS,
  AuthenticateWithSessionCookieFailureReason,
  NotFoundException,
  ConflictException,
  UnprocessableEntityException,
  UnauthorizedException,
  GenericServerException,
  RateLimitExceededException,
  SignatureVerificationException,
} from '@workos-inc/node';
import { createServer } from 'node:http';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const API_KEY = 'sk_test_interop';
const CLIENT_ID = 'client_interop';
const ORG = 'org_acme';

const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let server; // child process of `fgakit serve`
let serverStderr = '';
let workDir;
let baseURL;
let workos;

// Start the server once for the whole file; stop it always, also on failure.
before(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'fgakit-interop-'));
  let bin = process.env.FGAKIT_BIN;
  if (!bin) {
    bin = path.join(workDir, 'fgakit');
    try {
      execFileSync('go', ['build', '-o', bin, './cmd/fgakit'], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      });
    } catch (err) {
      // Name the cause in the test report: node --test does not show a hook's stderr.
      throw new Error(`go build ./cmd/fgakit (in ${repoRoot}) failed:\n${err.stderr || err.message}`);
    }
  }
  server = spawn(
    bin,
    [
      'serve',
      '--addr', '127.0.0.1:0',
      '--fixture', path.join(here, 'fixture.json'),
      '--api-key', API_KEY,
      '--client-id', CLIENT_ID,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  server.stderr.setEncoding('utf8');
  server.stderr.on('data', (chunk) => {
    serverStderr += chunk;
  });
  baseURL = await firstLine(server, 30_000);
  assert.match(baseURL, /^http:\/\/127\.0\.0\.1:\d+$/, 'first stdout line is the base URL');
  workos = sdk(API_KEY);
}, { timeout: 600_000 });

after(() => {
  stopServer();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});
process.on('exit', stopServer);

function stopServer() {
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM');
  }
}

// firstLine resolves with the first line the child writes to stdout, and
// keeps draining stdout afterwards so the child never blocks on a full pipe.
function firstLine(child, timeoutMs) {
  return new Promise((resolve, reject) => {
    let buf = '';
    let done = false;
    const finish = (err, line) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(line);
    };
    const timer = setTimeout(
      () => finish(new Error(`fgakit serve printed no URL within ${timeoutMs} ms; stderr:\n${serverStderr}`)),
      timeoutMs,
    );
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(null, buf.slice(0, nl).trim());
    });
    child.on('exit', (code, signal) =>
      finish(new Error(`fgakit serve exited early (code ${code}, signal ${signal}); stderr:\n${serverStderr}`)),
    );
    child.on('error', (err) => finish(err));
  });
}

// sdk returns the official client pointed at the local server; extra adds
// WorkOS options (e.g. { maxRetries: 0 }).
function sdk(key, extra = {}) {
  const url = new URL(baseURL);
  return new WorkOS(key, {
    apiHostname: url.hostname,
    port: Number(url.port),
    https: false,
    clientId: CLIENT_ID,
    ...extra,
  });
}

// rejectsWith asserts that promise rejects with an instance of cls carrying a
// request ID, and with the given status/code/message when those are given.
async function rejectsWith(promise, cls, { status, code, message } = {}) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof cls, `want ${cls.name}, got ${err && err.name}: ${err && err.message}`);
    if (status !== undefined) assert.equal(err.status, status);
    if (code !== undefined) assert.equal(err.code, code);
    if (message !== undefined) assert.match(err.message, message);
    assert.equal(typeof err.requestID, 'string');
    assert.notEqual(err.requestID, '', 'X-Request-ID is present on errors');
    return true;
  });
}

const sortSlugs = (list) => list.map((p) => p.slug).sort();
const ids = (list) => list.map((x) => x.id);

// assertResourceShape checks the fields a caller cannot predict.
function assertResourceShape(r) {
  assert.equal(r.object, 'authorization_resource');
  assert.match(r.id, /^authz_resource_/);
  assert.match(r.createdAt, ISO_MILLIS);
  assert.match(r.updatedAt, ISO_MILLIS);
}

// ---------------------------------------------------------------- check

test('check: by resource ID, allowed through inheritance and denied', async () => {
  // Alice is workspace-admin on eng; web is a project under eng.
  assert.deepEqual(
    await workos.authorization.check({
      organizationMembershipId: 'om_alice',
      permissionSlug: 'project:edit',
      resourceId: 'authz_resource_web',
    }),
    { authorized: true },
  );
  // crm is under sales, where Alice has nothing.
  assert.deepEqual(
    await workos.authorization.check({
      organizationMembershipId: 'om_alice',
      permissionSlug: 'project:edit',
      resourceId: 'authz_resource_crm',
    }),
    { authorized: false },
  );
  // Bob's organization role (viewer) grants project:view everywhere, not edit.
  assert.deepEqual(
    await workos.authorization.check({
      organizationMembershipId: 'om_bob',
      permissionSlug: 'project:view',
      resourceId: 'authz_resource_crm',
    }),
    { authorized: true },
  );
  assert.deepEqual(
    await workos.authorization.check({
      organizationMembershipId: 'om_bob',
      permissionSlug: 'project:edit',
      resourceId: 'authz_resource_crm',
    }),
    { authorized: false },
  );
});

test('check: by external ID, allowed and denied', async () => {
  // Carol is project-editor on web only.
  assert.deepEqual(
    await workos.authorization.check({
      organizationMembershipId: 'om_carol',
      permissionSlug: 'project:edit',
      resourceExternalId: 'web',
      resourceTypeSlug: 'project',
    }),
    { authorized: true },
  );
  assert.deepEqual(
    await workos.authorization.check({
      organizationMembershipId: 'om_carol',
      permissionSlug: 'project:edit',
      resourceExternalId: 'api',
      resourceTypeSlug: 'project',
    }),
    { authorized: false },
  );
  // A permission of another type on a resource answers false, not an error (WIRE §7.5).
  assert.deepEqual(
    await workos.authorization.check({
      organizationMembershipId: 'om_carol',
      permissionSlug: 'workspace:manage',
      resourceExternalId: 'web',
      resourceTypeSlug: 'project',
    }),
    { authorized: false },
  );
});

// ---------------------------------------------------------------- resources

test('resources: create, get, update and delete by ID', async () => {
  const created = await workos.authorization.createResource({
    organizationId: ORG,
    resourceTypeSlug: 'workspace',
    externalId: 'interop-ops',
    name: 'Operations',
    description: 'Keeps the lights on',
  });
  assertResourceShape(created);
  assert.deepEqual(created, {
    object: 'authorization_resource',
    id: created.id,
    externalId: 'interop-ops',
    name: 'Operations',
    description: 'Keeps the lights on',
    resourceTypeSlug: 'workspace',
    organizationId: ORG,
    parentResourceId: null, // parent is the organization root (WIRE §7.6)
    createdAt: created.createdAt,
    updatedAt: created.updatedAt,
  });

  assert.deepEqual(await workos.authorization.getResource(created.id), created);

  const updated = await workos.authorization.updateResource({
    resourceId: created.id,
    name: 'Operations & Infra',
    description: null,
  });
  assert.deepEqual(
    { ...updated, updatedAt: undefined },
    { ...created, name: 'Operations & Infra', description: null, updatedAt: undefined },
  );
  assert.match(updated.updatedAt, ISO_MILLIS);

  // A child by parent ID reports that parent.
  const child = await workos.authorization.createResource({
    organizationId: ORG,
    resourceTypeSlug: 'project',
    externalId: 'interop-ops-pager',
    name: 'Pager',
    parentResourceId: created.id,
  });
  assertResourceShape(child);
  assert.equal(child.parentResourceId, created.id);
  assert.equal(child.description, null);

  await workos.authorization.deleteResource({ resourceId: child.id });
  await rejectsWith(workos.authorization.getResource(child.id), NotFoundException, { status: 404 });
  await workos.authorization.deleteResource({ resourceId: created.id });
  await rejectsWith(workos.authorization.getResource(created.id), NotFoundException, { status: 404 });
});

test('resources: get, update and delete by external ID', async () => {
  const created = await workos.authorization.createResource({
    organizationId: ORG,
    resourceTypeSlug: 'project',
    externalId: 'interop-docs',
    name: 'Docs',
    parentResourceExternalId: 'eng',
    parentResourceTypeSlug: 'workspace',
  });
  assertResourceShape(created);
  assert.equal(created.parentResourceId, 'authz_resource_eng');

  const byExt = { organizationId: ORG, resourceTypeSlug: 'project', externalId: 'interop-docs' };
  assert.deepEqual(await workos.authorization.getResourceByExternalId(byExt), created);

  const updated = await workos.authorization.updateResourceByExternalId({
    ...byExt,
    name: 'Documentation',
    description: 'User-facing docs',
  });
  assert.equal(updated.id, created.id);
  assert.equal(updated.name, 'Documentation');
  assert.equal(updated.description, 'User-facing docs');
  assert.equal(updated.externalId, 'interop-docs');

  await workos.authorization.deleteResourceByExternalId(byExt);
  await rejectsWith(workos.authorization.getResourceByExternalId(byExt), NotFoundException, { status: 404 });
});

test('resources: delete with dependents is 409 resource_has_dependents; cascade removes the subtree', async () => {
  const ws = await workos.authorization.createResource({
    organizationId: ORG,
    resourceTypeSlug: 'workspace',
    externalId: 'interop-cascade',
    name: 'Cascade',
  });
  const proj = await workos.authorization.createResource({
    organizationId: ORG,
    resourceTypeSlug: 'project',
    externalId: 'interop-cascade-child',
    name: 'Cascade child',
    parentResourceId: ws.id,
  });
  await workos.authorization.assignRole({
    organizationMembershipId: 'om_dave',
    roleSlug: 'project-editor',
    resourceId: proj.id,
  });

  await rejectsWith(workos.authorization.deleteResource({ resourceId: ws.id }), ConflictException, {
    status: 409,
    code: 'resource_has_dependents',
  });
  // cascade_delete=false is the explicit form of the default.
  await rejectsWith(
    workos.authorization.deleteResourceByExternalId({
      organizationId: ORG,
      resourceTypeSlug: 'workspace',
      externalId: 'interop-cascade',
      cascadeDelete: false,
    }),
    ConflictException,
    { status: 409, code: 'resource_has_dependents' },
  );
  // The project itself has a role assignment: also a dependent.
  await rejectsWith(workos.authorization.deleteResource({ resourceId: proj.id }), ConflictException, {
    code: 'resource_has_dependents',
  });

  await workos.authorization.deleteResource({ resourceId: ws.id, cascadeDelete: true });
  await rejectsWith(workos.authorization.getResource(ws.id), NotFoundException);
  await rejectsWith(workos.authorization.getResource(proj.id), NotFoundException);
  const left = await workos.authorization.listRoleAssignments({ organizationMembershipId: 'om_dave' });
  assert.ok(
    !(await left.autoPagination()).some((a) => a.resource.id === proj.id),
    'cascade removed the role assignments on the subtree',
  );
});

test('resources: the organization root is addressed by the organization ID and cannot be deleted', async () => {
  const root = await workos.authorization.getResourceByExternalId({
    organizationId: ORG,
    resourceTypeSlug: 'organization',
    externalId: ORG,
  });
  assertResourceShape(root);
  assert.equal(root.externalId, ORG);
  assert.equal(root.resourceTypeSlug, 'organization');
  assert.equal(root.organizationId, ORG);
  assert.equal(root.parentResourceId, null);
  // It cannot be deleted (WIRE §1.2); the fake answers 403, a status the
  // operation declares (authztest doc); the SDK has no class of its own for
  // 403 and throws GenericServerException.
  await rejectsWith(
    workos.authorization.deleteResourceByExternalId({
      organizationId: ORG,
      resourceTypeSlug: 'organization',
      externalId: ORG,
      cascadeDelete: true,
    }),
    GenericServerException,
    { status: 403, message: /cannot be deleted/ },
  );
});

test('resources: a second resource with the same external ID is 409', async () => {
  await rejectsWith(
    workos.authorization.createResource({
      organizationId: ORG,
      resourceTypeSlug: 'workspace',
      externalId: 'eng',
      name: 'Engineering again',
    }),
    ConflictException,
    { status: 409, code: 'authorization_resource_external_id_conflict' },
  );
  // Unique per (organization, type): the same external ID under another type is fine.
  const other = await workos.authorization.createResource({
    organizationId: ORG,
    resourceTypeSlug: 'project',
    externalId: 'eng',
    name: 'A project called eng',
    parentResourceId: 'authz_resource_sales',
  });
  assert.equal(other.externalId, 'eng');
  await workos.authorization.deleteResource({ resourceId: other.id });
});

test('resources: listResources filters and auto-paginates over 230 items (3 pages)', async () => {
  const ws = await workos.authorization.createResource({
    organizationId: ORG,
    resourceTypeSlug: 'workspace',
    externalId: 'interop-bulk',
    name: 'Bulk',
  });
  const createdIds = [];
  for (let i = 0; i < 230; i++) {
    const r = await workos.authorization.createResource({
      organizationId: ORG,
      resourceTypeSlug: 'project',
      externalId: `interop-bulk-${String(i).padStart(3, '0')}`,
      name: `Bulk ${i}`,
      parentResourceId: ws.id,
    });
    createdIds.push(r.id);
  }

  // With a limit, the SDK returns that single page with its cursor.
  const page = await workos.authorization.listResources({ organizationId: ORG, parentResourceId: ws.id, limit: 100 });
  assert.equal(page.data.length, 100);
  assert.equal(typeof page.listMetadata.after, 'string');

  // Without one, autoPagination follows list_metadata.after (limit=100 per page).
  const list = await workos.authorization.listResources({ organizationId: ORG, parentResourceId: ws.id });
  const all = await list.autoPagination();
  assert.equal(all.length, 230);
  assert.equal(new Set(ids(all)).size, 230, 'each item exactly once');
  // The SDK asks for order=desc: newest first.
  assert.deepEqual(ids(all), [...createdIds].reverse());

  // Manual cursors: after moves forward, before moves back to the same page.
  const page2 = await workos.authorization.listResources({
    organizationId: ORG,
    parentResourceId: ws.id,
    limit: 100,
    after: page.listMetadata.after,
  });
  assert.deepEqual(ids(page2.data), ids(all).slice(100, 200));
  assert.equal(typeof page2.listMetadata.before, 'string');
  const back = await workos.authorization.listResources({
    organizationId: ORG,
    parentResourceId: ws.id,
    limit: 100,
    before: page2.listMetadata.before,
  });
  assert.deepEqual(ids(back.data), ids(page.data));
  // order=asc: oldest first.
  const asc = await workos.authorization.listResources({
    organizationId: ORG,
    parentResourceId: ws.id,
    limit: 3,
    order: 'asc',
  });
  assert.deepEqual(ids(asc.data), createdIds.slice(0, 3));
  const lastPage = await workos.authorization.listResources({
    organizationId: ORG,
    parentResourceId: ws.id,
    limit: 100,
    after: page2.listMetadata.after,
  });
  assert.equal(lastPage.data.length, 30);
  assert.equal(lastPage.listMetadata.after, null, 'the last page has no after cursor');

  // Type filter and parent-by-external-ID filter.
  const workspaces = await (
    await workos.authorization.listResources({ organizationId: ORG, resourceTypeSlug: 'workspace' })
  ).autoPagination();
  assert.ok(workspaces.every((r) => r.resourceTypeSlug === 'workspace' && r.organizationId === ORG));
  assert.ok(ids(workspaces).includes('authz_resource_eng'));
  assert.ok(ids(workspaces).includes('authz_resource_sales'));
  assert.ok(!ids(workspaces).includes('authz_resource_globex_hq'));

  const engChildren = await (
    await workos.authorization.listResources({
      organizationId: ORG,
      parentResourceTypeSlug: 'workspace',
      parentExternalId: 'eng',
    })
  ).autoPagination();
  assert.deepEqual(ids(engChildren).sort(), ['authz_resource_api', 'authz_resource_web']);

  await workos.authorization.deleteResource({ resourceId: ws.id, cascadeDelete: true });
});

test('resources: a POST repeated with the same Idempotency-Key is applied once', async () => {
  // The SDK adds `Idempotency-Key: retry-<uuid>` to every POST it may retry;
  // its low-level post() lets a caller choose the key, as a retry would reuse it.
  const body = {
    organization_id: ORG,
    resource_type_slug: 'workspace',
    external_id: 'interop-idempotent',
    name: 'Idempotent',
  };
  const key = `interop-${Date.now()}`;
  const first = await workos.post('/authorization/resources', body, { idempotencyKey: key });
  const second = await workos.post('/authorization/resources', body, { idempotencyKey: key });
  assert.equal(first.data.object, 'authorization_resource');
  assert.deepEqual(second.data, first.data, 'the replay answers the first result, not a 409');
  // With another key, the same body is a second create: the external ID now clashes.
  await rejectsWith(workos.post('/authorization/resources', body, { idempotencyKey: `${key}-other` }), ConflictException, {
    code: 'authorization_resource_external_id_conflict',
  });
  await workos.authorization.deleteResource({ resourceId: first.data.id });
});

// ---------------------------------------------------------------- role assignments

test('role assignments: assign and remove by body (ID and external ID) and by assignment ID', async () => {
  const canView = () =>
    workos.authorization
      .check({ organizationMembershipId: 'om_dave', permissionSlug: 'workspace:view', resourceId: 'authz_resource_sales' })
      .then((r) => r.authorized);
  assert.equal(await canView(), false);

  const ra = await workos.authorization.assignRole({
    organizationMembershipId: 'om_dave',
    roleSlug: 'workspace-viewer',
    resourceId: 'authz_resource_sales',
  });
  assert.match(ra.id, /^role_assignment_/);
  assert.match(ra.createdAt, ISO_MILLIS);
  assert.deepEqual(ra, {
    object: 'role_assignment',
    id: ra.id,
    organizationMembershipId: 'om_dave',
    role: { slug: 'workspace-viewer' },
    resource: { id: 'authz_resource_sales', externalId: 'sales', resourceTypeSlug: 'workspace' },
    source: { type: 'direct', groupRoleAssignmentId: null },
    createdAt: ra.createdAt,
    updatedAt: ra.updatedAt,
  });
  assert.equal(await canView(), true, 'a new assignment counts in the very next check');

  // Remove by role + resource (DELETE with a JSON body), external-ID form.
  await workos.authorization.removeRole({
    organizationMembershipId: 'om_dave',
    roleSlug: 'workspace-viewer',
    resourceExternalId: 'sales',
    resourceTypeSlug: 'workspace',
  });
  assert.equal(await canView(), false, 'a removed assignment is denied on the next check');

  // Assign by external ID, remove by assignment ID.
  const ra2 = await workos.authorization.assignRole({
    organizationMembershipId: 'om_dave',
    roleSlug: 'workspace-viewer',
    resourceExternalId: 'sales',
    resourceTypeSlug: 'workspace',
  });
  assert.equal(ra2.resource.id, 'authz_resource_sales');
  assert.equal(await canView(), true);
  await workos.authorization.removeRoleAssignment({ organizationMembershipId: 'om_dave', roleAssignmentId: ra2.id });
  assert.equal(await canView(), false);

  // Assign by ID, remove by body with the ID form.
  await workos.authorization.assignRole({
    organizationMembershipId: 'om_dave',
    roleSlug: 'workspace-viewer',
    resourceId: 'authz_resource_sales',
  });
  await workos.authorization.removeRole({
    organizationMembershipId: 'om_dave',
    roleSlug: 'workspace-viewer',
    resourceId: 'authz_resource_sales',
  });
  assert.equal(await canView(), false);

  // The same role twice on the same resource is refused with 422: the
  // operation declares no 409 (OAS: 201, 403, 404, 422).
  const dup = await workos.authorization.assignRole({
    organizationMembershipId: 'om_dave',
    roleSlug: 'workspace-viewer',
    resourceId: 'authz_resource_sales',
  });
  await rejectsWith(
    workos.authorization.assignRole({
      organizationMembershipId: 'om_dave',
      roleSlug: 'workspace-viewer',
      resourceExternalId: 'sales',
      resourceTypeSlug: 'workspace',
    }),
    UnprocessableEntityException,
    { status: 422, message: /already has role/ },
  );
  await workos.authorization.removeRoleAssignment({ organizationMembershipId: 'om_dave', roleAssignmentId: dup.id });

  // Removing what is not there, or an unknown assignment ID, is 404.
  await rejectsWith(
    workos.authorization.removeRoleAssignment({
      organizationMembershipId: 'om_dave',
      roleAssignmentId: 'role_assignment_does_not_exist',
    }),
    NotFoundException,
    { status: 404 },
  );
  // A role scoped to another resource type cannot be assigned there.
  await rejectsWith(
    workos.authorization.assignRole({
      organizationMembershipId: 'om_dave',
      roleSlug: 'project-editor',
      resourceId: 'authz_resource_sales',
    }),
    UnprocessableEntityException,
    { status: 422 },
  );
});

test('role assignments: list for a membership and for a resource (by ID and external ID)', async () => {
  const alice = await (
    await workos.authorization.listRoleAssignments({ organizationMembershipId: 'om_alice' })
  ).autoPagination();
  const onEng = alice.filter((a) => a.resource.id === 'authz_resource_eng');
  assert.equal(onEng.length, 1);
  assert.deepEqual(
    { ...onEng[0], id: undefined, createdAt: undefined, updatedAt: undefined },
    {
      object: 'role_assignment',
      id: undefined,
      organizationMembershipId: 'om_alice',
      role: { slug: 'workspace-admin' },
      resource: { id: 'authz_resource_eng', externalId: 'eng', resourceTypeSlug: 'workspace' },
      source: { type: 'direct', groupRoleAssignmentId: null },
      createdAt: undefined,
      updatedAt: undefined,
    },
  );
  assert.match(onEng[0].id, /^role_assignment_/);

  const filtered = await workos.authorization.listRoleAssignments({
    organizationMembershipId: 'om_alice',
    resourceExternalId: 'eng',
    resourceTypeSlug: 'workspace',
  });
  assert.deepEqual(ids(filtered.data), [onEng[0].id]);
  const byType = await workos.authorization.listRoleAssignments({
    organizationMembershipId: 'om_carol',
    resourceTypeSlug: 'project',
  });
  assert.deepEqual(
    byType.data.map((a) => [a.role.slug, a.resource.id]),
    [['project-editor', 'authz_resource_web']],
  );

  const forEng = await workos.authorization.listRoleAssignmentsForResource({ resourceId: 'authz_resource_eng' });
  assert.deepEqual(ids(forEng.data), [onEng[0].id]);
  assert.deepEqual(forEng.listMetadata, { before: null, after: null });

  const forWeb = await workos.authorization.listResourceRoleAssignments({
    organizationId: ORG,
    resourceTypeSlug: 'project',
    externalId: 'web',
  });
  assert.deepEqual(
    forWeb.data.map((a) => [a.organizationMembershipId, a.role.slug]),
    [['om_carol', 'project-editor']],
  );
  const none = await workos.authorization.listRoleAssignmentsForResource({
    resourceId: 'authz_resource_web',
    roleSlug: 'workspace-admin',
  });
  assert.deepEqual(none.data, []);
});

// ---------------------------------------------------------------- discovery

test('discovery: resources a membership can access under a parent', async () => {
  const byId = await workos.authorization.listResourcesForMembership({
    organizationMembershipId: 'om_alice',
    permissionSlug: 'project:edit',
    parentResourceId: 'authz_resource_eng',
  });
  assert.deepEqual(ids(await byId.autoPagination()).sort(), ['authz_resource_api', 'authz_resource_web']);

  const carol = await workos.authorization.listResourcesForMembership({
    organizationMembershipId: 'om_carol',
    permissionSlug: 'project:edit',
    parentResourceExternalId: 'eng',
    parentResourceTypeSlug: 'workspace',
  });
  const carolAll = await carol.autoPagination();
  assert.deepEqual(ids(carolAll), ['authz_resource_web']);
  assert.deepEqual(carolAll[0], {
    object: 'authorization_resource',
    id: 'authz_resource_web',
    externalId: 'web',
    name: 'Web',
    description: null,
    resourceTypeSlug: 'project',
    organizationId: ORG,
    parentResourceId: 'authz_resource_eng',
    createdAt: carolAll[0].createdAt,
    updatedAt: carolAll[0].updatedAt,
  });

  const nothing = await workos.authorization.listResourcesForMembership({
    organizationMembershipId: 'om_alice',
    permissionSlug: 'project:edit',
    parentResourceId: 'authz_resource_sales',
  });
  assert.deepEqual(nothing.data, []);
  assert.deepEqual(nothing.listMetadata, { before: null, after: null });
});

test('discovery: memberships with access to a resource, direct and indirect', async () => {
  const direct = await workos.authorization.listMembershipsForResource({
    resourceId: 'authz_resource_web',
    permissionSlug: 'project:edit',
    assignment: 'direct',
  });
  const directAll = await direct.autoPagination();
  assert.deepEqual(ids(directAll), ['om_carol']);
  const m = directAll[0];
  assert.match(m.createdAt, ISO_MILLIS);
  assert.deepEqual(m, {
    object: 'organization_membership',
    id: 'om_carol',
    userId: 'user_carol',
    organizationId: ORG,
    status: 'active',
    directoryManaged: false,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    customAttributes: {},
  });

  const indirect = await workos.authorization.listMembershipsForResource({
    resourceId: 'authz_resource_web',
    permissionSlug: 'project:edit',
    assignment: 'indirect',
  });
  assert.deepEqual(ids(await indirect.autoPagination()).sort(), ['om_alice', 'om_carol']);

  // Bob's organization role grants project:view everywhere: indirect only.
  const viewersIndirect = await workos.authorization.listMembershipsForResourceByExternalId({
    organizationId: ORG,
    resourceTypeSlug: 'project',
    externalId: 'crm',
    permissionSlug: 'project:view',
    assignment: 'indirect',
  });
  assert.deepEqual(ids(await viewersIndirect.autoPagination()), ['om_bob']);
  const viewersDirect = await workos.authorization.listMembershipsForResourceByExternalId({
    organizationId: ORG,
    resourceTypeSlug: 'project',
    externalId: 'crm',
    permissionSlug: 'project:view',
    assignment: 'direct',
  });
  assert.deepEqual(viewersDirect.data, []);
});

// ---------------------------------------------------------------- effective permissions

test('effective permissions: by resource ID (the SDK path) and by external ID', async () => {
  // SDK v11 calls /authorization/resources/{id}/organization_memberships/{om}/permissions (WIRE §3 #3 note, §7.1).
  const carolWeb = await workos.authorization.listEffectivePermissions({
    organizationMembershipId: 'om_carol',
    resourceId: 'authz_resource_web',
  });
  const perms = await carolWeb.autoPagination();
  assert.deepEqual(sortSlugs(perms), ['project:edit', 'project:view']);
  const edit = perms.find((p) => p.slug === 'project:edit');
  assert.deepEqual(edit, {
    object: 'permission',
    id: edit.id,
    slug: 'project:edit',
    name: 'Edit project',
    description: null,
    resourceTypeSlug: 'project',
    system: false,
    createdAt: edit.createdAt,
    updatedAt: edit.updatedAt,
  });

  // Inherited from the workspace role on eng.
  const aliceApi = await workos.authorization.listEffectivePermissionsByExternalId({
    organizationMembershipId: 'om_alice',
    resourceTypeSlug: 'project',
    externalId: 'api',
  });
  // The fake lists the permissions of the resource's own type (authztest doc,
  // "Known differences"): workspace-admin's workspace:* are not listed on a project.
  assert.deepEqual(sortSlugs(await aliceApi.autoPagination()), ['project:edit', 'project:view']);

  // Nothing on crm for Carol.
  const carolCrm = await workos.authorization.listEffectivePermissions({
    organizationMembershipId: 'om_carol',
    resourceId: 'authz_resource_crm',
  });
  assert.deepEqual(carolCrm.data, []);
});

// ---------------------------------------------------------------- roles and permissions

test('permissions: create, get, list, update, delete; slug conflict is 409', async () => {
  const p = await workos.authorization.createPermission({
    slug: 'project:archive',
    name: 'Archive project',
    resourceTypeSlug: 'project',
  });
  assert.match(p.createdAt, ISO_MILLIS);
  assert.deepEqual(p, {
    object: 'permission',
    id: p.id,
    slug: 'project:archive',
    name: 'Archive project',
    description: null,
    resourceTypeSlug: 'project',
    system: false,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  });
  assert.deepEqual(await workos.authorization.getPermission('project:archive'), p);

  await rejectsWith(
    workos.authorization.createPermission({ slug: 'project:archive', name: 'Again', resourceTypeSlug: 'project' }),
    ConflictException,
    { status: 409, code: 'permission_slug_conflict' },
  );

  const all = await (await workos.authorization.listPermissions()).autoPagination();
  assert.ok(sortSlugs(all).includes('project:archive'));
  assert.ok(sortSlugs(all).includes('workspace:view'));

  const updated = await workos.authorization.updatePermission('project:archive', {
    name: 'Archive a project',
    description: 'Hide it from lists',
  });
  assert.equal(updated.name, 'Archive a project');
  assert.equal(updated.description, 'Hide it from lists');
  assert.equal(updated.slug, 'project:archive');

  await workos.authorization.deletePermission('project:archive');
  await rejectsWith(workos.authorization.getPermission('project:archive'), NotFoundException, { status: 404 });
});

test('environment roles: create, list, get, update, set and add permissions', async () => {
  const role = await workos.authorization.createEnvironmentRole({
    slug: 'interop-reviewer',
    name: 'Reviewer',
    description: 'Reviews projects',
    resourceTypeSlug: 'project',
  });
  assert.deepEqual(role, {
    object: 'role',
    id: role.id,
    name: 'Reviewer',
    slug: 'interop-reviewer',
    description: 'Reviews projects',
    permissions: [],
    resourceTypeSlug: 'project',
    type: 'EnvironmentRole',
    createdAt: role.createdAt,
    updatedAt: role.updatedAt,
  });
  await rejectsWith(
    workos.authorization.createEnvironmentRole({ slug: 'interop-reviewer', name: 'Again', resourceTypeSlug: 'project' }),
    ConflictException,
    { status: 409, code: 'role_slug_conflict' },
  );

  const list = await workos.authorization.listEnvironmentRoles();
  assert.equal(list.object, 'list');
  assert.ok(list.data.some((r) => r.slug === 'interop-reviewer'));
  assert.ok(list.data.some((r) => r.slug === 'workspace-admin'));
  assert.ok(list.data.every((r) => r.type === 'EnvironmentRole'));

  assert.deepEqual(await workos.authorization.getEnvironmentRole('interop-reviewer'), role);

  const renamed = await workos.authorization.updateEnvironmentRole('interop-reviewer', { name: 'Project reviewer' });
  assert.equal(renamed.name, 'Project reviewer');
  assert.equal(renamed.slug, 'interop-reviewer');

  const set = await workos.authorization.setEnvironmentRolePermissions('interop-reviewer', {
    permissions: ['project:view'],
  });
  assert.deepEqual(set.permissions, ['project:view']);
  const added = await workos.authorization.addEnvironmentRolePermission('interop-reviewer', {
    permissionSlug: 'project:edit',
  });
  assert.deepEqual([...added.permissions].sort(), ['project:edit', 'project:view']);
  const again = await workos.authorization.addEnvironmentRolePermission('interop-reviewer', {
    permissionSlug: 'project:edit',
  });
  assert.deepEqual([...again.permissions].sort(), ['project:edit', 'project:view'], 'adding twice is a no-op');

  // The role grants at once: assign it and check.
  const ra = await workos.authorization.assignRole({
    organizationMembershipId: 'om_dave',
    roleSlug: 'interop-reviewer',
    resourceId: 'authz_resource_api',
  });
  assert.deepEqual(
    await workos.authorization.check({
      organizationMembershipId: 'om_dave',
      permissionSlug: 'project:edit',
      resourceId: 'authz_resource_api',
    }),
    { authorized: true },
  );
  await workos.authorization.removeRoleAssignment({ organizationMembershipId: 'om_dave', roleAssignmentId: ra.id });

  await rejectsWith(workos.authorization.getEnvironmentRole('no-such-role'), NotFoundException, { status: 404 });
});

test('organization roles: create, list, get, update, permissions, delete (409 while assigned)', async () => {
  const role = await workos.authorization.createOrganizationRole(ORG, {
    slug: 'org-interop-ws',
    name: 'Workspace helper',
    resourceTypeSlug: 'workspace',
  });
  assert.deepEqual(role, {
    object: 'role',
    id: role.id,
    name: 'Workspace helper',
    slug: 'org-interop-ws',
    description: null,
    permissions: [],
    resourceTypeSlug: 'workspace',
    type: 'OrganizationRole',
    createdAt: role.createdAt,
    updatedAt: role.updatedAt,
  });
  await rejectsWith(
    workos.authorization.createOrganizationRole(ORG, { slug: 'org-interop-ws', name: 'Again', resourceTypeSlug: 'workspace' }),
    ConflictException,
    { status: 409, code: 'organization_role_slug_conflict' },
  );

  // The organization's list holds environment and custom roles.
  const list = await workos.authorization.listOrganizationRoles(ORG);
  const types = Object.fromEntries(list.data.map((r) => [r.slug, r.type]));
  assert.equal(types['org-interop-ws'], 'OrganizationRole');
  assert.equal(types['org-auditor'], 'OrganizationRole');
  assert.equal(types['member'], 'EnvironmentRole');

  const got = await workos.authorization.getOrganizationRole(ORG, 'org-interop-ws');
  assert.deepEqual(got, role);
  const env = await workos.authorization.getOrganizationRole(ORG, 'workspace-admin');
  assert.equal(env.type, 'EnvironmentRole');

  const updated = await workos.authorization.updateOrganizationRole(ORG, 'org-interop-ws', {
    description: 'Helps in a workspace',
  });
  assert.equal(updated.description, 'Helps in a workspace');
  assert.equal(updated.name, 'Workspace helper');

  const set = await workos.authorization.setOrganizationRolePermissions(ORG, 'org-interop-ws', {
    permissions: ['workspace:view'],
  });
  assert.deepEqual(set.permissions, ['workspace:view']);
  const added = await workos.authorization.addOrganizationRolePermission(ORG, 'org-interop-ws', {
    permissionSlug: 'project:view',
  });
  assert.deepEqual([...added.permissions].sort(), ['project:view', 'workspace:view']);
  await workos.authorization.removeOrganizationRolePermission(ORG, 'org-interop-ws', { permissionSlug: 'project:view' });
  assert.deepEqual((await workos.authorization.getOrganizationRole(ORG, 'org-interop-ws')).permissions, [
    'workspace:view',
  ]);

  // While assigned, the role cannot be deleted (WIRE §7.3).
  const ra = await workos.authorization.assignRole({
    organizationMembershipId: 'om_dave',
    roleSlug: 'org-interop-ws',
    resourceId: 'authz_resource_eng',
  });
  await rejectsWith(workos.authorization.deleteOrganizationRole(ORG, 'org-interop-ws'), ConflictException, {
    status: 409,
    code: 'role_has_assignments',
  });
  await workos.authorization.removeRoleAssignment({ organizationMembershipId: 'om_dave', roleAssignmentId: ra.id });
  await workos.authorization.deleteOrganizationRole(ORG, 'org-interop-ws');
  await rejectsWith(workos.authorization.getOrganizationRole(ORG, 'org-interop-ws'), NotFoundException, {
    status: 404,
  });
});

// ---------------------------------------------------------------- groups

test('groups: role assignments of a group reach its members', async () => {
  // group_interop (fixture) has one member, Erin.
  const group = { id: 'group_interop' };
  const canView = () =>
    workos.authorization
      .check({ organizationMembershipId: 'om_erin', permissionSlug: 'workspace:view', resourceId: 'authz_resource_sales' })
      .then((r) => r.authorized);
  assert.equal(await canView(), false);

  const gra = await workos.authorization.createGroupRoleAssignment({
    groupId: group.id,
    roleSlug: 'workspace-viewer',
    resourceId: 'authz_resource_sales',
  });
  assert.match(gra.id, /^gra_/);
  assert.deepEqual(gra, {
    object: 'group_role_assignment',
    id: gra.id,
    groupId: group.id,
    role: { slug: 'workspace-viewer' },
    resource: { id: 'authz_resource_sales', externalId: 'sales', resourceTypeSlug: 'workspace' },
    createdAt: gra.createdAt,
    updatedAt: gra.updatedAt,
  });
  assert.equal(await canView(), true, 'the fake applies group role assignments at once (WIRE §7.7)');

  await rejectsWith(
    workos.authorization.createGroupRoleAssignment({
      groupId: group.id,
      roleSlug: 'workspace-viewer',
      resourceId: 'authz_resource_sales',
    }),
    ConflictException,
    { status: 409, code: 'duplicate_group_role_assignment' },
  );

  assert.deepEqual(await workos.authorization.getGroupRoleAssignment({ groupId: group.id, roleAssignmentId: gra.id }), gra);
  const listed = await (await workos.authorization.listGroupRoleAssignments({ groupId: group.id })).autoPagination();
  assert.deepEqual(listed, [gra]);

  // The member's own list shows the grant with its group source.
  const erin = await (
    await workos.authorization.listRoleAssignments({ organizationMembershipId: 'om_erin', resourceId: 'authz_resource_sales' })
  ).autoPagination();
  assert.deepEqual(
    erin.map((a) => [a.role.slug, a.source]),
    [['workspace-viewer', { type: 'group', groupRoleAssignmentId: gra.id }]],
  );
  // A grant that came from a group is removed through the group, not by its own ID (authztest: 422).
  await rejectsWith(
    workos.authorization.removeRoleAssignment({ organizationMembershipId: 'om_erin', roleAssignmentId: erin[0].id }),
    UnprocessableEntityException,
    { status: 422 },
  );

  // A custom role held by a group cannot be deleted: 409 role_has_group_role_mappings (OAS, WIRE §1.4).
  await workos.authorization.createOrganizationRole(ORG, {
    slug: 'org-interop-grp',
    name: 'Group-held role',
    resourceTypeSlug: 'workspace',
  });
  const held = await workos.authorization.createGroupRoleAssignment({
    groupId: group.id,
    roleSlug: 'org-interop-grp',
    resourceId: 'authz_resource_eng',
  });
  await rejectsWith(workos.authorization.deleteOrganizationRole(ORG, 'org-interop-grp'), ConflictException, {
    status: 409,
    code: 'role_has_group_role_mappings',
  });
  await workos.authorization.removeGroupRoleAssignment({ groupId: group.id, roleAssignmentId: held.id });
  await workos.authorization.deleteOrganizationRole(ORG, 'org-interop-grp');

  // Replace the set: now a project role on crm by external ID.
  const replaced = await workos.authorization.replaceGroupRoleAssignments({
    groupId: group.id,
    roleAssignments: [{ roleSlug: 'project-editor', resourceExternalId: 'crm', resourceTypeSlug: 'project' }],
  });
  assert.deepEqual(
    replaced.data.map((a) => [a.role.slug, a.resource.id]),
    [['project-editor', 'authz_resource_crm']],
  );
  assert.equal(await canView(), false, 'replaced assignments no longer grant');

  await workos.authorization.removeGroupRoleAssignments({
    groupId: group.id,
    roleSlug: 'project-editor',
    resourceId: 'authz_resource_crm',
  });
  await rejectsWith(
    workos.authorization.removeGroupRoleAssignments({
      groupId: group.id,
      roleSlug: 'project-editor',
      resourceId: 'authz_resource_crm',
    }),
    NotFoundException,
    { status: 404 },
  );

  const again = await workos.authorization.createGroupRoleAssignment({
    groupId: group.id,
    roleSlug: 'workspace-viewer',
    resourceExternalId: 'sales',
    resourceTypeSlug: 'workspace',
  });
  await workos.authorization.removeGroupRoleAssignment({ groupId: group.id, roleAssignmentId: again.id });
  await rejectsWith(
    workos.authorization.getGroupRoleAssignment({ groupId: group.id, roleAssignmentId: again.id }),
    NotFoundException,
  );
  assert.equal(await canView(), false);
});

test('groups: create, get, list, update, add and remove members, delete; members get the group\'s roles', async () => {
  const group = await workos.groups.createGroup({ organizationId: ORG, name: 'Created by the SDK', description: 'sdk' });
  assert.match(group.id, /^group_/);
  assert.deepEqual(group, {
    object: 'group',
    id: group.id,
    organizationId: ORG,
    name: 'Created by the SDK',
    description: 'sdk',
    createdAt: group.createdAt,
    updatedAt: group.updatedAt,
  });
  assert.ok(group.createdAt instanceof Date && !Number.isNaN(group.createdAt.getTime()));
  assert.deepEqual(await workos.groups.getGroup({ organizationId: ORG, groupId: group.id }), group);
  await rejectsWith(workos.groups.getGroup({ organizationId: 'org_globex', groupId: group.id }), NotFoundException, { status: 404 });

  const listed = await workos.groups.listGroups({ organizationId: ORG });
  assert.ok(ids(await listed.autoPagination()).includes(group.id));

  // The SDK's updateGroup sends description: null when none is given, which clears it.
  const renamed = await workos.groups.updateGroup({ organizationId: ORG, groupId: group.id, name: 'Renamed' });
  assert.equal(renamed.name, 'Renamed');
  assert.equal(renamed.description, null);

  await workos.authorization.createGroupRoleAssignment({
    groupId: group.id,
    roleSlug: 'workspace-viewer',
    resourceId: 'authz_resource_sales',
  });
  const canView = () =>
    workos.authorization
      .check({ organizationMembershipId: 'om_carol', permissionSlug: 'workspace:view', resourceId: 'authz_resource_sales' })
      .then((r) => r.authorized);
  assert.equal(await canView(), false);

  const added = await workos.groups.addOrganizationMembership({
    organizationId: ORG,
    groupId: group.id,
    organizationMembershipId: 'om_carol',
  });
  assert.equal(added.id, group.id);
  assert.equal(await canView(), true, 'a new member gets the group\'s role at once');
  const members = await workos.groups.listOrganizationMemberships({ organizationId: ORG, groupId: group.id });
  assert.deepEqual(ids(members.data), ['om_carol']);
  const carolsGroups = await workos.userManagement.listGroupsForOrganizationMembership({ organizationMembershipId: 'om_carol' });
  assert.deepEqual(ids(carolsGroups.data), [group.id]);
  await rejectsWith(
    workos.groups.addOrganizationMembership({ organizationId: ORG, groupId: group.id, organizationMembershipId: 'om_mallory' }),
    NotFoundException,
    { status: 404 },
  );

  await workos.groups.removeOrganizationMembership({ organizationId: ORG, groupId: group.id, organizationMembershipId: 'om_carol' });
  assert.equal(await canView(), false, 'a removed member loses the group\'s role');
  await rejectsWith(
    workos.groups.removeOrganizationMembership({ organizationId: ORG, groupId: group.id, organizationMembershipId: 'om_carol' }),
    NotFoundException,
  );

  await workos.groups.addOrganizationMembership({ organizationId: ORG, groupId: group.id, organizationMembershipId: 'om_carol' });
  assert.equal(await canView(), true);
  await workos.groups.deleteGroup({ organizationId: ORG, groupId: group.id });
  assert.equal(await canView(), false, 'deleting the group takes its roles back');
  await rejectsWith(workos.groups.getGroup({ organizationId: ORG, groupId: group.id }), NotFoundException);
  await rejectsWith(
    workos.groups.createGroup({ organizationId: ORG, name: '' }),
    UnprocessableEntityException,
    { status: 422 },
  );
});

// ---------------------------------------------------------------- memberships

test('memberships: create, get, list, update, deactivate, reactivate, delete; checks follow', async () => {
  const um = workos.userManagement;
  const om = await um.createOrganizationMembership({ userId: 'user_nora', organizationId: ORG });
  assert.match(om.id, /^om_/);
  assert.deepEqual(om, {
    object: 'organization_membership',
    id: om.id,
    userId: 'user_nora',
    organizationId: ORG,
    organizationName: 'Acme',
    status: 'active',
    directoryManaged: false,
    createdAt: om.createdAt,
    updatedAt: om.updatedAt,
    role: { slug: 'member' },
    roles: [{ slug: 'member' }],
    customAttributes: {},
  });
  assert.match(om.createdAt, ISO_MILLIS);
  assert.deepEqual(await um.getOrganizationMembership(om.id), om);

  const canView = () =>
    workos.authorization
      .check({ organizationMembershipId: om.id, permissionSlug: 'workspace:view', resourceId: 'authz_resource_sales' })
      .then((r) => r.authorized);
  assert.equal(await canView(), false, 'member holds no workspace permission');

  // Onboarding: assign a role right after creating the membership.
  await workos.authorization.assignRole({
    organizationMembershipId: om.id,
    roleSlug: 'workspace-viewer',
    resourceId: 'authz_resource_sales',
  });
  assert.equal(await canView(), true);

  const viewer = await um.updateOrganizationMembership(om.id, { roleSlug: 'viewer' });
  assert.deepEqual(viewer.role, { slug: 'viewer' });
  assert.deepEqual(viewer.roles, [{ slug: 'viewer' }]);

  const nora = await um.listOrganizationMemberships({ userId: 'user_nora' });
  assert.deepEqual(ids(nora.data), [om.id]);

  const off = await um.deactivateOrganizationMembership(om.id);
  assert.equal(off.status, 'inactive');
  assert.equal(await canView(), false, 'an inactive membership\'s checks deny');
  assert.deepEqual(ids((await um.listOrganizationMemberships({ userId: 'user_nora' })).data), [], 'active only by default');
  assert.deepEqual(
    ids((await um.listOrganizationMemberships({ userId: 'user_nora', statuses: ['inactive'] })).data),
    [om.id],
  );
  const on = await um.reactivateOrganizationMembership(om.id);
  assert.equal(on.status, 'active');
  assert.deepEqual(on.role, { slug: 'viewer' }, 'reactivation keeps the roles');
  assert.equal(await canView(), true);

  await rejectsWith(
    um.createOrganizationMembership({ userId: 'user_nora', organizationId: ORG, roleSlug: 'workspace-admin' }),
    UnprocessableEntityException,
    { status: 422, code: 'sub_resource_scoped_role_not_allowed' },
  );
  await rejectsWith(
    um.updateOrganizationMembership(om.id, { roleSlug: 'no-such-role' }),
    UnprocessableEntityException,
    { status: 422, code: 'invalid_role' },
  );
  await rejectsWith(
    um.listOrganizationMemberships({}),
    GenericServerException, // the SDK makes a BadRequestException only of a 400 with code and errors
    { status: 400, code: 'missing_user_id_or_organization_id' },
  );

  assert.equal(await um.deleteOrganizationMembership(om.id), undefined);
  await rejectsWith(um.getOrganizationMembership(om.id), NotFoundException, { status: 404 });
  await rejectsWith(
    workos.authorization.check({ organizationMembershipId: om.id, permissionSlug: 'workspace:view', resourceId: 'authz_resource_sales' }),
    NotFoundException,
  );
  await rejectsWith(um.deleteOrganizationMembership(om.id), NotFoundException);
});

test('sessions: revokeSession ends the session a minted token belongs to; an unknown one is a 400', async () => {
  const { data } = await workos.post('/_fake/access_tokens', { organization_membership_id: 'om_alice' });
  const sid = JSON.parse(Buffer.from(data.access_token.split('.')[1], 'base64url').toString()).sid;
  assert.match(sid, /^session_/);
  assert.deepEqual(Object.keys(data).sort(), ['access_token', 'session_id']);
  assert.equal(data.session_id, sid, 'the answer names the session the token opened');
  assert.equal(await workos.userManagement.revokeSession({ sessionId: sid }), undefined);
  assert.equal(await workos.userManagement.revokeSession({ sessionId: sid }), undefined, 'revoking twice is no error');
  await rejectsWith(
    workos.userManagement.revokeSession({ sessionId: 'session_unknown' }),
    GenericServerException, // 400 {message}: the only error status the spec declares for revoke
    { status: 400 },
  );
});

// ---------------------------------------------------------------- sessions

// ironSeal seals data as the SDK's session cookie does (iron-webcrypto
// "Fe26.2" with its defaults: AES-256-CBC and HMAC-SHA256, keys from
// PBKDF2-SHA1 with one iteration over a random hex salt, no expiry, password
// id "1", then the SDK's "~2" version suffix). The SDK does not export its
// sealData; this lets a test hand it a session holding a token from the fake.
function ironSeal(data, password) {
  const b64url = (buf) => Buffer.from(buf).toString('base64url');
  const key = (salt) => pbkdf2Sync(password, salt, 1, 32, 'sha1');
  const encSalt = randomBytes(32).toString('hex');
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key(encSalt), iv);
  const encrypted = Buffer.concat([cipher.update(JSON.stringify(data), 'utf8'), cipher.final()]);
  const base = ['Fe26.2', '1', encSalt, b64url(iv), b64url(encrypted), ''].join('*');
  const macSalt = randomBytes(32).toString('hex');
  const mac = createHmac('sha256', key(macSalt)).update(base).digest('base64url');
  return `${base}*${macSalt}*${mac}~2`;
}

test('sessions: the SDK verifies a token minted by the fake against its JWKS, issuer included', async () => {
  // fgakit serve mints session tokens at POST /_fake/access_tokens (DESIGN.md, Command line).
  const { data } = await workos.post('/_fake/access_tokens', { organization_membership_id: 'om_bob' });
  assert.equal(typeof data.access_token, 'string');

  const cookiePassword = 'interop-cookie-password-of-32-chars!';
  const sessionData = ironSeal(
    { accessToken: data.access_token, refreshToken: 'unused', user: { object: 'user', id: 'user_bob' } },
    cookiePassword,
  );
  const issuer = `${baseURL}/user_management/${CLIENT_ID}`;
  const url = new URL(baseURL);
  const withIssuer = new WorkOS(API_KEY, {
    apiHostname: url.hostname,
    port: Number(url.port),
    https: false,
    clientId: CLIENT_ID,
    issuer,
  });
  assert.equal(withIssuer.userManagement.getJwksUrl(CLIENT_ID), `${baseURL}/sso/jwks/${CLIENT_ID}`);

  const res = await withIssuer.userManagement.authenticateWithSessionCookie({ sessionData, cookiePassword });
  assert.equal(res.authenticated, true, `not authenticated: ${res.reason}`);
  assert.match(res.sessionId, /\S/);
  assert.deepEqual(
    {
      organizationId: res.organizationId,
      role: res.role,
      roles: res.roles,
      permissions: [...res.permissions].sort(),
      user: res.user,
      accessToken: res.accessToken,
    },
    {
      organizationId: ORG,
      role: 'viewer',
      roles: ['viewer'],
      permissions: ['project:view', 'workspace:view'],
      user: { object: 'user', id: 'user_bob' },
      accessToken: data.access_token,
    },
  );

  // Another issuer than the fake's is rejected by the SDK's own check.
  const otherIssuer = new WorkOS(API_KEY, {
    apiHostname: url.hostname,
    port: Number(url.port),
    https: false,
    clientId: CLIENT_ID,
    issuer: 'https://api.workos.com/',
  });
  assert.deepEqual(await otherIssuer.userManagement.authenticateWithSessionCookie({ sessionData, cookiePassword }), {
    authenticated: false,
    reason: AuthenticateWithSessionCookieFailureReason.INVALID_JWT,
  });

  // A token whose payload was changed no longer verifies.
  const [h, p, sig] = data.access_token.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  claims.permissions = ['project:edit'];
  const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), sig].join('.');
  const forgedSession = ironSeal({ accessToken: forged, refreshToken: 'unused', user: { id: 'user_bob' } }, cookiePassword);
  assert.deepEqual(
    await withIssuer.userManagement.authenticateWithSessionCookie({ sessionData: forgedSession, cookiePassword }),
    { authenticated: false, reason: AuthenticateWithSessionCookieFailureReason.INVALID_JWT },
  );
});

// ---------------------------------------------------------------- errors

test('errors: 404 is NotFoundException with the server message and a request ID', async () => {
  await assert.rejects(workos.authorization.getResource('authz_resource_missing'), (err) => {
    assert.ok(err instanceof NotFoundException);
    assert.equal(err.status, 404);
    assert.equal(typeof err.message, 'string');
    assert.notEqual(err.message, '');
    // The fake sends {message}; without it the SDK would invent this text.
    assert.doesNotMatch(err.message, /^The requested path/);
    assert.notEqual(err.requestID, '');
    return true;
  });
  await rejectsWith(
    workos.authorization.check({
      organizationMembershipId: 'om_nobody',
      permissionSlug: 'project:view',
      resourceId: 'authz_resource_web',
    }),
    NotFoundException,
    { status: 404 },
  );
  await rejectsWith(
    workos.authorization.check({
      organizationMembershipId: 'om_alice',
      permissionSlug: 'project:view',
      resourceExternalId: 'nope',
      resourceTypeSlug: 'project',
    }),
    NotFoundException,
    { status: 404 },
  );
  // A membership asking about another organization's resource (WIRE §7.5).
  await rejectsWith(
    workos.authorization.check({
      organizationMembershipId: 'om_mallory',
      permissionSlug: 'workspace:view',
      resourceId: 'authz_resource_eng',
    }),
    NotFoundException,
    { status: 404 },
  );
  await rejectsWith(
    workos.authorization.getResourceByExternalId({ organizationId: ORG, resourceTypeSlug: 'workspace', externalId: 'nope' }),
    NotFoundException,
    { status: 404 },
  );
});

test('errors: 422 is UnprocessableEntityException (two targets, bad limit)', async () => {
  // The SDK serializes both forms when both are given; the API wants exactly one.
  await rejectsWith(
    workos.authorization.check({
      organizationMembershipId: 'om_alice',
      permissionSlug: 'project:view',
      resourceId: 'authz_resource_web',
      resourceExternalId: 'crm',
      resourceTypeSlug: 'project',
    }),
    UnprocessableEntityException,
    { status: 422 },
  );
  await rejectsWith(
    workos.authorization.assignRole({
      organizationMembershipId: 'om_dave',
      roleSlug: 'project-editor',
      resourceId: 'authz_resource_web',
      resourceExternalId: 'crm',
      resourceTypeSlug: 'project',
    }),
    UnprocessableEntityException,
    { status: 422 },
  );
  // Even when both forms name the same resource (OAS x-mutually-exclusive-body-groups).
  await rejectsWith(
    workos.authorization.check({
      organizationMembershipId: 'om_alice',
      permissionSlug: 'project:view',
      resourceId: 'authz_resource_web',
      resourceExternalId: 'web',
      resourceTypeSlug: 'project',
    }),
    UnprocessableEntityException,
    { status: 422, message: /mutually exclusive/ },
  );
  // Input limits (WIRE §1.2): name at most 48 characters, external_id ASCII only.
  await rejectsWith(
    workos.authorization.createResource({
      organizationId: ORG,
      resourceTypeSlug: 'workspace',
      externalId: 'interop-long-name',
      name: 'x'.repeat(49),
    }),
    UnprocessableEntityException,
    { status: 422 },
  );
  await rejectsWith(
    workos.authorization.createResource({
      organizationId: ORG,
      resourceTypeSlug: 'workspace',
      externalId: 'interop-é',
      name: 'Not ASCII',
    }),
    UnprocessableEntityException,
    { status: 422 },
  );
  // limit is 1–100 (WIRE §3 common list contract).
  await rejectsWith(
    workos.authorization.listResources({ organizationId: ORG, limit: 500 }),
    UnprocessableEntityException,
    { status: 422 },
  );
});

test('errors: a wrong API key is UnauthorizedException with a request ID', async () => {
  const wrong = sdk('sk_test_wrong');
  await rejectsWith(wrong.authorization.getResource('authz_resource_eng'), UnauthorizedException, { status: 401 });
  await rejectsWith(
    wrong.authorization.check({
      organizationMembershipId: 'om_alice',
      permissionSlug: 'project:edit',
      resourceId: 'authz_resource_web',
    }),
    UnauthorizedException,
    { status: 401 },
  );
});

// ---------------------------------------------------------------- faults and clock over HTTP

// control sends a request to one of the fake's control endpoints
// (/_fake/faults, /_fake/clock) with plain fetch, and returns the status and
// the parsed JSON body (null when there is none).
async function control(method, path, body, key = API_KEY) {
  const headers = { 'Content-Type': 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  const res = await fetch(baseURL + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function injectFault(fault) {
  const { status, json } = await control('POST', '/_fake/faults', fault);
  assert.equal(status, 204, `POST /_fake/faults ${JSON.stringify(fault)}: ${JSON.stringify(json)}`);
}

const clearFaults = async () => assert.equal((await control('DELETE', '/_fake/faults')).status, 204);

const FAULT_CHECK = {
  organizationMembershipId: 'om_alice',
  permissionSlug: 'project:edit',
  resourceId: 'authz_resource_web',
};
const FAULT_PATH = '/authorization/organization_memberships/om_alice/check';

test('faults: 429s are retried by the SDK; one for every attempt is RateLimitExceededException with retryAfter', async () => {
  const noRetry = sdk(API_KEY, { maxRetries: 0 });
  try {
    // Three 429s (Retry-After: 0, so no backoff wait) are absorbed by the
    // SDK's three retries: the call succeeds.
    await injectFault({ path: FAULT_PATH, method: 'POST', status: 429, retry_after: '0', times: 3 });
    const started = Date.now();
    assert.deepEqual(await workos.authorization.check(FAULT_CHECK), { authorized: true });
    // All three were used up: a client without retries now gets the answer.
    assert.deepEqual(await noRetry.authorization.check(FAULT_CHECK), { authorized: true });

    // Four 429s outlast 1 try + 3 retries: the SDK gives up.
    await injectFault({ path: FAULT_PATH, method: 'POST', status: 429, retry_after: '0', times: 4 });
    await assert.rejects(workos.authorization.check(FAULT_CHECK), (err) => {
      assert.ok(err instanceof RateLimitExceededException, `want RateLimitExceededException, got ${err && err.name}: ${err && err.message}`);
      assert.equal(err.status, 429);
      assert.equal(err.retryAfter, 0, 'retryAfter is the Retry-After header as a number');
      assert.equal(err.message, 'Too many requests.');
      assert.notEqual(err.requestID, '');
      return true;
    });
    assert.deepEqual(await noRetry.authorization.check(FAULT_CHECK), { authorized: true });
    assert.ok(Date.now() - started < 5_000, 'Retry-After: 0 means the SDK does not back off');
  } finally {
    await clearFaults();
  }
});

test('faults: a 500 once is retried by the SDK; without retries it is GenericServerException', async () => {
  const noRetry = sdk(API_KEY, { maxRetries: 0 });
  try {
    await injectFault({ path: FAULT_PATH, status: 500 });
    await rejectsWith(noRetry.authorization.check(FAULT_CHECK), GenericServerException, { status: 500 });
    // Spent: the next call is answered.
    assert.deepEqual(await noRetry.authorization.check(FAULT_CHECK), { authorized: true });

    // The same fault through the default client: one retry after its
    // backoff (0.5–1.7 s) and the caller never sees the 500.
    await injectFault({ path: FAULT_PATH, status: 500 });
    assert.deepEqual(await workos.authorization.check(FAULT_CHECK), { authorized: true });
    assert.deepEqual(await noRetry.authorization.check(FAULT_CHECK), { authorized: true });

    // A fault until cleared; DELETE /_fake/faults clears it.
    await injectFault({ path: FAULT_PATH, status: 503, times: -1 });
    await rejectsWith(noRetry.authorization.check(FAULT_CHECK), GenericServerException, { status: 503 });
    await clearFaults();
    assert.deepEqual(await noRetry.authorization.check(FAULT_CHECK), { authorized: true });
  } finally {
    await clearFaults();
  }
});

test('faults and clock: bad bodies are 422 naming the field; the API key is required under --api-key', async () => {
  try {
    assert.deepEqual(await control('POST', '/_fake/faults', { status: 500, retryAfter: '1' }), {
      status: 422,
      json: {
        message:
          'unknown field "retryAfter"; known fields: path, method, times, status, body, retry_after, delay_ms, drop, malformed',
      },
    });
    assert.deepEqual(await control('POST', '/_fake/faults', { status: '500' }), {
      status: 422,
      json: { message: 'status must be a whole number' },
    });
    // Control endpoints change the answers of every client: they need the key.
    for (const key of ['', 'sk_test_wrong']) {
      assert.equal((await control('POST', '/_fake/faults', { status: 500, times: -1 }, key)).status, 401);
      assert.equal((await control('DELETE', '/_fake/faults', undefined, key)).status, 401);
      assert.equal((await control('POST', '/_fake/clock', { advance: '1h' }, key)).status, 401);
    }
    // Nothing above was injected.
    assert.deepEqual(await sdk(API_KEY, { maxRetries: 0 }).authorization.check(FAULT_CHECK), { authorized: true });

    const both = await control('POST', '/_fake/clock', { set: '2026-01-15T12:00:00Z', advance: '1m' });
    assert.equal(both.status, 422);
    assert.match(both.json.message, /exactly one of set .* and advance/);
    assert.equal((await control('POST', '/_fake/clock', {})).status, 422);
  } finally {
    await clearFaults();
  }
});

test('clock: set and advance over HTTP move the iat of minted session tokens', async () => {
  const claims = async () => {
    const { data } = await workos.post('/_fake/access_tokens', { organization_membership_id: 'om_bob' });
    return JSON.parse(Buffer.from(data.access_token.split('.')[1], 'base64url').toString('utf8'));
  };
  const set = await control('POST', '/_fake/clock', { set: '2030-06-01T09:00:00Z' });
  try {
    assert.deepEqual(set, { status: 200, json: { now: '2030-06-01T09:00:00Z' } });
    assert.equal((await claims()).iat, Date.parse('2030-06-01T09:00:00Z') / 1000);
    assert.deepEqual(await control('POST', '/_fake/clock', { advance: '90m' }), {
      status: 200,
      json: { now: '2030-06-01T10:30:00Z' },
    });
    assert.equal((await claims()).iat, Date.parse('2030-06-01T10:30:00Z') / 1000);
  } finally {
    // Back to (a frozen copy of) the real time, so later session tokens verify.
    await control('POST', '/_fake/clock', { set: new Date().toISOString() });
  }
});

// ---------------------------------------------------------------- events and webhooks

test('events: listEvents returns the event of a change made through the SDK, paged with after', async () => {
  const slug = 'events:probe';
  await workos.authorization.createPermission({ slug, name: 'Probe', resourceTypeSlug: 'organization' });
  const newest = await workos.events.listEvents({ events: ['permission.created'], limit: 1 });
  assert.equal(newest.object, 'list');
  assert.equal(newest.data.length, 1);
  const ev = newest.data[0];
  assert.equal(ev.event, 'permission.created');
  assert.match(ev.id, /^event_/);
  assert.match(ev.createdAt, ISO_MILLIS);
  assert.equal(ev.data.object, 'permission');
  assert.equal(ev.data.slug, slug);
  assert.equal(ev.data.resourceTypeSlug, 'organization');
  assert.equal(ev.data.system, false);

  // Oldest first, one at a time: after moves to newer events, none repeats.
  const seen = [];
  let after;
  for (let i = 0; i < 50; i++) {
    const page = await workos.events.listEvents({ events: ['permission.created', 'organization.created'], order: 'asc', limit: 2, after });
    seen.push(...page.data.map((e) => e.id));
    after = page.listMetadata.after;
    if (!after) break;
  }
  assert.equal(new Set(seen).size, seen.length, 'no event twice');
  assert.deepEqual([...seen].sort(), seen, 'ascending IDs');
  assert.equal(seen.at(-1), ev.id, 'the walk ends at the newest');

  // Filtered by organization: a custom role of org_acme is listed there and
  // not under another organization.
  await workos.authorization.createOrganizationRole(ORG, { slug: 'org-events-probe', name: 'Probe', resourceTypeSlug: 'organization' });
  const org = await workos.events.listEvents({ events: ['organization_role.created'], organizationId: ORG, limit: 1 });
  assert.deepEqual(org.data.map((e) => [e.event, e.data.organizationId, e.data.slug]), [['organization_role.created', ORG, 'org-events-probe']]);
  const other = await workos.events.listEvents({ events: ['organization_role.created'], organizationId: 'org_globex', limit: 100 });
  assert.ok(other.data.every((e) => e.data.organizationId === 'org_globex'));

  await rejectsWith(workos.events.listEvents({ events: ['permission.created'], limit: 101 }), UnprocessableEntityException, { status: 422 });
  await rejectsWith(workos.events.listEvents({}), UnprocessableEntityException, { status: 422 });
  await rejectsWith(workos.events.listEvents({ events: ['permission.created'], after: 'event_nope' }), UnprocessableEntityException, { status: 422 });
});

test('events: a demotion and a session revocation made through the SDK are listed with the SDK\'s own types', async () => {
  const um = workos.userManagement;
  const om = await um.createOrganizationMembership({ userId: 'user_events', organizationId: ORG });
  await um.updateOrganizationMembership(om.id, { roleSlug: 'member' });
  const { data } = await workos.post('/_fake/access_tokens', { organization_membership_id: om.id });
  const sid = JSON.parse(Buffer.from(data.access_token.split('.')[1], 'base64url').toString()).sid;
  await um.revokeSession({ sessionId: sid });

  const list = await workos.events.listEvents({
    events: ['organization_membership.created', 'organization_membership.updated', 'session.created', 'session.revoked'],
    organizationId: ORG,
    limit: 4,
  });
  assert.deepEqual(
    list.data.map((e) => e.event),
    ['session.revoked', 'session.created', 'organization_membership.updated', 'organization_membership.created'],
  );
  const [revoked, , updated] = list.data;
  assert.equal(revoked.data.object, 'session');
  assert.equal(revoked.data.id, sid);
  assert.equal(revoked.data.userId, 'user_events');
  assert.equal(revoked.data.status, 'revoked');
  assert.match(revoked.data.endedAt, ISO_MILLIS);
  assert.equal(updated.data.object, 'organization_membership');
  assert.equal(updated.data.id, om.id);
  assert.equal(updated.data.organizationId, ORG);
  assert.deepEqual(updated.data.role, { slug: 'member' });
  assert.equal(updated.data.status, 'active');
  await um.deleteOrganizationMembership(om.id);
});

test('webhooks: an endpoint created through the SDK receives signed events that webhooks.constructEvent accepts', async () => {
  // A receiver on this machine (the fake allows http on loopback hosts).
  const received = [];
  let notify;
  const hook = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ body, sigHeader: req.headers['workos-signature'] });
      res.writeHead(200).end();
      if (notify) notify();
    });
  });
  await new Promise((resolve) => hook.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${hook.address().port}/hooks`;
  // The SDK checks the signature's time against Date.now(): run the fake's
  // clock at the real time.
  await control('POST', '/_fake/clock', { set: new Date().toISOString() });
  let endpoint;
  try {
    endpoint = await workos.webhooks.createWebhookEndpoint({ endpointUrl: url, events: ['role.updated'] });
    assert.equal(endpoint.object, 'webhook_endpoint');
    assert.match(endpoint.id, /^we_/);
    assert.match(endpoint.secret, /^whsec_/);
    assert.equal(endpoint.status, 'enabled');
    assert.deepEqual(endpoint.events, ['role.updated']);

    const arrived = new Promise((resolve) => (notify = resolve));
    await workos.authorization.updateEnvironmentRole('member', { name: 'Member (webhook)' });
    await Promise.race([arrived, new Promise((_, reject) => setTimeout(() => reject(new Error('no webhook within 10 s')), 10_000))]);

    assert.equal(received.length, 1, 'one event, of the subscribed type');
    const { body, sigHeader } = received[0];
    assert.match(sigHeader, /^t=\d+, v1=[0-9a-f]{64}$/);
    // The raw body, as a webhook handler receives it, and the parsed object.
    for (const payload of [body, JSON.parse(body)]) {
      const ev = await workos.webhooks.constructEvent({ payload, sigHeader, secret: endpoint.secret });
      assert.equal(ev.event, 'role.updated');
      assert.match(ev.id, /^event_/);
      assert.equal(ev.data.object, 'role');
      assert.equal(ev.data.slug, 'member');
      assert.ok(Array.isArray(ev.data.permissions));
    }
    // The same header with another secret, or over another body, is refused.
    await assert.rejects(workos.webhooks.constructEvent({ payload: body, sigHeader, secret: 'whsec_wrong' }), SignatureVerificationException);
    await assert.rejects(
      workos.webhooks.constructEvent({ payload: body.replace('member', 'admin'), sigHeader, secret: endpoint.secret }),
      SignatureVerificationException,
    );
    // The event is also in the Events API, with the same ID.
    const listed = await workos.events.listEvents({ events: ['role.updated'], limit: 1 });
    assert.equal(listed.data[0].id, JSON.parse(body).id);
  } finally {
    if (endpoint) await workos.webhooks.deleteWebhookEndpoint({ id: endpoint.id });
    await new Promise((resolve) => hook.close(resolve));
  }
});
