import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ciclo, PermissionDeniedError, UnauthenticatedError } from '../../src/sdk/index.js';
import { startTestServer, type TestServer } from '../support/server.js';

describe('the SDK against a server with authentication on', () => {
  let server: TestServer;
  let editor: string;
  let viewer: string;
  beforeAll(async () => {
    server = await startTestServer('sqlite', { auth: true });
    const { access } = server.context;
    await access.createUser('eve');
    await access.grant('default', 'eve', 'editor');
    editor = (await access.createToken('eve')).token;
    await access.createUser('val');
    await access.grant('default', 'val', 'viewer');
    viewer = (await access.createToken('val')).token;
  });
  afterAll(async () => {
    await server.stop();
  });

  it('logs with a token (given, or CICLO_TOKEN through the config), and names the refusal without one', async () => {
    const ciclo = await Ciclo.connect({ trackingUri: server.url, token: editor });
    const runId = await ciclo.withRun({ experiment: 'sdk-auth' }, async (run) => {
      run.log({ auc: 0.9 });
      return run.id;
    });
    await ciclo.close();
    expect((await server.context.tracking.getRun(runId)).data.metrics.map((m) => m.key)).toEqual(['auc']);

    const fromConfig = await Ciclo.connect({
      config: { ...server.context.config, trackingUri: server.url, token: editor },
    });
    expect((await fromConfig.api.getExperimentByName('sdk-auth')).project).toBe('default');
    await fromConfig.close();

    const anonymous = await Ciclo.connect({ trackingUri: server.url });
    await expect(anonymous.api.getExperimentByName('sdk-auth')).rejects.toBeInstanceOf(UnauthenticatedError);
    await anonymous.close();

    const readOnly = await Ciclo.connect({ trackingUri: server.url, token: viewer });
    expect((await readOnly.api.getRun(runId)).info.runId).toBe(runId);
    await expect(readOnly.api.createExperiment({ name: 'nope' })).rejects.toBeInstanceOf(PermissionDeniedError);
    await readOnly.close();
  });
});
