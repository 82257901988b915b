import { InvalidArgumentError, type Command } from 'commander';
import {
  ACTIONS,
  EVERY_PROJECT,
  parseLifetimeDays,
  type AccessControl,
  type Action,
  type TokenInfo,
  type UserInfo,
} from '../governance/index.js';
import { formatTime, renderTable } from './format.js';
import { withLocalContext } from './local-context.js';
import { emit } from './output.js';

/**
 * `ciclo users|tokens|projects`: access control over the local store. Whoever can open the store
 * (its files, its database URL) administers it, as with `createsuperuser` in other tools; a server
 * with authentication on is then reached with the tokens made here.
 */
export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('people and services that call a server with authentication on');

  users
    .command('create')
    .description('create a user; --admin also makes it an admin of every project and of the server')
    .argument('<name>', 'user name')
    .option('--admin', 'grant the admin role on every project (*)')
    .action(async (name: string, flags: { admin?: boolean }, command: Command) => {
      const user = await withAccess(async (control) => {
        await control.createUser(name);
        if (flags.admin) await control.grant(EVERY_PROJECT, name, 'admin');
        return control.getUser(name);
      });
      emit(command, user, () => `created user ${user.name}\n${renderUsers([user])}`);
    });

  users
    .command('list')
    .description('every user with its roles')
    .action(async (_flags: object, command: Command) => {
      const list = await withAccess((control) => control.listUsers());
      emit(command, list, () => renderUsers(list));
    });

  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    users
      .command(verb)
      .description(disabled ? 'disable a user: its tokens stop working at once' : 'enable a disabled user again')
      .argument('<name>', 'user name')
      .action(async (name: string, _flags: object, command: Command) => {
        const user = await withAccess((control) => control.setUserDisabled(name, disabled));
        emit(command, user, () => `${verb}d user ${user.name}`);
      });
  }
}

export function registerTokenCommands(program: Command): void {
  const tokens = program.command('tokens').description('API tokens: 256-bit secrets shown once and stored hashed');

  tokens
    .command('create')
    .description(
      'create an API token for a user and print it once (send it as `Authorization: Bearer …`, or set CICLO_TOKEN)',
    )
    .requiredOption('--user <name>', 'the user the token acts as')
    .option(
      '--scopes <actions>',
      `comma-separated actions the token may perform at most (${ACTIONS.join(', ')})`,
      parseScopes,
      [...ACTIONS],
    )
    .option(
      '--expires <lifetime>',
      'lifetime: 30d, 12h or a number of days (default: never, or CICLO_TOKEN_MAX_DAYS when set, which also caps it)',
    )
    .option('--description <text>', 'what the token is for')
    .action(
      async (flags: { user: string; scopes: Action[]; expires?: string; description?: string }, command: Command) => {
        const created = await withAccess((control) =>
          control.createToken(flags.user, {
            scopes: flags.scopes,
            ...(flags.expires === undefined ? {} : { expiresInDays: parseLifetimeDays(flags.expires) }),
            ...(flags.description === undefined ? {} : { description: flags.description }),
          }),
        );
        emit(command, created, () =>
          [
            `token ${created.id} for ${created.user} (scopes ${created.scopes.join(', ')}; ` +
              `expires ${created.expiresTime === null ? 'never' : formatTime(created.expiresTime)})`,
            created.token,
            'Keep it now: only its hash is stored, it cannot be shown again.',
          ].join('\n'),
        );
      },
    );

  tokens
    .command('list')
    .description('tokens (never their secrets), all users or one')
    .option('--user <name>', 'only this user’s tokens')
    .action(async (flags: { user?: string }, command: Command) => {
      const list = await withAccess((control) => control.listTokens(flags.user));
      emit(command, list, () => renderTokens(list));
    });

  tokens
    .command('revoke')
    .description('revoke a token: it stops working at once')
    .argument('<id>', 'token id (from `ciclo tokens list`)')
    .action(async (id: string, _flags: object, command: Command) => {
      const token = await withAccess((control) => control.revokeToken(id));
      emit(command, token, () => `revoked token ${token.id} of ${token.user}`);
    });
}

