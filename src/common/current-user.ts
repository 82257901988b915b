import { userInfo } from 'node:os';

/** The operating-system user, as MLflow records it; empty when the uid has no passwd entry (some containers). */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}
