import type { ApiClient } from './client.js';
import type { Whoami } from './types.js';

/** Who the token (or its absence) is: 401 when the server needs a token and this one is missing or bad. */
export async function whoami(api: ApiClient): Promise<Whoami> {
  const answer = await api.get<Partial<Whoami>>('/auth/whoami');
  if (typeof answer.user !== 'string' || typeof answer.authenticated !== 'boolean') {
    throw new Error('the server answered /api/v1/auth/whoami without user and authenticated');
  }
  return {
    user: answer.user,
    authenticated: answer.authenticated,
    scopes: Array.isArray(answer.scopes) ? answer.scopes : [],
    roles: Array.isArray(answer.roles) ? answer.roles : [],
  };
}