export function registerProjectCommands(program: Command): void {
  const projects = program
    .command('projects')
    .description('projects: experiments and models belong to one; roles are granted per project');

  projects
    .command('create')
    .description('create a project')
    .argument('<name>', 'lowercase letters, digits, "_" or "-"')
    .option('--description <text>', 'what the project is')
    .action(async (name: string, flags: { description?: string }, command: Command) => {
      const project = await withAccess((control) => control.createProject(name, flags.description));
      emit(command, project, () => `created project ${project.name}`);
    });

  projects
    .command('list')
    .description('every project')
    .action(async (_flags: object, command: Command) => {
      const list = await withAccess((control) => control.listProjects());
      emit(command, list, () =>
        renderTable(
          ['PROJECT', 'CREATED', 'DESCRIPTION'],
          list.map((p) => [p.name, formatTime(p.createdTime), p.description ?? '']),
        ),
      );
    });

  projects
    .command('members')
    .description("a project's users and their roles")
    .argument('<project>', 'project name, or * for roles on every project')
    .action(async (project: string, _flags: object, command: Command) => {
      const list = await withAccess((control) => control.members(project));
      emit(command, list, () =>
        renderTable(
          ['USER', 'ROLE', 'GRANTED'],
          list.map((m) => [m.user, m.role, formatTime(m.grantedTime)]),
        ),
      );
    });

  projects
    .command('grant')
    .description('give a user a role in a project (viewer < editor < approver < admin), replacing its role there')
    .argument('<project>', 'project name, or * for every project and the server')
    .argument('<user>', 'user name')
    .argument('<role>', 'viewer, editor, approver or admin')
    .action(async (project: string, user: string, role: string, _flags: object, command: Command) => {
      await withAccess((control) => control.grant(project, user, role));
      emit(
        command,
        { project, user, role },
        () => `${user} is ${role} in ${project === EVERY_PROJECT ? 'every project' : project}`,
      );
    });

  projects
    .command('revoke')
    .description("take a user's role in a project away")
    .argument('<project>', 'project name, or *')
    .argument('<user>', 'user name')
    .action(async (project: string, user: string, _flags: object, command: Command) => {
      await withAccess((control) => control.revoke(project, user));
      emit(command, { project, user }, () => `${user} has no role in ${project} any more`);
    });
}

function withAccess<T>(fn: (control: AccessControl) => Promise<T>): Promise<T> {
  return withLocalContext((context) => fn(context.access));
}

function parseScopes(value: string): Action[] {
  const scopes = value
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope !== '');
  const unknown = scopes.filter((scope) => !(ACTIONS as readonly string[]).includes(scope));
  if (unknown.length > 0 || scopes.length === 0) {
    throw new InvalidArgumentError(
      `'${unknown[0] ?? value}' is not an action: use a comma-separated list of ${ACTIONS.join(', ')}`,
    );
  }
  return scopes as Action[];
}

function renderUsers(list: UserInfo[]): string {
  return renderTable(
    ['USER', 'CREATED', 'STATE', 'ROLES'],
    list.map((u) => [
      u.name,
      formatTime(u.createdTime),
      u.disabled ? 'disabled' : 'active',
      u.roles.map((r) => `${r.project}:${r.role}`).join(' '),
    ]),
  );
}

function renderTokens(list: TokenInfo[]): string {
  const now = Date.now();
  return renderTable(
    ['ID', 'USER', 'SCOPES', 'STATE', 'EXPIRES', 'LAST USED', 'DESCRIPTION'],
    list.map((t) => [
      t.id,
      t.user,
      t.scopes.join(','),
      t.revokedTime !== null ? 'revoked' : t.expiresTime !== null && t.expiresTime <= now ? 'expired' : 'active',
      t.expiresTime === null ? 'never' : formatTime(t.expiresTime),
      formatTime(t.lastUsedTime),
      t.description ?? '',
    ]),
  );
}
