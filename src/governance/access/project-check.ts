import type { Kysely } from 'kysely';
import { NotFoundError } from '../../common/errors.js';
import { parseInput } from '../../common/validation.js';
import type { Schema } from '../../store/index.js';
import { ProjectNameSchema } from './route-access.js';
import { findProject } from './store.js';

/**
 * The name of an existing project, for a service that puts a resource there (a dataset registered
 * into it, anything moved to it): a malformed name is INVALID_PARAMETER_VALUE and an unknown one
 * RESOURCE_DOES_NOT_EXIST, both naming `where`. Pass the transaction that then writes.
 */
export async function requireProject(db: Kysely<Schema>, project: string, where = 'project'): Promise<string> {
  const name = parseInput(ProjectNameSchema, project, where);
  if ((await findProject(db, name)) === undefined) {
    throw new NotFoundError(`no project named '${name}'`, {
      where,
      hint: 'List projects with `ciclo projects list`; an admin creates one with `ciclo projects create NAME`.',
    });
  }
  return name;
}
