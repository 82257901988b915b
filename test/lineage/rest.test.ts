import { describe, expect, it } from 'vitest';
import { LineageService, type LineageGraph } from '../../src/lineage/index.js';
import { api } from '../server/http.js';
import { DIALECTS } from '../support/databases.js';
import { edgeList, useLineageSuite } from './support.js';

/** The graph as the REST API spells it: node fields in snake_case; a pipeline's params are data, kept as they are. */
function onTheWire(graph: LineageGraph) {
  const snake = (key: string) => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  return {
    ...graph,
    nodes: graph.nodes.map((node) =>
      Object.fromEntries(Object.entries(node).map(([key, value]) => [snake(key), value])),
    ),
  };
}

describe.each(DIALECTS)('GET /api/v1/lineage on %s', (dialect) => {
  const suite = useLineageSuite(dialect);
  const http = () => api(suite.server.url);
  const lineage = () => new LineageService(suite.server.context.database.db);

  it('answers the graph the service (and --json) gives, in snake_case', async () => {
    const { digests } = suite.scenario;
    const answer = await http().get('/api/v1/lineage', { node: digests.model, direction: 'upstream', depth: 4 });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(onTheWire(await lineage().graph(digests.model, { direction: 'upstream', depth: 4 })));
    expect(answer.body.depth).toBe(4);
    const run = (answer.body.nodes as Array<Record<string, unknown>>).find(
      (node) => node.kind === 'run' && node.role === 'step',
    );
    expect(run).toMatchObject({
      run_id: expect.any(String),
      run_name: expect.any(String),
      start_time: expect.any(Number),
      step_name: expect.any(String),
    });
    expect(run).not.toHaveProperty('runId');

    const trainRun = suite.scenario.steps.first.train!.run_id!;
    const both = await http().get('/api/v1/lineage', { node: `${trainRun}/outputs/model` });
    expect(both.status).toBe(200);
    expect(both.body).toEqual(onTheWire(await lineage().graph(digests.model)));
    expect(both.body.direction).toBe('both');
    expect(edgeList(both.body)).toContain(`run:${trainRun} -produced-> artifact:${digests.model}`);
  });

  it('caps nodes when asked', async () => {
    const answer = await http().get('/api/v1/lineage', { node: suite.scenario.first, max_nodes: 2 });
    expect(answer.status).toBe(200);
    expect(answer.body.nodes).toHaveLength(2);
    expect(answer.body.truncated).toBe(true);
    const camel = await http().get('/api/v1/lineage', { node: suite.scenario.first, maxNodes: 2 });
    expect(camel.status).toBe(400);
    expect(camel.body).toMatchObject({
      error_code: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('maxNodes'),
    });
  });

  it('answers 404 with a stable code for what does not exist, model: included', async () => {
    const unknown = await http().get('/api/v1/lineage', { node: 'ffffffffffffffffffffffffffffffff' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ error_code: 'RESOURCE_DOES_NOT_EXIST', where: 'node' });
    const model = await http().get('/api/v1/lineage', { node: 'model:churn' });
    expect(model.status).toBe(404);
    expect(model.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(model.body.message).toContain("no registered model named 'churn'");
  });

  it('answers 400 with the accepted forms for a malformed node, and 400 for bad parameters', async () => {
    for (const node of ['thing:x', 'sha256:abc', '']) {
      const answer = await http().get('/api/v1/lineage', { node });
      expect(answer.status, node).toBe(400);
      expect(answer.body).toMatchObject({ error_code: 'INVALID_PARAMETER_VALUE', where: 'node' });
      expect(answer.body.hint).toContain('dataset:<name>');
    }
    const missing = await http().get('/api/v1/lineage');
    expect(missing.status).toBe(400);
    expect(missing.body.hint).toContain('sha256:<64 hex digits>');
    const direction = await http().get('/api/v1/lineage', { node: suite.scenario.first, direction: 'sideways' });
    expect(direction.status).toBe(400);
    expect(direction.body.where).toBe('direction');
    const zero = await http().get('/api/v1/lineage', { node: suite.scenario.first, depth: 0 });
    expect(zero).toMatchObject({ status: 200, body: { roots: [`run:${suite.scenario.first}`], edges: [] } });
    expect(zero.body.nodes).toHaveLength(1);
    const depth = await http().get('/api/v1/lineage', { node: suite.scenario.first, depth: 99 });
    expect(depth).toMatchObject({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', where: 'depth' } });
  });

  it('is in the OpenAPI document', async () => {
    const doc = await http().get('/api/v1/openapi.json');
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/lineage');
  });
});
