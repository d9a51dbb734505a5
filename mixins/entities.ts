import { ApiToken } from '../services/users/api-token.entity.ts';
import { Session } from '../services/users/session.entity.ts';
import { User } from '../services/users/user.entity.ts';

/** Every entity, listed explicitly so discovery never depends on file globs. */
export const entities = [User, Session, ApiToken];
